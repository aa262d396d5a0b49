"""``lianxin campaign_designations --campaign ID --xlsx FILE``: the Excel list of a campaign's current
designations (site code, name, kind, district, township, address, tier, year, certificate number, final
score, rank) — the same list as the staff download."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Write the Excel list of a campaign's designations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--campaign", type=int, required=True, help="the campaign's id")
        parser.add_argument("--xlsx", required=True, help="the workbook to write (.xlsx)")

    def handle(self, *args: Any, **options: Any) -> None:
        from lianxin.campaigns import exports
        from lianxin.campaigns.models import Campaign

        campaign = Campaign.objects.select_related("region").filter(pk=options["campaign"]).first()
        if campaign is None:
            raise CommandError(_("No campaign with the id %(id)s.") % {"id": options["campaign"]})
        target = Path(options["xlsx"])
        if target.suffix.lower() != ".xlsx":
            raise CommandError(_("The file name must end in .xlsx."))
        if not target.parent.is_dir():
            raise CommandError(_("The folder %(folder)s does not exist.") % {"folder": target.parent})
        count = exports.write_xlsx(campaign, target)
        self.stdout.write(_("Wrote %(count)d designations of “%(name)s” to %(file)s.")
                          % {"count": count, "name": campaign.name, "file": target})

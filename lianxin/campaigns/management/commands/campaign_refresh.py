"""``lianxin campaign_refresh [--campaign ID]``: recompute the scores and the ranking of one campaign, or of
every campaign in its audit or final review phase (what the nightly task does)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Recompute campaign scores and rankings (one campaign, or those in audit / final review)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--campaign", type=int, help="the campaign's id")

    def handle(self, *args: Any, **options: Any) -> None:
        from lianxin.campaigns import scoring
        from lianxin.campaigns.models import Campaign
        from lianxin.campaigns.tasks import refresh_running

        if options.get("campaign"):
            campaign = Campaign.objects.filter(pk=options["campaign"]).first()
            if campaign is None:
                raise CommandError(_("No campaign with the id %(id)s.") % {"id": options["campaign"]})
            scoring.refresh(campaign)
            self.stdout.write(_("Refreshed the scores of “%(name)s”.") % {"name": campaign.name})
            return
        count = refresh_running()
        self.stdout.write(_("Refreshed %(count)d campaigns.") % {"count": count})

"""``lianxin refresh_rollups [--all] [--month YYYY-MM …]``: rebuild the dashboard's roll-up tables."""

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lianxin.dashboard import rollups


class Command(BaseCommand):
    help = "Rebuild the dashboard's roll-ups: this month and the previous one, or every month with --all."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--all", action="store_true", help="rebuild every month")
        parser.add_argument("--month", action="append", default=[], metavar="YYYY-MM",
                            help="rebuild this month (repeatable)")

    def handle(self, *args: Any, **options: Any) -> None:
        months: list[datetime.date] | None
        if options["all"]:
            months = None
        elif options["month"]:
            months = []
            for text in options["month"]:
                try:
                    months.append(datetime.datetime.strptime(text, "%Y-%m").date())
                except ValueError:
                    raise CommandError(_("Not a month (YYYY-MM): %(value)s") % {"value": text}) from None
        else:
            months = rollups.recent_months()
        state = rollups.refresh(months)
        self.stdout.write(_("Roll-ups rebuilt: %(rows)s rows in %(ms)s ms (%(months)s).") % {
            "rows": state.rows, "ms": state.duration_ms,
            "months": _("all months") if months is None else ", ".join(f"{m:%Y-%m}" for m in sorted(months))})

"""``lianxin sweep_deadlines [--json]``: one pass of the deadline sweeper (the task queue runs it every 5 minutes)."""

import json
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from lianxin.opinions.sweeper import sweep


class Command(BaseCommand):
    help = "Warn before case deadlines, escalate overdue cases and close lapsed rating windows (one pass)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="print the counts as JSON")

    def handle(self, *args: Any, json: bool, **options: Any) -> None:
        counts = sweep()
        if json:
            self.stdout.write(_dumps(counts))
            return
        self.stdout.write(
            _("Warned %(warned)d, escalated %(escalated)d, closed %(closed)d, skipped %(skipped)d.") % counts
        )


def _dumps(counts: dict[str, int]) -> str:
    return json.dumps(counts)

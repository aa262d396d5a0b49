"""``lianxin publish_reception_days``: publish the reception days that are due (the task queue runs it hourly)."""

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from lianxin.activities.reception import publish_due


class Command(BaseCommand):
    help = "Publish the reception days whose publishing date has come (RECEPTION_PUBLISH_DAYS ahead)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = publish_due()
        self.stdout.write(_("Published %(count)d reception days.") % {"count": count})

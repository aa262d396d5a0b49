"""``lianxin work_report --area CODE --period month|quarter|year --date 2023-11-01 --format pdf|xlsx --out FILE``.

Makes a work report synchronously (no task, no row) and writes it to ``--out``."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from lianxin.core import clock
from lianxin.dashboard import reports
from lianxin.dashboard.models import WorkReport


class Command(BaseCommand):
    help = "Write a monthly, quarterly or annual work report of the city or a district (PDF or Excel)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--area", required=True, help="division code of the city or a district")
        parser.add_argument("--period", required=True, help="month, quarter or year")
        parser.add_argument("--date", default="", help="a day in the period, YYYY-MM-DD (default: today)")
        parser.add_argument("--format", default="", help="pdf or xlsx (default: from --out's suffix, else pdf)")
        parser.add_argument("--out", required=True, help="the file to write")
        parser.add_argument("--language", default=settings.LANGUAGE_CODE, help="zh-hans (default) or en")

    def handle(self, *args: Any, **options: Any) -> None:
        language = options["language"]
        with translation.override(language):
            self._make(options, language)

    def _make(self, options: dict[str, Any], language: str) -> None:
        out = Path(options["out"])
        fmt = options["format"] or (out.suffix.lstrip(".").lower() if out.suffix else WorkReport.Format.PDF)
        if fmt not in WorkReport.Format.values:
            raise CommandError(_("Unknown format “%(format)s”: choose PDF or Excel.") % {"format": fmt})
        try:
            day = datetime.date.fromisoformat(options["date"]) if options["date"] else clock.today()
        except ValueError:
            raise CommandError(_("“%(date)s” is not a date (YYYY-MM-DD).") % {"date": options["date"]}) from None
        if not out.parent.is_dir():
            raise CommandError(_("The folder %(folder)s does not exist.") % {"folder": out.parent})
        try:
            if options["period"] not in WorkReport.Period.values:
                reports.period_bounds(options["period"], day)  # raises with the message
            region = reports.check_area(None, options["area"])
            start, _end = reports.check_period(options["period"], day)
        except reports.ReportError as error:
            raise CommandError(error.message) from None
        content = reports.render(region, options["period"], start, fmt, language)
        out.write_bytes(content)
        self.stdout.write(_("Wrote %(path)s (%(size)s bytes).") % {"path": out.resolve(), "size": len(content)})

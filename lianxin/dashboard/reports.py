"""Work reports (工作报告): monthly, quarterly and annual reports of the city or a district.

A report is a ``WorkReport`` row built by a task (``report_tasks.build_work_report``) through the shared
request/build flow of ``lianxin.core.documents``; the same renderers serve ``lianxin work_report`` on the
command line (synchronously, no row).

What a report shows (``report_data``), for an area and a period [start, end] (inclusive):
- the registry as it stands when the report is made (``figures.headline``): sites, townships covered,
  deputies and the share assigned, exemplary sites;
- the work of the period, summed from the monthly roll-ups (``SiteMonth``): activities, reception days
  planned and held, deputies' attendance, citizens received, opinions received and, of those (the
  roll-ups count a case in the month it was submitted), replied (on time), resolved, ratings and
  satisfaction, repeat complaints — with the change against the previous period and
  against the same period a year before;
- districts (``figures.districts``), the sites' effectiveness index (``figures.effectiveness``), opinion
  categories (``figures.categories``), open overdue matters now (``figures.overdue``), the monthly trend.

The period sums read the roll-up table only (one grouped query over at most 24 months of the area's rows),
never the case or activity tables.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lianxin.core import clock
from lianxin.regions.models import Region, subtree_q

from .models import SiteMonth, WorkReport

if TYPE_CHECKING:
    from lianxin.accounts.models import User

Period = WorkReport.Period
Format = WorkReport.Format

# Roll-up columns summed per month (SiteMonth field names).
COUNTS = ("activities", "reception_planned", "reception_due", "reception_held", "reception_cancelled",
          "attendance_expected", "attendance_attended", "citizens", "opinions", "replied", "replied_on_time",
          "closed", "resolved", "not_resolved", "rated", "satisfied", "repeats")

# The summary rows: (key, label, kind) — kind "n" a count, "pct" a percentage.
SUMMARY_ROWS: tuple[tuple[str, Any, str], ...] = (
    ("activities", gettext_lazy("Activities held"), "n"),
    ("reception_planned", gettext_lazy("Reception days planned"), "n"),
    ("reception_held", gettext_lazy("Reception days held"), "n"),
    ("attendance_rate", gettext_lazy("Deputies' attendance (%)"), "pct"),
    ("citizens", gettext_lazy("Citizens received"), "n"),
    ("opinions", gettext_lazy("Opinions received"), "n"),
    ("replied", gettext_lazy("Opinions replied"), "n"),
    ("on_time_rate", gettext_lazy("Replied on time (%)"), "pct"),
    ("resolved", gettext_lazy("Of these, resolved"), "n"),
    ("not_resolved", gettext_lazy("Of these, closed unresolved"), "n"),
    ("satisfaction_rate", gettext_lazy("Satisfaction (%)"), "pct"),
    ("repeats", gettext_lazy("Repeat complaints"), "n"),
)


class ReportError(Exception):
    """Bad input for a report (``code``, translated ``message``): nothing is made."""

    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message
        super().__init__(message)


# ---- periods ----------------------------------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def period_bounds(period: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The month, quarter or year containing ``day``: (first day, last day)."""
    if period == Period.MONTH:
        start = day.replace(day=1)
        length = 1
    elif period == Period.QUARTER:
        start = datetime.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        length = 3
    elif period == Period.YEAR:
        start = datetime.date(day.year, 1, 1)
        length = 12
    else:
        raise ReportError("period", _("Unknown period “%(period)s”: choose monthly, quarterly or annual.")
                          % {"period": period})
    end = add_months(start, length) - datetime.timedelta(days=1)
    return start, end


def months_of(period: str) -> int:
    return {Period.MONTH: 1, Period.QUARTER: 3, Period.YEAR: 12}[Period(period)]


def period_label(period: str, start: datetime.date) -> str:
    if period == Period.MONTH:
        return _("%(year)s-%(month)02d") % {"year": start.year, "month": start.month}
    if period == Period.QUARTER:
        return _("%(year)s Q%(quarter)s") % {"year": start.year, "quarter": (start.month - 1) // 3 + 1}
    return _("%(year)s") % {"year": start.year}


def check_period(period: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The bounds of a period that has begun (the current one is reported to date); else ``ReportError``."""
    start, end = period_bounds(period, day)
    if start > clock.today():
        raise ReportError("future", _("The period %(label)s has not begun yet: choose a past or the current "
                                      "period.") % {"label": period_label(period, start)})
    return start, end


# ---- areas --------------------------------------------------------------------------------------------

AREA_LEVELS = (Region.Level.CITY, Region.Level.COUNTY)


def areas_for(user: User | None) -> list[Region]:
    """The areas a user may report on: the city and its districts for a city admin, its own district for a
    district admin, every city and district for a superuser or the command line (``user`` None)."""
    from lianxin.accounts.scope import admin_region

    regions = Region.objects.filter(level__in=AREA_LEVELS).order_by("path")
    if user is None or (user.is_superuser and admin_region(user) is None):
        return list(regions)
    region = admin_region(user)
    if region is None:
        return []
    return list(regions.filter(subtree_q("path", region.path)))


def can_report(user: User) -> bool:
    return bool(areas_for(user))


def check_area(user: User | None, code: str) -> Region:
    for region in areas_for(user):
        if region.code == code:
            return region
    if user is None:
        raise ReportError("area", _("No city or district has the code “%(code)s”.") % {"code": code})
    raise ReportError("area", _("The area “%(code)s” is not one you can report on.") % {"code": code})


# ---- the figures ----------------------------------------------------------------------------------------


@dataclass
class Totals:
    """The sums of one period from the roll-ups, with the rates derived from them."""

    counts: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, key: str) -> float | int | None:
        c = self.counts
        if key == "attendance_rate":
            return _share(c.get("attendance_attended", 0), c.get("attendance_expected", 0))
        if key == "on_time_rate":
            return _share(c.get("replied_on_time", 0), c.get("replied", 0))
        if key == "satisfaction_rate":
            return _share(c.get("satisfied", 0), c.get("rated", 0))
        if key == "resolved_rate":
            closed = c.get("resolved", 0) + c.get("not_resolved", 0)
            return _share(c.get("resolved", 0), closed)
        return c.get(key, 0)


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def change(now: float | int | None, before: float | int | None, kind: str = "n") -> float | None:
    """Per cent change of a count, percentage points of a rate; None when there is nothing to compare."""
    if now is None or before is None:
        return None
    if kind == "pct":
        return round(now - before, 1)
    return round(100 * (now - before) / before, 1) if before else None


def month_rows(region: Region, first: datetime.date, last: datetime.date) -> dict[datetime.date, dict[str, int]]:
    """The roll-ups of the area summed per month, from ``first`` to ``last`` (month starts), one query."""
    rows = (
        SiteMonth.objects.filter(subtree_q("region_path", region.path), month__gte=first, month__lte=last)
        .order_by().values("month").annotate(**{name: Sum(name) for name in COUNTS})
    )
    found = {row["month"]: {name: int(row[name] or 0) for name in COUNTS} for row in rows}
    result: dict[datetime.date, dict[str, int]] = {}
    month = first
    while month <= last:
        result[month] = found.get(month, dict.fromkeys(COUNTS, 0))
        month = add_months(month, 1)
    return result


def _sum(months: dict[datetime.date, dict[str, int]], first: datetime.date, last: datetime.date) -> Totals:
    counts = dict.fromkeys(COUNTS, 0)
    for month, row in months.items():
        if first <= month <= last:
            for name in COUNTS:
                counts[name] += row[name]
    return Totals(counts)


def _attr(row: Any, *names: str, default: Any = None) -> Any:
    """A field of a figures row, a dataclass or a dict (the contract names first, then alternatives)."""
    for name in names:
        if isinstance(row, dict) and name in row:
            return row[name]
        if hasattr(row, name):
            return getattr(row, name)
    return default


def report_data(region: Region, period: str, start: datetime.date, end: datetime.date,
                progress: Any = None) -> dict[str, Any]:
    """Everything a report shows (see the module's docstring); ``progress(percent)`` is told along the way."""
    from . import figures

    tell = progress or (lambda percent: None)
    span = months_of(period)
    prev_start = add_months(start, -span)
    prev_end = start - datetime.timedelta(days=1)
    year_start = add_months(start, -12)
    year_end = add_months(year_start, span) - datetime.timedelta(days=1)
    trend_first = add_months(start, -(12 - span)) if span < 12 else start
    first = min(year_start, trend_first)
    months = month_rows(region, first, end.replace(day=1))
    current, previous, last_year = _sum(months, start, end), _sum(months, prev_start, prev_end), \
        _sum(months, year_start, year_end)
    tell(20)
    scope = figures.scope_for_region(region)
    headline = figures.headline(scope, start)
    tell(35)
    districts = list(figures.districts(scope, start, end))
    sites = list(figures.effectiveness(scope, start, end))
    tell(50)
    categories = list(figures.categories(scope, start, end))
    overdue = figures.overdue(scope)
    refreshed = figures.last_refresh()
    tell(60)
    summary = []
    for key, label, kind in SUMMARY_ROWS:
        now, before, year_ago = current[key], previous[key], last_year[key]
        summary.append({"key": key, "label": str(label), "kind": kind, "value": now, "previous": before,
                        "change": change(now, before, kind), "last_year": year_ago,
                        "yoy": change(now, year_ago, kind)})
    trend = [{"month": month, "label": f"{month:%Y-%m}", **row,
              "satisfaction_rate": _share(row["satisfied"], row["rated"])}
             for month, row in months.items() if month >= trend_first]
    data = {
        "region": region, "period": period, "period_name": str(Period(period).label),
        "label": period_label(period, start), "start": start, "end": end,
        "previous_label": period_label(period, prev_start), "made_at": clock.now(), "refreshed_at": refreshed,
        "headline": headline, "summary": summary, "totals": current, "previous": previous,
        "districts": districts, "sites": sites, "categories": categories, "trend": trend,
        "overdue": overdue, "quiet_sites": [s for s in sites if _attr(s, "index") is None],
    }
    data["texts"] = section_texts(data)
    return data


def _change_text(value: float | None, kind: str = "n") -> str:
    if value is None:
        return _("no comparable figure")
    if value == 0:
        return _("unchanged")
    unit = _("points") if kind == "pct" else "%"
    if value > 0:
        return _("up %(value)s%(unit)s") % {"value": value, "unit": unit}
    return _("down %(value)s%(unit)s") % {"value": -value, "unit": unit}


def section_texts(data: dict[str, Any]) -> dict[str, str]:
    """A sentence or two per section, built from the figures."""
    rows = {row["key"]: row for row in data["summary"]}

    def figure(key: str) -> Any:
        value = rows[key]["value"]
        return "—" if value is None else value

    area, label = data["region"].name, data["label"]
    texts = {
        "activities": _(
            "In %(label)s the sites of %(area)s held %(n)s activities (%(prev)s on the previous period, "
            "%(yoy)s year on year), including %(held)s of %(planned)s planned reception days, where they "
            "received %(citizens)s citizens; deputies attended %(attendance)s%% of the activities they were "
            "expected at."
        ) % {"label": label, "area": area, "n": figure("activities"),
             "prev": _change_text(rows["activities"]["change"]), "yoy": _change_text(rows["activities"]["yoy"]),
             "held": figure("reception_held"), "planned": figure("reception_planned"),
             "citizens": figure("citizens"), "attendance": figure("attendance_rate")},
        "opinions": _(
            "%(n)s opinions were received (%(prev)s on the previous period, %(yoy)s year on year); "
            "of them %(replied)s have been replied, %(on_time)s%% on time, and %(resolved)s resolved; "
            "%(satisfaction)s%% of the ratings were satisfied or basically satisfied. Repeat complaints: "
            "%(repeats)s."
        ) % {"n": figure("opinions"), "prev": _change_text(rows["opinions"]["change"]),
             "yoy": _change_text(rows["opinions"]["yoy"]), "replied": figure("replied"),
             "on_time": figure("on_time_rate"), "resolved": figure("resolved"),
             "satisfaction": figure("satisfaction_rate"), "repeats": figure("repeats")},
    }
    sites = [s for s in data["sites"] if _attr(s, "index") is not None]
    if sites:
        best = max(sites, key=lambda s: _attr(s, "index"))
        texts["sites"] = _(
            "%(n)s sites had work to measure in the period; the highest effectiveness index was %(best)s "
            "(%(name)s); %(quiet)s sites had no activity or opinion to measure."
        ) % {"n": len(sites), "best": round(_attr(best, "index"), 1), "name": _attr(best, "name", default=""),
             "quiet": len(data["quiet_sites"])}
    else:
        texts["sites"] = _("No site had work to measure in the period.")
    categories = data["categories"]
    if categories:
        top = ", ".join(f"{name} ({count})" for name, count in categories[:3])
        texts["categories"] = _("The most frequent categories of opinions were: %(top)s.") % {"top": top}
    else:
        texts["categories"] = _("No opinions were received in the period.")
    texts["overdue"] = _("Open matters past their deadline now: %(n)s.") % {
        "n": _attr(data["overdue"], "count", default=0)}
    return texts


# ---- rendering -----------------------------------------------------------------------------------------


def site_rows(data: dict[str, Any]) -> list[list[Any]]:
    """The sites' effectiveness table: code, name, kind, district, tier, index (None: quiet)."""
    from lianxin.stations.models import Station

    kinds, tiers = dict(Station.Kind.choices), dict(Station.Tier.choices)
    rows = []
    for s in data["sites"]:
        index = _attr(s, "index")
        kind, tier = _attr(s, "kind", default=""), _attr(s, "tier", default="")
        rows.append([_attr(s, "code", default=""), _attr(s, "name", default=""), str(kinds.get(kind, kind)),
                     _attr(s, "district_name", "district", default=""), str(tiers.get(tier, tier)),
                     None if index is None else round(index, 1)])
    return rows


def district_rows(data: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for d in data["districts"]:
        mean = _attr(d, "mean_index", "index")
        rows.append([_attr(d, "name", "district", default=""), _attr(d, "sites", default=0),
                     _attr(d, "activities", default=0), _attr(d, "opinions", default=0),
                     _attr(d, "resolved_share", "resolved_rate", default=None),
                     _attr(d, "satisfaction", "satisfaction_share", default=None),
                     None if mean is None else round(mean, 1)])
    return rows


def render_xlsx(data: dict[str, Any], progress: Any = None) -> bytes:
    """The workbook: summary (with native charts), districts, sites, categories, monthly trend."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.styles import Font

    tell = progress or (lambda percent: None)
    bold = Font(bold=True)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Summary")[:31]
    sheet.append([_("Work report of %(area)s, %(label)s") % {"area": data["region"].name, "label": data["label"]}])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([_("Period"), f"{data['start']:%Y-%m-%d} – {data['end']:%Y-%m-%d}"])
    sheet.append([_("Made at"), f"{data['made_at']:%Y-%m-%d %H:%M}"])
    sheet.append([])
    sheet.append([_("Figure"), data["label"], _("Previous period"), _("Change"), _("Same period last year"),
                  _("Year on year")])
    for cell in sheet[5]:
        cell.font = bold
    for row in data["summary"]:
        sheet.append([row["label"], row["value"], row["previous"], row["change"], row["last_year"], row["yoy"]])
    sheet.append([_("Change: per cent for counts, percentage points for rates.")])
    sheet.append([])
    sheet.append([_("Registry now")])
    sheet.cell(sheet.max_row, 1).font = bold
    for label, value in registry_rows(data):
        sheet.append([label, value])
    sheet.append([])
    for text in data["texts"].values():
        sheet.append([text])
    sheet.column_dimensions["A"].width = 34
    for column in "BCDEF":
        sheet.column_dimensions[column].width = 16

    trend = book.create_sheet(_("Monthly trend")[:31])
    trend.append([_("Month"), _("Activities held"), _("Reception days held"), _("Opinions received"),
                  _("Matters resolved"), _("Satisfaction (%)")])
    for row in data["trend"]:
        trend.append([row["label"], row["activities"], row["reception_held"], row["opinions"], row["resolved"],
                      row["satisfaction_rate"]])
    n = len(data["trend"])
    bars = BarChart()
    bars.title = _("Activities and opinions by month")
    bars.add_data(Reference(trend, min_col=2, max_col=2, min_row=1, max_row=n + 1), titles_from_data=True)
    bars.add_data(Reference(trend, min_col=4, max_col=4, min_row=1, max_row=n + 1), titles_from_data=True)
    bars.set_categories(Reference(trend, min_col=1, min_row=2, max_row=n + 1))
    bars.width, bars.height = 18, 8
    sheet.add_chart(bars, "H2")
    line = LineChart()
    line.title = _("Matters resolved by month")
    line.add_data(Reference(trend, min_col=5, max_col=5, min_row=1, max_row=n + 1), titles_from_data=True)
    line.set_categories(Reference(trend, min_col=1, min_row=2, max_row=n + 1))
    line.width, line.height = 18, 8
    sheet.add_chart(line, "H20")
    tell(70)

    districts = book.create_sheet(_("Districts")[:31])
    districts.append([_("District"), _("Sites"), _("Activities held"), _("Opinions received"),
                      _("Resolved (%)"), _("Satisfaction (%)"), _("Mean index")])
    for values in district_rows(data):
        districts.append(values)
    sites = book.create_sheet(_("Sites' effectiveness")[:31])
    sites.append([_("Code"), _("Site"), _("Kind"), _("District"), _("Tier"), _("Effectiveness index")])
    for values in site_rows(data):
        sites.append(values)
    tell(80)
    categories = book.create_sheet(_("Categories")[:31])
    categories.append([_("Category"), _("Opinions received")])
    for name, count in data["categories"]:
        categories.append([name, count])
    for ws in book.worksheets[1:]:
        for cell in ws[1]:
            cell.font = bold
        ws.column_dimensions["A"].width = 18
        ws.column_dimensions["B"].width = 30
    out = io.BytesIO()
    book.save(out)
    tell(95)
    return out.getvalue()


def registry_rows(data: dict[str, Any]) -> list[tuple[str, Any]]:
    h = data["headline"]
    return [
        (_("Liaison stations"), h.get("stations")),
        (_("Liaison points"), h.get("points")),
        (_("Townships/streets covered"), f"{h.get('townships_covered')} / {h.get('townships')}"),
        (_("Deputies"), h.get("deputies")),
        (_("Deputies assigned to a site (%)"), h.get("assigned_share")),
        (_("Exemplary stations"), h.get("exemplary_stations")),
        (_("Exemplary points"), h.get("exemplary_points")),
    ]


def render_pdf(data: dict[str, Any], language: str, progress: Any = None) -> bytes:
    """The A4 PDF: the same figures as the workbook, charts drawn by matplotlib as SVG."""
    import weasyprint  # type: ignore[import-untyped]
    from django.template.loader import render_to_string

    from . import report_charts

    tell = progress or (lambda percent: None)
    charts = {
        "trend": report_charts.trend_chart(data["trend"]),
        "categories": report_charts.categories_chart(data["categories"][:10]),
        "districts": report_charts.districts_chart(district_rows(data)),
    }
    tell(75)
    html = render_to_string("dashboard/report_pdf.html", {
        **data, "charts": {k: report_charts.data_uri(v) for k, v in charts.items()},
        "registry": registry_rows(data), "site_table": site_rows(data), "district_table": district_rows(data),
        "LANGUAGE_CODE": language,
    })
    content: bytes = weasyprint.HTML(string=html).write_pdf()
    tell(95)
    return content


def render(region: Region, period: str, start: datetime.date, fmt: str, language: str,
           progress: Any = None) -> bytes:
    from django.utils import translation

    _unused, end = period_bounds(period, start)
    with translation.override(language):
        data = report_data(region, period, start, end, progress)
        if fmt == Format.XLSX:
            return render_xlsx(data, progress)
        return render_pdf(data, language, progress)


def file_name(report: WorkReport) -> str:
    return f"work-report-{report.region.code}-{report.period}-{report.starts_on:%Y-%m}.{report.format}"


# ---- the request and the task's body --------------------------------------------------------------------


def request_report(user: User, code: str, period: str, day: datetime.date, fmt: str, language: str = "zh-hans",
                   request: Any = None) -> WorkReport:
    """Queue a report (built by ``report_tasks.build_work_report``); checks the area, period and format."""
    from lianxin.accounts.audit import log_action
    from lianxin.core.documents import DocumentBusy, request_document

    from . import report_tasks

    if fmt not in Format.values:
        raise ReportError("format", _("Unknown format “%(format)s”: choose PDF or Excel.") % {"format": fmt})
    region = check_area(user, code)
    start, end = check_period(period, day)
    lookup = {"region": region, "period": period, "starts_on": start, "ends_on": end, "format": fmt}
    with transaction.atomic():
        try:
            report = request_document(WorkReport, lookup, user, language, report_tasks.build_work_report,
                                      _("This report is already being prepared."))
        except DocumentBusy as busy:
            raise ReportError("busy", busy.message) from None
        WorkReport.objects.filter(pk=report.pk).update(progress=0)
        report.progress = 0
        log_action(user, "dashboard.work_report", region, {"period": period, "start": str(start), "format": fmt},
                   request)
    return report


def build_report(report_id: int) -> bool:
    """The task's body: render with progress reported on the row, store the file (progress 100, ready)."""
    from lianxin.core.documents import build_document

    def tell(percent: int) -> None:
        WorkReport.objects.filter(pk=report_id).update(progress=percent)

    def make(report: WorkReport) -> tuple[bytes, dict[str, Any]]:
        tell(5)
        content = render(report.region, report.period, report.starts_on, report.format, report.language, tell)
        return content, {"progress": 100}

    return build_document(WorkReport, report_id, make, f"report.{Format.XLSX}")

"""The staff dashboard (看板): headline figures, effectiveness, quiet sites and deputies, districts, trends,
categories, overdue matters and the offline map, all scoped to the viewer's area.

Every figure comes from ``lianxin.dashboard.figures`` (roll-ups, fixed number of queries); this module only
parses the period and the "since" date, shapes the figures for the template and the charts (embedded as
JSON, drawn by ``dashboard/board.js``) and queues a refresh of the roll-ups for a city admin.
"""

from __future__ import annotations

import datetime
import html
from dataclasses import asdict, is_dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianxin.accounts.decorators import staff_required
from lianxin.accounts.models import Role
from lianxin.core import clock
from lianxin.core.export import xlsx_response
from lianxin.stations.models import Station

from . import coverage as cov
from . import effectiveness, figures

DEFAULT_SINCE = datetime.date(2020, 1, 1)
EARLIEST = datetime.date(1990, 1, 1)
TOP = 10  # rows at each end of the effectiveness table
SITES_PER_PAGE = 50
# Roles whose area is made of liaison sites; handling units and auditors get a short page instead.
BOARD_ROLES = (Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.SITE_MANAGER, Role.DEPUTY)


def can_see_board(user: Any) -> bool:
    return bool(user.is_superuser or getattr(user, "role", "") in BOARD_ROLES)


def can_refresh(user: Any) -> bool:
    return bool(user.is_superuser or getattr(user, "role", "") == Role.CITY_ADMIN)


# ---- parameters -----------------------------------------------------------------------------------------------


def parse_since(request: HttpRequest) -> datetime.date:
    """The "since" date of the headline figures; a bad one gets a message and the default is used."""
    raw = request.GET.get("since", "").strip()
    if not raw:
        return DEFAULT_SINCE
    try:
        value = datetime.date.fromisoformat(raw)
    except ValueError:
        messages.error(request, _("“%(value)s” is not a date (use YYYY-MM-DD); the figures are since %(default)s.")
                       % {"value": raw[:20], "default": DEFAULT_SINCE.isoformat()})
        return DEFAULT_SINCE
    if value > clock.today() or value < EARLIEST:
        messages.error(request, _("The date must lie between %(earliest)s and today; the figures are since "
                                  "%(default)s.") % {"earliest": EARLIEST.isoformat(),
                                                     "default": DEFAULT_SINCE.isoformat()})
        return DEFAULT_SINCE
    return value


def _month_start(day: datetime.date, back: int = 0) -> datetime.date:
    index = day.year * 12 + day.month - 1 - back
    return datetime.date(index // 12, index % 12 + 1, 1)


def periods(today: datetime.date) -> list[tuple[str, str, datetime.date, datetime.date]]:
    """The periods of the effectiveness index: (key, label, first day, last day), the default first."""
    rows = [("12m", _("Last 12 months"), _month_start(today, 11), today)]
    for year in (today.year, today.year - 1):
        for quarter in range(4, 0, -1):
            start = datetime.date(year, 3 * quarter - 2, 1)
            if start > today:
                continue
            end = _month_start(start, -3) - datetime.timedelta(days=1)
            rows.append((f"{year}-q{quarter}", _("%(year)d, Q%(quarter)d") % {"year": year, "quarter": quarter},
                         start, min(end, today)))
    for year in range(today.year, today.year - 5, -1):
        rows.append((str(year), _("Year %(year)d") % {"year": year}, datetime.date(year, 1, 1),
                     min(datetime.date(year, 12, 31), today)))
    return rows


def parse_period(request: HttpRequest) -> tuple[str, str, datetime.date, datetime.date]:
    """The chosen period of the effectiveness index; an unknown one gets a message and the default."""
    options = periods(clock.today())
    key = request.GET.get("period", "").strip()
    if not key:
        return options[0]
    for option in options:
        if option[0] == key:
            return option
    messages.error(request, _("Unknown period; showing the last 12 months."))
    return options[0]


# ---- shaping ------------------------------------------------------------------------------------------------


def _row(item: Any) -> dict[str, Any]:
    if is_dataclass(item) and not isinstance(item, type):
        return asdict(item)
    return dict(item)


def _number(value: Any) -> Any:
    """A JSON-ready number (Decimal → float), None kept."""
    if value is None or isinstance(value, (int, float)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


_URL_MARK = 987654321


def _site_url(station_id: int) -> str:
    return reverse("stations:detail", args=[station_id])


def _site_urls() -> Any:
    """``station id → staff site page`` without a ``reverse()`` per site (hundreds on a city's map)."""
    pattern = reverse("stations:detail", args=[_URL_MARK])
    head, tail = pattern.split(str(_URL_MARK))
    return lambda station_id: f"{head}{station_id}{tail}"


def map_table(points: list[dict[str, Any]]) -> str:
    """The map's numbers as table rows, built in one pass (the template engine took ~0.3 ms a row; every
    value is escaped here)."""
    if not points:
        return format_html('<tr><td colspan="6" class="text-muted">{}</td></tr>', _("No site has coordinates."))
    row = ('<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td class="text-end">{}</td>'
           '<td class="text-end">{}</td><td class="text-end">{}</td></tr>')
    return mark_safe("\n".join(  # noqa: S308 - every value below goes through escape()
        row.format(*(html.escape(str(value)) for value in (
            p["url"], p["name"], p["kind_label"], p["tier_label"],
            "—" if p["index"] is None else f"{p['index']:.1f}", p["lng"], p["lat"])))
        for p in points))


def headline_links(since: datetime.date) -> dict[str, str]:
    """The list behind each headline figure, with its filters (the lists scope by the viewer themselves)."""
    day = since.isoformat()
    stations = reverse("stations:list")
    return {
        "stations": f"{stations}?kind=station&status=active",
        "points": f"{stations}?kind=point&status=active",
        "townships": f"{reverse('dashboard:coverage')}?show=townships",
        "deputies": f"{reverse('deputies:list')}?active=1",
        "unassigned": f"{reverse('dashboard:coverage')}?show=deputies",
        "activities": f"{reverse('activities:list')}?status=held&since={day}",
        "opinions": f"{reverse('opinions:list')}?created_from={day}",
        "resolved": f"{reverse('opinions:list')}?status=closed&created_from={day}",
        "exemplary_stations": f"{stations}?kind=station&tier=exemplary",
        "exemplary_points": f"{stations}?kind=point&tier=exemplary",
    }


def chart_data(districts: list[dict[str, Any]], trends: list[dict[str, Any]],
               categories: list[tuple[str, int]], points: list[dict[str, Any]]) -> dict[str, Any]:
    """What ``board.js`` draws: plain numbers and translated labels."""
    # labels made strings once (a lazy label per site costs a translation lookup each)
    kinds = {key: str(label) for key, label in Station.Kind.choices}
    tiers = {key: str(label) for key, label in Station.Tier.choices}
    return {
        "labels": {
            "activities": _("Activities held"), "receptions": _("Reception days held"),
            "opinions": _("Opinions received"), "resolved": _("Matters resolved"),
            "satisfaction": _("Satisfied (%)"), "index": _("Effectiveness index"), "mean_index": _("Mean index"),
            "opinions_count": _("Opinions"), "no_index": _("No data in the period"),
            "longitude": _("Longitude"), "latitude": _("Latitude"), "outline": _("District outline"),
            "tiers": tiers,
        },
        "trends": [{key: (str(value) if key == "month" else _number(value)) for key, value in row.items()}
                   for row in trends],
        "districts": [{"name": str(row.get("name", "")), "activities": _number(row.get("activities")),
                       "opinions": _number(row.get("opinions")), "mean_index": _number(row.get("mean_index"))}
                      for row in districts],
        "categories": [[str(name), int(count)] for name, count in categories],
        "map": [{"id": p["id"], "name": str(p["name"]), "kind": str(p.get("kind", "")),
                 "kind_label": kinds.get(p.get("kind", ""), ""), "tier": str(p.get("tier", "")),
                 "tier_label": tiers.get(p.get("tier", ""), ""), "lat": _number(p.get("lat")),
                 "lng": _number(p.get("lng")), "index": _number(p.get("index")),
                 "district": str(p.get("district", "")), "url": p.get("url") or _site_url(p["id"])}
                for p in points if p.get("lat") is not None and p.get("lng") is not None],
    }


def split_effects(effects: list[Any]) -> tuple[list[Any], list[Any], list[Any]]:
    """Top ten, bottom ten (worst first; with fewer than twenty sites the two lists overlap) and the sites
    without data."""
    ranked = [effect for effect in effects if effect.index is not None]
    quiet = [effect for effect in effects if effect.index is None]
    top = ranked[:TOP]
    bottom = list(reversed(ranked[-TOP:]))
    return top, bottom, quiet


# ---- views --------------------------------------------------------------------------------------------------


@staff_required
def board(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not can_see_board(user):
        return render(request, "dashboard/board_none.html")
    since = parse_since(request)
    period, period_label, start, end = parse_period(request)
    scope = cov.scope_for(user)
    effects = figures.effectiveness(scope, start, end)
    top, bottom, no_data = split_effects(effects)
    districts = figures.districts(scope, start, end)
    trends = figures.trends(scope, months=24)
    categories = figures.categories(scope, start, end)
    # the map shows the same index as the table: its points come from the same figures (no second pass)
    site_url = _site_urls()
    points = [{"id": e.station_id, "name": e.name, "kind": e.kind, "tier": e.tier, "lat": e.lat, "lng": e.lng,
               "index": e.index, "district": e.district, "url": site_url(e.station_id)}
              for e in effects if e.lat is not None and e.lng is not None]
    charts = chart_data(districts, trends, categories, points)
    return render(request, "dashboard/board.html", {
        "since": since, "default_since": DEFAULT_SINCE, "today": clock.today(),
        "period": period, "period_label": period_label, "start": start, "end": end,
        "periods": [(key, label) for key, label, _start, _end in periods(clock.today())],
        "headline": figures.headline(scope, since), "links": headline_links(since),
        "top": top, "bottom": bottom, "no_data": no_data, "ranked": len(effects) - len(no_data),
        "formula": effectiveness.formula_text(),
        "quiet_sites": figures.quiet_sites(scope), "quiet_deputies": figures.quiet_deputies(scope),
        "districts": districts, "trends": trends, "categories": categories,
        "overdue": figures.overdue(scope), "points": points,
        "charts": charts, "map_rows": map_table(charts["map"]),
        "last_refresh": figures.last_refresh(), "can_refresh": can_refresh(user),
    })


def site_headers() -> list[str]:
    return [_("Site code"), _("Site"), _("Kind"), _("District / county"), _("Tier"), _("Activities per month"),
            _("Reception days held (%)"), _("Attendance (%)"), _("Opinions per reception day"),
            _("Answered on time (%)"), _("Resolved (%)"), _("Satisfied (%)"), _("Repeat complaints (%)"),
            _("Index")]


@staff_required
def board_sites(request: HttpRequest) -> HttpResponse:
    """Every site of the area by its effectiveness index (best first, sites without data last)."""
    user: Any = request.user
    if not can_see_board(user):
        raise PermissionDenied
    period, period_label, start, end = parse_period(request)
    effects = figures.effectiveness(cov.scope_for(user), start, end)
    if request.GET.get("export") == "xlsx":
        rows = ([e.code, e.name, e.kind_label, e.district, e.tier_label,
                 *(None if v is None else round(v, 2) for v in e.cells), e.index] for e in effects)
        return xlsx_response(_("site-effectiveness-%(start)s-%(end)s.xlsx") % {"start": start, "end": end},
                             site_headers(), rows)
    page = Paginator(effects, SITES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "dashboard/board_sites.html", {
        "page": page, "total": len(effects), "period": period, "period_label": period_label,
        "start": start, "end": end,
        "periods": [(key, label) for key, label, _start, _end in periods(clock.today())],
        "formula": effectiveness.formula_text(), "last_refresh": figures.last_refresh(),
    })


@staff_required
@require_POST
def board_refresh(request: HttpRequest) -> HttpResponse:
    """Queue a rebuild of the roll-ups (a city admin); the page says when the figures were last refreshed."""
    user: Any = request.user
    if not can_refresh(user):
        raise PermissionDenied
    from lianxin.accounts.audit import log_action

    from . import tasks

    tasks.refresh_rollups_now(True)
    log_action(user, "dashboard.refresh", None, {}, request)
    messages.success(request, _("The figures are being refreshed; reload the page in a minute."))
    return redirect("dashboard:board")

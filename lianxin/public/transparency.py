"""The public transparency page (/transparency/): honest aggregate figures, no personal data.

Shows the city's headline figures since 2020 and each district's work (``lianxin.dashboard.figures``),
the 20 matters resolved most recently (category, site, district, date closed and the title with every run
of five or more digits masked — never the citizen's name, phone or the reply), the number of exemplary
sites, open consultations on draft laws and upcoming reception days, each linking to its public page.

The figures are the same for everyone, so they are computed once per ``CACHE_SECONDS`` (a fixed number of
queries) and kept in the cache; the page around them is rendered per request (language, large text).
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from lianxin.core import clock

CACHE_KEY = "public:transparency:v1"
CACHE_SECONDS = 300
SINCE = datetime.date(2020, 1, 1)  # the period of the published figures (as in the deployment's reporting)
RECENT = 20
CONSULTATIONS = 5
RECEPTION_DAYS = 8

DIGITS = re.compile(r"\d{5,}")


def mask_digits(text: str) -> str:
    """Replace every run of five or more digits (phone, ID, house numbers …) by as many asterisks."""
    return DIGITS.sub(lambda match: "*" * len(match.group()), text)


def _district_of(path: str, districts: dict[str, str]) -> str:
    for prefix, name in districts.items():
        if path.startswith(prefix):
            return name
    return ""


def recent_resolved(root_path: str | None, districts: dict[str, str]) -> list[dict[str, Any]]:
    """The newest matters closed as resolved: public fields only, titles masked."""
    from lianxin.opinions.models import Opinion, Outcome, Status
    from lianxin.regions.models import subtree_q

    rows = Opinion.objects.filter(status=Status.CLOSED, outcome=Outcome.RESOLVED, closed_at__isnull=False)
    if root_path:
        rows = rows.filter(subtree_q("region_path", root_path))
    values = rows.order_by("-closed_at", "-id").values_list(
        "title", "closed_at", "category__name", "station__name", "region_path")[:RECENT]
    return [{"title": mask_digits(title), "closed_on": timezone.localdate(closed), "category": category, "site": site or "",
             "district": _district_of(path, districts)}
            for title, closed, category, site, path in values]


def transparency_data() -> dict[str, Any]:
    """Everything the page shows, computed with a fixed number of queries."""
    from lianxin.activities.models import Activity, Kind
    from lianxin.dashboard import figures
    from lianxin.legislation.models import Consultation
    from lianxin.regions.models import Region

    from .services import deployment_root

    today, now = clock.today(), clock.now()
    root = deployment_root()
    headline: dict[str, Any] = {}
    district_rows: list[Any] = []
    if root is not None:
        scope = figures.scope_for_region(root)
        headline = dict(figures.headline(scope, SINCE))
        district_rows = [_public_district(row) for row in figures.districts(scope, SINCE, today)]
    districts = dict(Region.objects.filter(level=Region.Level.COUNTY).values_list("path", "name"))
    consultations = list(
        Consultation.objects.public().filter(status=Consultation.Status.OPEN, opens_on__lte=today,
                                             closes_on__gte=today)
        .order_by("closes_on", "id").values("id", "title", "organiser", "closes_on")[:CONSULTATIONS])
    days = list(
        Activity.objects.public().filter(kind=Kind.RECEPTION, status=Activity.Status.PUBLISHED, starts_at__gt=now)
        .order_by("starts_at", "id").values("id", "starts_at", "station__name", "station__code")[:RECEPTION_DAYS])
    return {
        "root": {"name": root.name} if root is not None else None,
        "since": SINCE,
        "today": today,
        "headline": headline,
        "districts": district_rows,
        "resolved": recent_resolved(root.path if root is not None else None, districts),
        "exemplary": (headline.get("exemplary_stations") or 0) + (headline.get("exemplary_points") or 0),
        "consultations": consultations,
        "reception_days": days,
        "made_at": now,
    }


def _field(row: Any, *names: str) -> Any:
    for name in names:
        if isinstance(row, dict) and name in row:
            return row[name]
        if hasattr(row, name):
            return getattr(row, name)
    return None


def _public_district(row: Any) -> dict[str, Any]:
    """Only the aggregate columns of a district row (nothing else goes into the public cache)."""
    return {
        "name": _field(row, "name", "district"),
        "sites": _field(row, "sites"),
        "activities": _field(row, "activities"),
        "opinions": _field(row, "opinions"),
        "resolved_share": _field(row, "resolved_share", "resolved_rate"),
        "satisfaction": _field(row, "satisfaction", "satisfaction_share"),
    }


@require_GET
def transparency(request: HttpRequest) -> HttpResponse:
    data = cache.get(CACHE_KEY)
    if data is None:
        data = transparency_data()
        cache.set(CACHE_KEY, data, CACHE_SECONDS)
    return render(request, "public/transparency.html", data)

"""Public pages (no account): the exemplary sites by year of designation and kind, with a district filter.

Only current designations (not withdrawn) of published campaigns are shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from lianxin.public.services import deployment_root, directory_districts, district_code_of
from lianxin.regions.models import Region, subtree_q
from lianxin.stations.models import Station

from .models import Designation


def public_designations() -> QuerySet[Designation]:
    """Current designations of published campaigns, with what the list shows (one query)."""
    return (Designation.objects.current().filter(campaign__published_at__isnull=False,
                                                 station__status=Station.Status.ACTIVE)
            .select_related("station", "campaign"))


@dataclass
class KindGroup:
    kind: str
    label: Any
    rows: list[tuple[Designation, str]] = field(default_factory=list)  # (designation, district name)


@dataclass
class YearGroup:
    year: int
    kinds: list[KindGroup] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(kind.rows) for kind in self.kinds)


def _grouped(rows: list[Designation], districts: list[Region], root: Region | None) -> list[YearGroup]:
    names = {district.code: district.name for district in districts}
    years: dict[int, dict[str, KindGroup]] = {}
    for row in rows:
        kinds = years.setdefault(row.year, {})
        site = row.station
        group = kinds.setdefault(site.kind, KindGroup(site.kind, Station.Kind(site.kind).label))
        district = names.get(district_code_of(site, root), "") if root is not None else ""
        group.rows.append((row, district))
    order: dict[str, int] = {Station.Kind.STATION: 0, Station.Kind.POINT: 1}
    return [YearGroup(year, sorted(kinds.values(), key=lambda group: order.get(group.kind, 9)))
            for year, kinds in sorted(years.items(), reverse=True)]


def _page(request: HttpRequest, year: int | None) -> HttpResponse:
    root = deployment_root()
    districts = directory_districts(root)
    rows = public_designations()
    if year is not None:
        rows = rows.filter(year=year)
    selected = next((d for d in districts if d.code == request.GET.get("district", "")), None)
    if selected is not None:
        rows = rows.filter(subtree_q("station__region_path", selected.path))
    rows = rows.order_by("-year", "station__kind", "station__region_path", "station__code")
    years = list(public_designations().order_by("-year").values_list("year", flat=True).distinct())
    if year is not None and year not in years:
        raise Http404
    groups = _grouped(list(rows), districts, root)
    return render(request, "campaigns/public_index.html", {
        "groups": groups, "year": year, "years": years, "districts": districts, "district": selected,
        "total": sum(group.count for group in groups),
    })


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return _page(request, None)


@require_GET
def year(request: HttpRequest, year: int) -> HttpResponse:
    return _page(request, year)

"""Public endpoints (no account): the site directory, a site's page and a deputy's page.

Only active sites and deputies, and only what the public pages show: no deputy's phone,
birth year or home; a site's contact phone is its office line.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

from django.db.models import Case, ExpressionWrapper, F, FloatField, Prefetch, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router
from pydantic import field_validator

from lianxin.core.pagination import keyset_page
from lianxin.deputies.models import Assignment, Deputy, Seat
from lianxin.regions.models import Region
from lianxin.stations.models import Station

from .common import PageParams, page_response, region_filter
from .schemas import ErrorOut, PublicDeputyOut, PublicStationDetail, PublicStationPage, ValidationErrorOut

router = Router(tags=["public"], auth=None)

NEAREST_COUNT = 10
# Nearest sites are first sought in a box of about ±20 km (served by the latitude/longitude
# index); only when that holds too few sites is the whole directory ranked.
NEAR_BOX_DEGREES = Decimal("0.2")
EARTH_RADIUS_M = 6_371_000
NEAR_PATTERN = re.compile(r"^\s*(-?\d{1,3}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$")


def parse_near(value: str) -> tuple[Decimal, Decimal]:
    match = NEAR_PATTERN.match(value)
    if not match:
        raise ValueError(_("Give a location as “latitude,longitude”, e.g. 37.87,112.55."))
    lat, lng = Decimal(match[1]), Decimal(match[2])
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ValueError(_("Latitude must be between -90 and 90 and longitude between -180 and 180."))
    return lat, lng


class PublicStationFilters(PageParams):
    district: str | None = Field(None, description="Division code of a district (or any region): its sites.")
    q: str | None = Field(None, max_length=50, description="Words in the site's name or address.")
    near: str | None = Field(
        None, description="`latitude,longitude`: the 10 nearest sites, nearest first, with their distance."
    )

    @field_validator("near")
    @classmethod
    def _check_near(cls, value: str | None) -> str | None:
        if value is not None:
            parse_near(value)
        return value


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> int:
    """Great-circle distance (haversine), rounded to the metre."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * EARTH_RADIUS_M * math.asin(math.sqrt(a)))


def nearest(stations: QuerySet[Station], lat: Decimal, lng: Decimal, count: int = NEAREST_COUNT) -> list[Station]:
    # Ranked by squared equirectangular distance: the same order as true distance at city scale,
    # and plain arithmetic that SQLite and PostgreSQL both compute.
    k = Decimal(str(round(math.cos(math.radians(float(lat))), 6)))
    dlat = F("latitude") - Value(lat)
    dlng = (F("longitude") - Value(lng)) * Value(k)
    ranked = stations.annotate(
        rank=ExpressionWrapper(dlat * dlat + dlng * dlng, output_field=FloatField())
    ).order_by("rank", "id")
    box = ranked.filter(
        latitude__range=(lat - NEAR_BOX_DEGREES, lat + NEAR_BOX_DEGREES),
        longitude__range=(lng - NEAR_BOX_DEGREES, lng + NEAR_BOX_DEGREES),
    )
    rows: list[Station] = list(box[:count])
    if len(rows) < count:
        rows = list(ranked[:count])
    for station in rows:
        here = (float(station.latitude), float(station.longitude))
        station.distance_m = distance_m(float(lat), float(lng), *here)  # type: ignore[attr-defined]
    return rows


def attach_districts(stations: list[Station]) -> None:
    """Set ``station.district`` (the county-level region above it) with one query for the page."""
    codes = {code for s in stations for code in s.region_path.strip("/").split("/")}
    districts = {
        r.code: r for r in Region.objects.filter(code__in=codes, level=Region.Level.COUNTY).only("code", "name")
    }
    for station in stations:
        station.district = next(  # type: ignore[attr-defined]
            (districts[c] for c in station.region_path.strip("/").split("/") if c in districts), None
        )


def _current_seats() -> Prefetch:
    return Prefetch("seats", queryset=Seat.objects.current().select_related("constituency"), to_attr="current_seats")


@router.get("/stations", response={200: PublicStationPage, 422: ValidationErrorOut}, summary="Site directory")
def public_stations(request: Any, filters: Query[PublicStationFilters]) -> Any:
    """Active liaison sites, by district or keyword, or the ten nearest to a location."""
    qs = Station.objects.active().select_related("region")
    if filters.district:
        qs = qs.in_region(region_filter(Region.objects.all(), filters.district, "district"))
    if filters.q:
        qs = qs.filter(Q(name__icontains=filters.q) | Q(address__icontains=filters.q))
    if filters.near:
        rows = nearest(qs, *parse_near(filters.near))
        attach_districts(rows)
        return {"items": rows, "next_cursor": None}
    page = keyset_page(qs, ("region_path", "code", "id"), filters.cursor, filters.limit)
    attach_districts(page.rows)
    return page_response(page)


@router.get("/stations/{code}", response={200: PublicStationDetail, 404: ErrorOut}, summary="A site's public page")
def public_station(request: Any, code: str) -> Any:
    """An active site with its deputies' names, levels and group roles (group leaders first)."""
    assignments = (
        Assignment.objects.current()
        .filter(deputy__active=True)
        .select_related("deputy")
        .prefetch_related(Prefetch("deputy__seats", queryset=Seat.objects.current(), to_attr="current_seats"))
        .order_by(Case(When(role=Assignment.Role.LEADER, then=0), default=1), "deputy__name", "deputy_id")
    )
    station = get_object_or_404(
        Station.objects.active()
        .select_related("region")
        .prefetch_related(Prefetch("assignments", queryset=assignments, to_attr="current_assignments")),
        code=code,
    )
    attach_districts([station])
    return station


@router.get(
    "/deputies/{public_code}", response={200: PublicDeputyOut, 404: ErrorOut}, summary="A deputy's public page"
)
def public_deputy(request: Any, public_code: str) -> Any:
    """An active deputy: name, work, profile, current seats and the active sites the deputy serves at."""
    sites = Assignment.objects.current().filter(station__status=Station.Status.ACTIVE).select_related("station")
    return get_object_or_404(
        Deputy.objects.public().prefetch_related(
            _current_seats(), Prefetch("assignments", queryset=sites, to_attr="current_assignments")
        ),
        public_code=public_code,
    )

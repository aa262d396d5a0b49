"""Coverage (覆盖): where the network of sites and mixed groups still has gaps.

Four gaps, each a queryset (the drill-down lists page and export them):

- townships/streets without an active liaison station (kind=station) anywhere in their subtree;
- active deputies without a current assignment;
- active sites without current deputies;
- active sites whose current deputies all hold seats of one level (a mixed group needs two or more).

``summary`` computes the four figures and the breakdown by district with a fixed number of queries
whatever the size of the area (five): townships and sites come back one narrow row each, the size
and level span of every site's group come from one aggregate over current assignments and seats,
and everything is bucketed by district in Python by the district's prefix of the region path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Concat

from lianxin.accounts.scope import admin_region
from lianxin.deputies.models import Assignment, Deputy, DeputyQuerySet, Seat
from lianxin.regions.models import PATH_END, Region, RegionQuerySet
from lianxin.stations.models import Station, StationQuerySet

if TYPE_CHECKING:
    from lianxin.accounts.models import User

GAPS = ("townships", "deputies", "empty_sites", "single_level")


@dataclass
class Scope:
    """The area a user's coverage page covers."""

    stations: StationQuerySet  # sites the user sees (any status)
    deputies: DeputyQuerySet  # active deputies the user sees
    townships: RegionQuerySet  # townships/streets of the area
    districts: RegionQuerySet  # rows of the breakdown
    region: Region | None = None  # the admin's area, None for superusers and site-scoped roles


def scope_for(user: User) -> Scope:
    T, C = Region.Level.TOWNSHIP, Region.Level.COUNTY
    stations = Station.objects.visible_to(user)
    deputies = Deputy.objects.visible_to(user).active()
    region = admin_region(user)
    if user.is_superuser and region is None:
        regions = Region.objects.all()
        return Scope(stations, deputies, regions.filter(level=T), regions.filter(level=C))
    if region is not None:
        area = Region.objects.subtree(region)
        districts = area.filter(level=C) if region.level <= C else Region.objects.filter(pk=region.pk)
        return Scope(stations, deputies, area.filter(level=T), districts, region)
    # Site managers and deputies: the townships and districts that contain their sites.
    prefixes: set[str] = set()
    for path in stations.values_list("region_path", flat=True).distinct():
        parts = path.strip("/").split("/")
        prefixes.update("/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts)))
    regions = Region.objects.filter(path__in=prefixes)
    return Scope(stations, deputies, regions.filter(level=T), regions.filter(level=C))


# --- the four gaps as querysets ------------------------------------------------------------------


def _station_in_subtree() -> Exists:
    # A range on region_path bounded by the outer township's path: the (status, region_path) index.
    return Exists(
        Station.objects.active().filter(
            kind=Station.Kind.STATION,
            region_path__gte=OuterRef("path"),
            region_path__lt=Concat(OuterRef("path"), Value(PATH_END), output_field=CharField()),
        )
    )


def townships_without_station(scope: Scope) -> RegionQuerySet:
    return scope.townships.exclude(_station_in_subtree())


def deputies_without_site(scope: Scope) -> DeputyQuerySet:
    return scope.deputies.exclude(Exists(Assignment.objects.current().filter(deputy=OuterRef("pk"))))


def group_levels() -> QuerySet:
    """Per site with current active deputies: their number and the lowest and highest level of their
    current seats. ``lo == hi`` means a single level; mixed groups differ. Min/max need no DISTINCT,
    so the database can hash-aggregate one pass over current assignments and seats.
    """
    current_seat = Q(deputy__seats__ended_on__isnull=True)
    return (
        Assignment.objects.current().filter(deputy__active=True).order_by().values("station_id")
        .annotate(
            n=Count("deputy_id", distinct=True),
            lo=Min("deputy__seats__level", filter=current_seat),
            hi=Max("deputy__seats__level", filter=current_seat),
        )
    )


def sites_without_deputies(scope: Scope) -> StationQuerySet:
    current = Assignment.objects.current().filter(station=OuterRef("pk"), deputy__active=True)
    return scope.stations.active().exclude(Exists(current))


def single_level_sites(scope: Scope) -> StationQuerySet:
    """Active sites whose current deputies hold seats of one level only (or of none), with that level.

    The ids come first from the per-site aggregate restricted to the area (one query): used as an
    ``IN (subquery)`` PostgreSQL re-ran the aggregate over every assignment of the deployment.
    """
    active = scope.stations.active()
    single = list(
        group_levels().filter(station__in=active).filter(Q(lo=F("hi")) | Q(lo__isnull=True))
        .values_list("station_id", flat=True)
    )
    level = (
        Seat.objects.current()
        .filter(deputy__active=True, deputy__assignments__station=OuterRef("pk"),
                deputy__assignments__ended_on__isnull=True)
        .order_by("level").values("level")[:1]
    )
    size = (
        Assignment.objects.current().filter(station=OuterRef("pk"), deputy__active=True)
        .order_by().values("station_id").annotate(c=Count("deputy_id", distinct=True)).values("c")
    )
    return active.filter(pk__in=single).annotate(
        top_level=Subquery(level), n_deputies=Subquery(size, output_field=IntegerField())
    )


# --- figures and breakdown -------------------------------------------------------------------


@dataclass
class DistrictRow:
    region: Region
    townships: int = 0
    stations: int = 0
    points: int = 0
    deputies: int = 0
    gaps: int = 0


@dataclass
class Coverage:
    figures: dict[str, int]
    totals: dict[str, int]
    rows: list[DistrictRow] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing in the user's area (e.g. a handling unit's account): no coverage to speak of."""
        return not (self.totals["townships"] or self.totals["stations"] or self.totals["points"]
                    or self.figures["deputies"])

    @property
    def full(self) -> bool:
        return not self.empty and not any(self.figures.values())


class _Buckets:
    """Find the breakdown row of a region path by its prefix (rows may have paths of several lengths)."""

    def __init__(self, rows: list[DistrictRow]) -> None:
        self.by_path = {row.region.path: row for row in rows}
        self.lengths = sorted({len(path) for path in self.by_path})

    def find(self, path: str | None) -> DistrictRow | None:
        if not path:
            return None
        for length in self.lengths:
            row = self.by_path.get(path[:length])
            if row is not None:
                return row
        return None


def summary(scope: Scope) -> Coverage:
    rows = [DistrictRow(region) for region in scope.districts.order_by("path")]
    buckets = _Buckets(rows)
    figures = dict.fromkeys(GAPS, 0)
    totals = {"townships": 0, "stations": 0, "points": 0, "deputies_at_sites": 0}

    townships = scope.townships.annotate(covered=_station_in_subtree()).order_by().values_list("path", "covered")
    for path, covered in townships:
        row = buckets.find(path)
        totals["townships"] += 1
        if row:
            row.townships += 1
        if not covered:
            figures["townships"] += 1
            if row:
                row.gaps += 1

    active = scope.stations.active()
    groups = {
        station_id: (n, lo, hi)
        for station_id, n, lo, hi in group_levels().filter(station__in=active).values_list("station_id", "n", "lo", "hi")
    }
    for station_id, path, kind in active.order_by().values_list("id", "region_path", "kind"):
        row = buckets.find(path)
        key = "stations" if kind == Station.Kind.STATION else "points"
        totals[key] += 1
        n, lo, hi = groups.get(station_id, (0, None, None))
        totals["deputies_at_sites"] += n
        gap = "empty_sites" if n == 0 else "single_level" if lo is None or lo == hi else ""
        if gap:
            figures[gap] += 1
        if row:
            setattr(row, key, getattr(row, key) + 1)
            row.deputies += n
            row.gaps += bool(gap)

    # Deputies without a site are counted in the district of their home address.
    for home in deputies_without_site(scope).values_list("home_region__path", flat=True):
        figures["deputies"] += 1
        row = buckets.find(home)
        if row:
            row.gaps += 1
    return Coverage(figures=figures, totals=totals, rows=rows)

"""The dashboard's figures, for the staff dashboard, the work reports and the transparency page.

Every function takes a ``Scope`` — ``coverage.scope_for(user)`` for a viewer, ``scope_for_region(region)``
for an area — reads the roll-ups (``models.SiteMonth``, ``CategoryMonth``, ``SiteLatest``,
``DeputyLatest``; see their docstrings for the definitions) except for the registry counts and the live
overdue list, and runs a fixed number of queries whatever the number of rows. Figures from the roll-ups
are as of ``last_refresh()``; periods are whole calendar months (``start``'s month to ``end``'s month),
except ``headline``'s ``since``, whose partial first month is counted from the rows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import connections
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property

from lianxin.core import clock
from lianxin.deputies.models import Assignment, Deputy
from lianxin.regions.models import Region, subtree_q
from lianxin.stations.models import Station

from . import effectiveness as eff
from .coverage import Scope, _station_in_subtree
from .models import CategoryMonth, DeputyLatest, RollupState, SiteLatest, SiteMonth
from .rollups import month_bounds, month_start, next_month

QUIET_ROWS = 20  # rows listed of the quiet sites / deputies (the count covers them all)
OVERDUE_ROWS = 10
QUIET_DEPUTY_DAYS = 180

SUMS = ("activities", "citizens", "attendance_expected", "attendance_attended", "reception_planned",
        "reception_due", "reception_held", "reception_cancelled", "opinions", "replied", "replied_on_time",
        "closed", "resolved", "not_resolved", "rated", "satisfied", "repeats")


# ---- scope ----------------------------------------------------------------------------------------------------


def scope_for_region(region: Region) -> Scope:
    """The scope of an admin of ``region`` (the city or a district): for reports and the public page."""
    stations = Station.objects.filter(subtree_q("region_path", region.path))
    deputies = Deputy.objects.in_region(region).active()
    area = Region.objects.subtree(region)
    C, T = Region.Level.COUNTY, Region.Level.TOWNSHIP
    districts = area.filter(level=C) if region.level < C else Region.objects.filter(pk=region.pk)
    return Scope(stations, deputies, area.filter(level=T), districts, region)


def _area(scope: Scope, station_field: str = "station_id", path_field: str = "region_path") -> Q:
    """Roll-up or case rows within the scope: the region's subtree for an area; everything for a superuser;
    the rows of its sites for a site-scoped account."""
    if scope.region is not None:
        return subtree_q(path_field, scope.region.path)
    if not scope.stations.query.has_filters():
        return Q()
    return Q(**{f"{station_field}__in": scope.stations.order_by().values("pk")})


def months_of(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """First days of the months from ``start``'s to ``end``'s (inclusive)."""
    months, month = [], month_start(start)
    while month <= end:
        months.append(month)
        month = next_month(month)
    return months


def _period(start: datetime.date, end: datetime.date) -> Q:
    return Q(month__gte=month_start(start), month__lte=month_start(end))


def _share(top: int | None, bottom: int | None) -> float | None:
    """Percent, one decimal; None without a denominator."""
    return round(100 * (top or 0) / bottom, 1) if bottom else None


class _Districts:
    """District/county names by path prefix (one query, on first use)."""

    @cached_property
    def rows(self) -> dict[str, str]:
        return dict(Region.objects.filter(level=Region.Level.COUNTY).values_list("path", "name"))

    @cached_property
    def lengths(self) -> list[int]:
        return sorted({len(path) for path in self.rows})

    def path(self, region_path: str) -> str:
        return next((region_path[:n] for n in self.lengths if region_path[:n] in self.rows), "")

    def name(self, region_path: str) -> str:
        return self.rows.get(self.path(region_path), "")


def _raw(queryset: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of a ``values_list`` aggregate as the database driver returns them: no per-value
    converters (sums of integers are integers on SQLite and PostgreSQL alike); hundreds of rows × 17 sums."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


# ---- headline -------------------------------------------------------------------------------------------------


def headline(scope: Scope, since: datetime.date) -> dict[str, Any]:
    """The registry as it stands now, and the work since ``since`` (see the module docstring).

    The same figures as ``stats.headline_figures`` for the same area: stations and points of any status,
    exemplary ones by their current tier, active deputies and those with a current assignment, activities
    held, citizens' opinions heard and matters closed as resolved (by the month they were submitted)."""
    from lianxin.activities.models import Activity
    from lianxin.opinions.models import Channel, Opinion, Outcome, Status

    kinds, exemplary = Station.Kind, Q(tier=Station.Tier.EXEMPLARY)
    sites = scope.stations.aggregate(
        stations=Count("id", filter=Q(kind=kinds.STATION)), points=Count("id", filter=Q(kind=kinds.POINT)),
        exemplary_stations=Count("id", filter=Q(kind=kinds.STATION) & exemplary),
        exemplary_points=Count("id", filter=Q(kind=kinds.POINT) & exemplary),
    )
    townships = scope.townships.aggregate(total=Count("id"), covered=Count("id", filter=Q(_station_in_subtree())))
    # The quiet deputies' count (default window) comes with it: one pass over the area's deputies, not two.
    # IN (subquery) rather than EXISTS: PostgreSQL hashes the subquery once instead of probing per deputy.
    placed = Q(pk__in=Assignment.objects.current().order_by().values("deputy_id"))
    cutoff = clock.now() - datetime.timedelta(days=QUIET_DEPUTY_DAYS)
    busy = Q(pk__in=DeputyLatest.objects.filter(last_attended_at__gte=cutoff).order_by().values("deputy_id"))
    deputies = scope.deputies.aggregate(total=Count("id"), assigned=Count("id", filter=placed),
                                        quiet=Count("id", filter=~busy))
    scope.__dict__.setdefault("_quiet_deputies", {})[QUIET_DEPUTY_DAYS] = deputies["quiet"]

    first_whole = since if since.day == 1 else next_month(since)
    work = SiteMonth.objects.filter(_area(scope), month__gte=first_whole).aggregate(
        activities=Sum("activities"), opinions=Sum("opinions"), resolved=Sum("resolved"))
    activities, opinions, resolved = (work["activities"] or 0), (work["opinions"] or 0), (work["resolved"] or 0)
    if since.day != 1:  # the partial first month, from the rows (bounded by one month)
        low = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min))
        high = month_bounds(since)[1]
        activities += Activity.objects.filter(_area(scope), status=Activity.Status.HELD, starts_at__gte=low,
                                              starts_at__lt=high).count()
        part = Opinion.objects.exclude(channel=Channel.SUPERVISION).filter(
            _area(scope), created_at__gte=low, created_at__lt=high).aggregate(
            n=Count("id"), resolved=Count("id", filter=Q(status=Status.CLOSED, outcome=Outcome.RESOLVED)))
        opinions += part["n"]
        resolved += part["resolved"]
    return {
        "stations": sites["stations"],
        "points": sites["points"],
        "townships": townships["total"],
        "townships_covered": townships["covered"],
        "deputies": deputies["total"],
        "deputies_assigned": deputies["assigned"],
        "assigned_share": _share(deputies["assigned"], deputies["total"]) or 0.0,
        "activities": activities,
        "opinions_heard": opinions,
        "matters_resolved": resolved,
        "exemplary_stations": sites["exemplary_stations"],
        "exemplary_points": sites["exemplary_points"],
        "since": since,
    }


# ---- effectiveness --------------------------------------------------------------------------------------------


@dataclass
class SiteEffect:
    """One site's effectiveness over a period: components' values (ratios 0..1) and scores, index (None:
    no data in the period)."""

    station_id: int
    code: str
    name: str
    kind: str
    district: str
    tier: str
    lat: float | None
    lng: float | None
    values: dict[str, float | None] = field(default_factory=dict)
    scores: dict[str, float | None] = field(default_factory=dict)
    index: float | None = None
    region_path: str = ""

    @property
    def id(self) -> int:
        return self.station_id

    @property
    def district_name(self) -> str:
        return self.district

    @property
    def kind_label(self) -> str:
        return str(dict(Station.Kind.choices).get(self.kind, self.kind))

    @property
    def tier_label(self) -> str:
        return str(dict(Station.Tier.choices).get(self.tier, self.tier))

    @property
    def cells(self) -> list[float | None]:
        """The components for a table: ratios as percent, the rest as they are."""
        return [None if (value := self.values.get(key)) is None
                else value * 100 if key in eff.RATIOS else value for key in eff.COMPONENTS]


def _effects(scope: Scope, start: datetime.date, end: datetime.date, districts: _Districts) -> list[SiteEffect]:
    """The sites' effects over the period, computed once per scope object and period (a page asks for
    them for the table, the districts and the map)."""
    memo: dict[tuple[datetime.date, datetime.date], list[SiteEffect]] = scope.__dict__.setdefault("_effects", {})
    key = (month_start(start), month_start(end))
    if key not in memo:
        memo[key] = _compute_effects(scope, start, end, districts)
    return list(memo[key])


def _compute_effects(scope: Scope, start: datetime.date, end: datetime.date,
                     districts: _Districts) -> list[SiteEffect]:
    months = len(months_of(start, end))
    goal, weight = eff.targets(), eff.weights()
    summed = (SiteMonth.objects.filter(_area(scope), _period(start, end), station_id__isnull=False)
              .order_by().values("station_id").annotate(**{name: Sum(name) for name in SUMS})
              .values_list("station_id", *SUMS))
    sums = {row[0]: dict(zip(SUMS, row[1:], strict=True)) for row in _raw(summed)}
    effects = []
    sites = scope.stations.active().order_by().values_list("id", "code", "name", "kind", "tier", "region_path",
                                                           "latitude", "longitude")
    for sid, code, name, kind, tier, path, lat, lng in sites:
        values, scores, index = eff.score(sums.get(sid, {}), months, goal, weight)
        effects.append(SiteEffect(sid, code, name, kind, districts.name(path), tier,
                                  None if lat is None else float(lat), None if lng is None else float(lng),
                                  values, scores, index, path))
    effects.sort(key=lambda e: (e.index is None, -(e.index or 0), e.code))
    return effects


def effectiveness(scope: Scope, start: datetime.date, end: datetime.date) -> list[SiteEffect]:
    """Every active site of the scope with its index over ``start``…``end``, best first, no data last."""
    return _effects(scope, start, end, _Districts())


# ---- quiet sites and deputies ---------------------------------------------------------------------------------


@dataclass
class Quiet:
    """A bounded list (``rows``) and the full ``count``; iterates over the rows."""

    count: int
    rows: list[dict[str, Any]]

    def __iter__(self) -> Any:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def quiet_sites(scope: Scope, days: int = 90) -> Quiet:
    """Active sites with neither a held activity nor a citizen's opinion in the last ``days`` days."""
    cutoff = clock.now() - datetime.timedelta(days=days)
    busy = SiteLatest.objects.filter(station=OuterRef("pk")).filter(
        Q(last_activity_at__gte=cutoff) | Q(last_opinion_at__gte=cutoff))
    quiet = scope.stations.active().exclude(Exists(busy))
    count = quiet.count()
    districts = _Districts()
    rows = [{"id": sid, "code": code, "name": name, "kind": kind, "district": districts.name(path)}
            for sid, code, name, kind, path in
            quiet.order_by("region_path", "code").values_list("id", "code", "name", "kind", "region_path")[:QUIET_ROWS]]
    return Quiet(count, rows)


def _attended_since(days: int) -> Exists:
    cutoff = clock.now() - datetime.timedelta(days=days)
    return Exists(DeputyLatest.objects.filter(deputy=OuterRef("pk"), last_attended_at__gte=cutoff))


def quiet_deputies(scope: Scope, days: int = QUIET_DEPUTY_DAYS) -> Quiet:
    """Active deputies who attended no held activity in the last ``days`` days (the count already made by
    ``headline`` for the same scope object is reused)."""
    quiet = scope.deputies.exclude(_attended_since(days))
    known = scope.__dict__.get("_quiet_deputies", {}).get(days)
    count = known if known is not None else quiet.count()
    rows = [{"id": did, "name": name} for did, name in quiet.order_by("id").values_list("id", "name")[:QUIET_ROWS]]
    return Quiet(count, rows)


# ---- districts, trends, categories ----------------------------------------------------------------------------


def districts(scope: Scope, start: datetime.date, end: datetime.date) -> list[dict[str, Any]]:
    """Per district of the scope: active sites, activities held, opinions, resolved share and satisfaction
    (percent of closed / rated), the mean index of its sites with an index."""
    names = _Districts()
    rows: dict[str, dict[str, Any]] = {path: {"id": rid, "name": name, "path": path, "sites": 0, "activities": 0, "opinions": 0,
                   "resolved": 0, "closed": 0, "satisfied": 0, "rated": 0, "indexes": []}
            for rid, name, path in scope.districts.order_by("path").values_list("id", "name", "path")}
    sums = (SiteMonth.objects.filter(_area(scope), _period(start, end)).order_by().values("district_path")
            .annotate(**{name: Sum(name) for name in ("activities", "opinions", "resolved", "closed", "satisfied",
                                                      "rated")}))
    for row in sums:
        target = rows.get(row.pop("district_path"))
        if target is not None:
            for name, value in row.items():
                target[name] += value or 0
    for effect in _effects(scope, start, end, names):
        target = rows.get(names.path(effect.region_path))
        if target is not None:
            target["sites"] += 1
            if effect.index is not None:
                target["indexes"].append(effect.index)
    result = []
    for row in rows.values():
        indexes = row.pop("indexes")
        row["resolved_share"] = _share(row["resolved"], row["closed"])
        row["satisfaction"] = _share(row["satisfied"], row["rated"])
        row["mean_index"] = round(sum(indexes) / len(indexes), 1) if indexes else None
        result.append(row)
    return result


def trends(scope: Scope, months: int = 24) -> list[dict[str, Any]]:
    """The last ``months`` months up to this one, oldest first: activities, reception days held, opinions
    received, resolved (of those received that month), satisfaction (percent of rated)."""
    last = month_start(clock.today())
    first = last
    for _ in range(max(months, 1) - 1):
        first = month_start(first - datetime.timedelta(days=1))
    names = ("activities", "reception_held", "opinions", "closed", "resolved", "rated", "satisfied", "replied",
             "replied_on_time")
    found = {row.pop("month"): row for row in SiteMonth.objects.filter(_area(scope), month__gte=first,
                                                                       month__lte=last)
             .order_by().values("month").annotate(**{name: Sum(name) for name in names})}
    result = []
    for month in months_of(first, last):
        row = {name: int((found.get(month) or {}).get(name) or 0) for name in names}
        result.append({"month": month, **row, "satisfaction": _share(row["satisfied"], row["rated"])})
    return result


def categories(scope: Scope, start: datetime.date, end: datetime.date) -> list[tuple[str, int]]:
    """Citizens' opinions received in the period by category, most frequent first."""
    from lianxin.opinions.models import Category

    counts = dict(CategoryMonth.objects.filter(_area(scope), _period(start, end)).order_by()
                  .values("category_id").annotate(n=Sum("opinions")).values_list("category_id", "n"))
    named = {c.pk: str(c) for c in Category.objects.filter(pk__in=list(counts))} if counts else {}
    rows = [(named.get(cid, "?"), int(n or 0)) for cid, n in counts.items() if n]
    rows.sort(key=lambda row: (-row[1], row[0]))
    return rows


# ---- overdue, map, refresh ------------------------------------------------------------------------------------


def overdue(scope: Scope) -> dict[str, Any]:
    """Open citizens' matters past their deadline now (live): the count and the ``OVERDUE_ROWS`` oldest."""
    from lianxin.opinions.models import OPEN_STATUSES, Channel, Opinion

    now = clock.now()
    late: QuerySet[Any] = Opinion.objects.filter(_area(scope), status__in=OPEN_STATUSES, due_at__lt=now).exclude(
        channel=Channel.SUPERVISION)
    count = late.count()
    oldest = []
    for oid, title, due_at, site, unit in late.order_by("due_at", "id").values_list(
            "id", "title", "due_at", "station__name", "unit__name")[:OVERDUE_ROWS]:
        oldest.append({"id": oid, "title": title, "due_at": due_at, "site": site or "", "unit": unit or "",
                       "days_overdue": max(0, (now - due_at).days)})
    return {"count": count, "oldest": oldest}


def map_points(scope: Scope, start: datetime.date | None = None, end: datetime.date | None = None) -> list[dict[str, Any]]:
    """Active sites with coordinates: id, name, kind, tier, lat, lng, index (the last twelve months by
    default), url of the staff site page."""
    end = end or clock.today()
    if start is None:
        start = month_start(end)
        for _ in range(11):
            start = month_start(start - datetime.timedelta(days=1))
    pattern = reverse("stations:detail", args=[0]).replace("/0/", "/{}/")  # one reverse, not one per site
    return [{"id": e.station_id, "code": e.code, "name": e.name, "kind": e.kind, "tier": e.tier, "lat": e.lat,
             "lng": e.lng, "index": e.index, "url": pattern.format(e.station_id)}
            for e in _effects(scope, start, end, _Districts()) if e.lat is not None and e.lng is not None]


def last_refresh() -> datetime.datetime | None:
    """When the roll-ups were last rebuilt (None: never)."""
    return RollupState.objects.filter(pk=1).values_list("refreshed_at", flat=True).first()

"""Rebuild the dashboard's roll-up tables from the rows.

``refresh(months=None)`` rebuilds every month (or only the given months, each a date inside it) in one
transaction with a fixed number of queries whatever the size of the data: one ``GROUP BY`` aggregate per
source (activities, attendance, opinions, opinions by category, the latest dates per site and deputy), the
old rows of the months deleted, the new ones written with bulk inserts. Definitions: ``models.SiteMonth``.

A refresh of some months only (the hourly task: this month and the previous one) also moves the latest
dates per site and deputy forward from the rows of those months; the full refresh (nightly) recomputes
them, so a deleted or reopened row is reflected by the next night at the latest.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Count, DateField, F, Max, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from lianxin.core import clock
from lianxin.regions.models import Region

from .models import CategoryMonth, DeputyLatest, RollupState, SiteLatest, SiteMonth

BATCH = 2000

COUNTERS = ("activities", "citizens", "attendance_expected", "attendance_attended", "reception_planned",
            "reception_due", "reception_held", "reception_cancelled", "opinions", "replied", "replied_on_time",
            "closed", "resolved", "not_resolved", "rated", "satisfied", "repeats")


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """[first day 00:00, first day of the next month 00:00) in the local time zone."""
    low = timezone.make_aware(datetime.datetime.combine(month_start(month), datetime.time.min))
    high = timezone.make_aware(datetime.datetime.combine(next_month(month), datetime.time.min))
    return low, high


def _window(field: str, months: list[datetime.date] | None) -> Q:
    """Rows whose ``field`` (a datetime) falls in one of ``months`` (everything when None)."""
    if months is None:
        return Q()
    q = Q(pk__in=[])
    for month in months:
        low, high = month_bounds(month)
        q |= Q(**{f"{field}__gte": low, f"{field}__lt": high})
    return q


def _trunc(field: str) -> TruncMonth:
    return TruncMonth(field, output_field=DateField(), tzinfo=timezone.get_current_timezone())


class _Districts:
    """The district/county prefix of a region path (empty above that level), memoised per path."""

    def __init__(self) -> None:
        self.paths = set(Region.objects.filter(level=Region.Level.COUNTY).values_list("path", flat=True))
        self.lengths = sorted({len(p) for p in self.paths})
        self.memo: dict[str, str] = {}

    def __call__(self, path: str) -> str:
        found = self.memo.get(path)
        if found is None:
            found = next((path[:n] for n in self.lengths if path[:n] in self.paths), "")
            self.memo[path] = found
        return found


def refresh(months: Iterable[datetime.date] | None = None) -> RollupState:
    """Rebuild the roll-ups of ``months`` (dates inside them; None: all) and record the refresh."""
    from lianxin.activities.models import Activity, Attendance, Kind
    from lianxin.opinions.models import Channel, Opinion, Outcome, Satisfaction, Status

    started = time.monotonic()
    wanted = None if months is None else sorted({month_start(m) for m in months})
    held, cancelled = Activity.Status.HELD, Activity.Status.CANCELLED
    now = clock.now()
    with transaction.atomic():
        # One refresh at a time (the hourly task, the nightly one, the button, the command): the state row
        # is locked first, so a second refresh waits and then rebuilds from what the first one left.
        RollupState.objects.bulk_create([RollupState(pk=1)], ignore_conflicts=True)
        RollupState.objects.select_for_update().filter(pk=1).first()
        districts = _Districts()
        rows: dict[tuple[int | None, str, datetime.date], dict[str, int]] = {}

        def add(key: tuple[int | None, str, datetime.date], values: dict[str, Any]) -> None:
            row = rows.setdefault(key, dict.fromkeys(COUNTERS, 0))
            for name, value in values.items():
                row[name] += value or 0

        reception = Q(kind=Kind.RECEPTION)
        activities = (
            Activity.objects.filter(_window("starts_at", wanted)).order_by()
            .values("station_id", "region_path", m=_trunc("starts_at"))
            .annotate(
                activities=Count("id", filter=Q(status=held)),
                citizens=Sum("citizens_received", filter=Q(status=held)),
                reception_planned=Count("id", filter=reception),
                reception_held=Count("id", filter=reception & Q(status=held)),
                reception_cancelled=Count("id", filter=reception & Q(status=cancelled)),
                reception_due=Count("id", filter=reception & (Q(status__in=[held, cancelled]) | Q(starts_at__lt=now))),
            )
        )
        for row in activities:
            key = (row.pop("station_id"), row.pop("region_path"), row.pop("m"))
            add(key, row)

        attendance = (
            Attendance.objects.filter(_window("activity__starts_at", wanted), activity__status=held, expected=True)
            .order_by()
            .values("activity__station_id", "activity__region_path", m=_trunc("activity__starts_at"))
            .annotate(attendance_expected=Count("id"), attendance_attended=Count("id", filter=Q(attended=True)))
        )
        for row in attendance:
            key = (row.pop("activity__station_id"), row.pop("activity__region_path"), row.pop("m"))
            add(key, row)

        citizens_opinions = Opinion.objects.exclude(channel=Channel.SUPERVISION).filter(_window("created_at", wanted))
        kept = Q(merged_into__isnull=True)
        closed = kept & Q(status=Status.CLOSED)
        replied = kept & Q(replied_at__isnull=False)
        opinions = (
            citizens_opinions.order_by().values("station_id", "region_path", m=_trunc("created_at"))
            .annotate(
                opinions=Count("id"),
                replied=Count("id", filter=replied),
                replied_on_time=Count("id", filter=replied & (Q(escalated_at__isnull=True)
                                                               | Q(escalated_at__gt=F("replied_at")))),
                closed=Count("id", filter=closed),
                resolved=Count("id", filter=closed & Q(outcome=Outcome.RESOLVED)),
                not_resolved=Count("id", filter=closed & Q(outcome=Outcome.NOT_RESOLVED)),
                rated=Count("id", filter=kept & ~Q(satisfaction="")),
                satisfied=Count("id", filter=kept & Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASIC])),
                repeats=Count("id", filter=kept & Q(reopen_count__gt=0)),
            )
        )
        for row in opinions:
            key = (row.pop("station_id"), row.pop("region_path"), row.pop("m"))
            add(key, row)

        categories = list(
            citizens_opinions.order_by().values("station_id", "region_path", "category_id", m=_trunc("created_at"))
            .annotate(n=Count("id"))
        )

        site_months = SiteMonth.objects.all() if wanted is None else SiteMonth.objects.filter(month__in=wanted)
        site_months.delete()
        category_months = (CategoryMonth.objects.all() if wanted is None
                           else CategoryMonth.objects.filter(month__in=wanted))
        category_months.delete()
        SiteMonth.objects.bulk_create(
            (SiteMonth(station_id=station_id, region_path=path, district_path=districts(path), month=month, **values)
             for (station_id, path, month), values in rows.items()),
            batch_size=BATCH,
        )
        CategoryMonth.objects.bulk_create(
            (CategoryMonth(station_id=row["station_id"], region_path=row["region_path"], month=row["m"],
                           category_id=row["category_id"], opinions=row["n"]) for row in categories),
            batch_size=BATCH,
        )

        _refresh_latest(wanted)

        elapsed = int((time.monotonic() - started) * 1000)
        state = RollupState(pk=1, refreshed_at=clock.now(), duration_ms=elapsed, rows=len(rows) + len(categories),
                            months=len(wanted or []))
        state.save(force_update=True)
    return state


def _refresh_latest(wanted: list[datetime.date] | None) -> None:
    """The latest held activity and citizen's opinion per site, and latest attendance per deputy."""
    from lianxin.activities.models import Activity, Attendance
    from lianxin.opinions.models import Channel, Opinion

    held = Activity.Status.HELD
    last_activity = dict(
        Activity.objects.filter(_window("starts_at", wanted), status=held).order_by().values("station_id")
        .annotate(t=Max("starts_at")).values_list("station_id", "t")
    )
    last_opinion = dict(
        Opinion.objects.exclude(channel=Channel.SUPERVISION).filter(_window("created_at", wanted),
                                                                    station_id__isnull=False)
        .order_by().values("station_id").annotate(t=Max("created_at")).values_list("station_id", "t")
    )
    last_attended = dict(
        Attendance.objects.filter(_window("activity__starts_at", wanted), activity__status=held, attended=True)
        .order_by().values("deputy_id").annotate(t=Max("activity__starts_at")).values_list("deputy_id", "t")
    )

    def later(a: datetime.datetime | None, b: datetime.datetime | None) -> datetime.datetime | None:
        return b if a is None else a if b is None else max(a, b)

    if wanted is None:
        SiteLatest.objects.all().delete()
        DeputyLatest.objects.all().delete()
        sites: dict[int, tuple[Any, Any]] = {}
        deputies: dict[int, datetime.datetime | None] = {}
    else:
        ids = {*last_activity, *last_opinion}
        sites = {s.station_id: (s.last_activity_at, s.last_opinion_at)
                 for s in SiteLatest.objects.filter(station_id__in=ids)}
        deputies = dict(DeputyLatest.objects.filter(deputy_id__in=list(last_attended))
                        .values_list("deputy_id", "last_attended_at"))
        SiteLatest.objects.filter(station_id__in=ids).delete()
        DeputyLatest.objects.filter(deputy_id__in=list(last_attended)).delete()
    SiteLatest.objects.bulk_create(
        (SiteLatest(station_id=sid,
                    last_activity_at=later(sites.get(sid, (None, None))[0], last_activity.get(sid)),
                    last_opinion_at=later(sites.get(sid, (None, None))[1], last_opinion.get(sid)))
         for sid in {*last_activity, *last_opinion}),
        batch_size=BATCH,
    )
    DeputyLatest.objects.bulk_create(
        (DeputyLatest(deputy_id=did, last_attended_at=later(deputies.get(did), t)) for did, t in last_attended.items()),
        batch_size=BATCH,
    )


def recent_months(today: datetime.date | None = None) -> list[datetime.date]:
    """This month and the previous one (the hourly refresh)."""
    this = month_start(today or clock.today())
    previous = month_start(this - datetime.timedelta(days=1))
    return [previous, this]

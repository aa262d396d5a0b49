"""The platform figures automatic criteria are scored from, per site over a data period.

Each figure is one aggregate query for all the sites at once; ``None`` means the site has no data for it
(no points). ``points = max_points × min(1, value / target)``."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from lianxin.core import clock

from .models import Metric

FORMULAS: dict[str, Promise] = {
    Metric.ACTIVITIES_PER_MONTH: _(
        "Activities closed as held at the site in the data period, divided by the number of months in the "
        "period."),
    Metric.RECEPTION_DAYS_HELD: _(
        "Reception days held, divided by the reception days that were due: held, cancelled, and planned ones "
        "whose date has passed without being held."),
    Metric.ANSWERED_ON_TIME: _(
        "Of the site's opinions submitted in the period that have been replied to, the share replied before "
        "their deadline passed (no escalation for lateness before the reply)."),
    Metric.SATISFACTION: _(
        "Of the site's opinions submitted in the period that citizens rated, the share rated satisfied or "
        "basically satisfied."),
    Metric.ATTENDANCE: _(
        "At activities held in the period, deputies who attended divided by the deputies expected to attend."),
    Metric.RESOLVED: _(
        "Of the site's opinions submitted in the period and closed, the share closed as resolved."),
}

FOUR = Decimal("0.0001")


def _bounds(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """[start 00:00, end + 1 day 00:00) in the local time zone."""
    low = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    high = timezone.make_aware(datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min))
    return low, high


def months_between(start: datetime.date, end: datetime.date) -> Decimal:
    """Calendar months of the period (2022-08-01 … 2023-07-31 is 12); partial months count by days."""
    whole = (end.year - start.year) * 12 + end.month - start.month
    last = end + datetime.timedelta(days=1)
    if start.day == 1 and last.day == 1:
        return Decimal(whole + 1)
    return max(Decimal(1), (Decimal((end - start).days + 1) / Decimal("30.4375")).quantize(FOUR))


def _ratio(top: int, bottom: int) -> Decimal | None:
    if not bottom:
        return None
    return (Decimal(top) / Decimal(bottom)).quantize(FOUR, ROUND_HALF_UP)


def _grouped(queryset, station_field: str, **aggregates) -> dict[int, dict]:  # type: ignore[no-untyped-def]
    rows = queryset.values(station_field).order_by().annotate(**aggregates)
    return {row[station_field]: row for row in rows}


def compute(metric: str, station_ids: Iterable[int], start: datetime.date,
            end: datetime.date) -> dict[int, Decimal | None]:
    """The value of ``metric`` for each site in ``station_ids`` (None: no data), in one query."""
    from lianxin.activities.models import Activity, Attendance, Kind
    from lianxin.opinions.models import Outcome, Satisfaction, Status

    ids = list(station_ids)
    result: dict[int, Decimal | None] = dict.fromkeys(ids)
    if not ids:
        return result
    low, high = _bounds(start, end)
    held = Activity.Status.HELD
    if metric == Metric.ACTIVITIES_PER_MONTH:
        months = months_between(start, end)
        rows = _grouped(Activity.objects.filter(station_id__in=ids, starts_at__gte=low, starts_at__lt=high,
                                                status=held), "station_id", n=Count("id"))
        for sid in ids:
            count = rows.get(sid, {}).get("n", 0)
            result[sid] = (Decimal(count) / months).quantize(FOUR, ROUND_HALF_UP)
        return result
    if metric == Metric.RECEPTION_DAYS_HELD:
        past = min(high, clock.now())
        due = Q(status__in=[held, Activity.Status.CANCELLED]) | (~Q(status__in=[held, Activity.Status.CANCELLED])
                                                                  & Q(starts_at__lt=past))
        rows = _grouped(Activity.objects.filter(station_id__in=ids, kind=Kind.RECEPTION, starts_at__gte=low,
                                                starts_at__lt=high),
                        "station_id", done=Count("id", filter=Q(status=held)), due=Count("id", filter=due))
        for sid in ids:
            row = rows.get(sid, {})
            result[sid] = _ratio(row.get("done", 0), row.get("due", 0))
        return result
    if metric == Metric.ATTENDANCE:
        rows = _grouped(Attendance.objects.filter(activity__station_id__in=ids, activity__status=held,
                                                  activity__starts_at__gte=low, activity__starts_at__lt=high,
                                                  expected=True),
                        "activity__station_id", came=Count("id", filter=Q(attended=True)), all=Count("id"))
        for sid in ids:
            row = rows.get(sid, {})
            result[sid] = _ratio(row.get("came", 0), row.get("all", 0))
        return result
    opinions = _opinions(ids, low, high)
    if metric == Metric.ANSWERED_ON_TIME:
        on_time = Q(escalated_at__isnull=True) | Q(escalated_at__gt=F("replied_at"))
        rows = _grouped(opinions.filter(replied_at__isnull=False), "station_id",
                        good=Count("id", filter=on_time), all=Count("id"))
    elif metric == Metric.SATISFACTION:
        rows = _grouped(opinions.exclude(satisfaction=""), "station_id",
                        good=Count("id", filter=Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASIC])),
                        all=Count("id"))
    elif metric == Metric.RESOLVED:
        rows = _grouped(opinions.filter(status=Status.CLOSED), "station_id",
                        good=Count("id", filter=Q(outcome=Outcome.RESOLVED)), all=Count("id"))
    else:
        raise ValueError(f"unknown metric {metric!r}")
    for sid in ids:
        row = rows.get(sid, {})
        result[sid] = _ratio(row.get("good", 0), row.get("all", 0))
    return result


def _opinions(ids: list[int], low: datetime.datetime, high: datetime.datetime):  # type: ignore[no-untyped-def]
    from lianxin.opinions.models import Opinion

    return Opinion.objects.filter(station_id__in=ids, created_at__gte=low, created_at__lt=high,
                                  merged_into__isnull=True)


def points(max_points: Decimal, value: Decimal | None, target: Decimal | None) -> Decimal:
    """``max × min(1, value / target)``, 0 without data; two decimals."""
    if value is None or not target:
        return Decimal("0.00")
    share = min(Decimal(1), Decimal(value) / Decimal(target))
    return (Decimal(max_points) * share).quantize(Decimal("0.01"), ROUND_HALF_UP)

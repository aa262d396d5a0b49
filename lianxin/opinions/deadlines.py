"""Deadlines in working days, honouring China's statutory holidays and make-up working days (调休).

The calendar comes from the maintained ``holidays`` package (``holidays.China``), never a
hand-made table. A deadline falls at the end of its last working day, local time.
"""

from __future__ import annotations

import datetime
import functools

import holidays
from django.utils import timezone


@functools.cache
def _calendar(year: int) -> holidays.HolidayBase:
    # One calendar per year, cached: building it is the expensive part.
    return holidays.China(years=[year])


def is_working_day(day: datetime.date) -> bool:
    return bool(_calendar(day.year).is_working_day(day))


def add_working_days(start: datetime.datetime, days: int) -> datetime.datetime:
    """End of the ``days``-th working day after ``start`` (the start day itself does not count)."""
    day = _nth_working_day_after(timezone.localtime(start).date(), days)
    end = datetime.datetime.combine(day, datetime.time(23, 59, 59))
    return timezone.make_aware(end)


@functools.lru_cache(maxsize=4096)
def _nth_working_day_after(day: datetime.date, days: int) -> datetime.date:
    counted = 0
    while counted < days:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def working_days_between(start: datetime.datetime, end: datetime.datetime) -> int:
    """Working days after ``start``'s date up to and including ``end``'s date (negative if end is earlier)."""
    first, last = timezone.localtime(start).date(), timezone.localtime(end).date()
    sign = 1
    if last < first:
        first, last, sign = last, first, -1
    count = 0
    day = first
    while day < last:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return sign * count

"""Shared helpers of the reception tests (no tests here): a schedule, days, deputies, bookings."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from lianxin.accounts.models import Role
from lianxin.activities import reception
from lianxin.activities.models import Activity, Appointment, ReceptionSchedule
from lianxin.deputies.models import Assignment, Deputy
from lianxin.opinions.models import Category

# A Friday before National Day 2026.
NOW = timezone.make_aware(datetime.datetime(2026, 9, 25, 10, 0))
KEY = "k" * 20


def at(*args: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


def make_schedule(station: Any, **extra: Any) -> ReceptionSchedule:
    values: dict[str, Any] = {
        "frequency": ReceptionSchedule.Frequency.MONTHLY, "weekday": 4, "nth": 1,
        "start_time": datetime.time(15, 0), "end_time": datetime.time(17, 0), "slot_minutes": 30,
        "slot_capacity": 3, "deputies_per_day": 2, "valid_from": datetime.date(2026, 1, 1),
    }
    values.update(extra)
    return ReceptionSchedule.objects.create(station=station, **values)


def add_deputies(station: Any, count: int, prefix: str = "代表") -> list[Deputy]:
    made = []
    for i in range(count):
        deputy = Deputy.objects.create(name=f"{prefix}{i:02d}", gender="m", phone=f"1390000{i:04d}")
        Assignment.objects.create(deputy=deputy, station=station, started_on=datetime.date(2024, 1, 1))
        made.append(deputy)
    return made


def manager(world: Any) -> Any:
    return world.users[Role.SITE_MANAGER]


def published_day(world: Any, schedule: ReceptionSchedule | None = None, day: datetime.date | None = None,
                  now: datetime.datetime = NOW) -> Activity:
    """The reception day of 2026-10-08 (first Friday of October, moved from National Day), published."""
    schedule = schedule or make_schedule(world.station_a)
    day = day or datetime.date(2026, 10, 8)
    result = reception.generate_days(manager(world), schedule, day, day, now=now)
    activity = result.created[0]
    if activity.status == Activity.Status.PLANNED:
        reception.publish_by_hand(manager(world), activity)
        activity.refresh_from_db()
    return activity


def category() -> Category:
    return Category.objects.get_or_create(code="urban", defaults={"name": "城乡建设"})[0]


def book(activity: Activity, phone: str = "13811112222", key: str | None = None, slot: int = 0,
         now: datetime.datetime = NOW, language: str = "zh-hans") -> Appointment:
    target = activity.slots.order_by("starts_at")[slot]
    appointment, _created = reception.book(target.pk, name="张三", phone=phone, topic="小区停车难",
                                           idempotency_key=key, now=now, language=language)
    return appointment

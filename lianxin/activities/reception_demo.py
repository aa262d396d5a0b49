"""Demo reception days: a schedule per station, the days until the end of next month, the rota, bookings.

Deterministic (a seeded generator, sites in code order). The days lie in the future (not held),
so they do not change the count of held activities. Run after the sites, deputies and accounts
exist: ``load_reception(now, progress)``; a second run adds nothing (days are made idempotently,
stations that already have a schedule are left alone).
"""

from __future__ import annotations

import datetime
import random
import time
from collections.abc import Callable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from lianxin.accounts.models import Role, User
from lianxin.demo.names import person_name
from lianxin.stations.models import Station

from . import reception
from .models import Activity, Attendance, Kind, ReceptionSchedule, ReceptionSlot

SEED = 20260501
TOPICS = (
    "小区停车位不足，希望增设停车位", "老旧小区加装电梯的补贴政策", "路灯损坏多日无人维修", "菜市场周边占道经营",
    "孩子入学划片问题咨询", "医保异地报销手续繁琐", "村里道路硬化进度", "物业费上涨不合理", "噪音扰民问题",
    "社区养老服务站开放时间", "垃圾分类设施不足", "公交线路调整影响出行", "供暖温度不达标", "农村饮水安全",
    "退役军人优待政策咨询", "残疾人补贴申领", "拆迁补偿标准", "小区消防通道被占",
)
# (frequency, weekday, nth, start, end) — first or third weekday of the month, a few weekly ones.
PATTERNS = (
    ("monthly", 4, 1, datetime.time(15, 0), datetime.time(17, 0)),
    ("monthly", 2, 3, datetime.time(9, 0), datetime.time(11, 30)),
    ("monthly", 1, 1, datetime.time(14, 30), datetime.time(17, 0)),
    ("monthly", 3, 3, datetime.time(9, 30), datetime.time(11, 30)),
    ("monthly", 0, 1, datetime.time(15, 0), datetime.time(17, 30)),
    ("monthly", 4, 3, datetime.time(9, 0), datetime.time(11, 0)),
    ("weekly", 2, 1, datetime.time(9, 0), datetime.time(11, 0)),
)


def _actor() -> User:
    actor = (User.objects.filter(Q(is_superuser=True) | Q(role=Role.CITY_ADMIN), is_active=True)
             .order_by("-is_superuser", "id").first())
    if actor is None:
        raise RuntimeError("The demo accounts are needed first (a superuser or a city administrator).")
    return actor


def _mobile(rng: random.Random) -> str:
    return rng.choice(("138", "139", "135", "136", "137", "150", "151", "152", "158", "159", "186", "187", "188")) + \
        f"{rng.randrange(10**8):08d}"


def _put_demo_deputy_on_duty(stations: list[Station], now: datetime.datetime) -> None:
    """The demo's "deputy" log-in is on duty at the first coming reception day of their site (for "My reception days")."""
    account = User.objects.filter(username="deputy", deputy__isnull=False).first()
    if account is None or account.deputy_id is None:
        return
    day = (Activity.objects.filter(kind=Kind.RECEPTION, station__in=stations, starts_at__gt=now,
                                   station__assignments__deputy_id=account.deputy_id,
                                   station__assignments__ended_on__isnull=True)
           .order_by("starts_at", "id").first())
    if day is None or day.attendances.filter(deputy_id=account.deputy_id).exists():
        return
    last = day.attendances.filter(on_duty=True).order_by("-id").first()
    if last is not None:
        last.delete()
    Attendance.objects.create(activity=day, deputy_id=account.deputy_id, expected=True, on_duty=True)


def end_of_next_month(day: datetime.date) -> datetime.date:
    first_next = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    first_after = (first_next.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return first_after - datetime.timedelta(days=1)


def load_reception(now: datetime.datetime, progress: Callable[[str], None] = lambda message: None) -> dict[str, int]:
    """Schedules for the demo stations, their reception days until the end of next month (published), bookings."""
    started = time.monotonic()
    rng = random.Random(SEED)
    actor = _actor()
    today = timezone.localtime(now).date()
    last = end_of_next_month(today)
    stations = list(Station.objects.filter(kind=Station.Kind.STATION, status=Station.Status.ACTIVE).order_by("code"))
    have = set(ReceptionSchedule.objects.values_list("station_id", flat=True))
    counts = {"schedules": 0, "days": 0, "bookings": 0}
    for i, station in enumerate(stations):
        if station.pk in have:
            continue
        frequency, weekday, nth, start, end = PATTERNS[i % len(PATTERNS)]
        schedule = ReceptionSchedule.objects.create(
            station=station, frequency=frequency, weekday=weekday, nth=nth, start_time=start, end_time=end,
            holiday_rule=ReceptionSchedule.HolidayRule.NEXT, slot_minutes=30, slot_capacity=rng.choice((2, 3, 3, 4)),
            deputies_per_day=2, valid_from=today.replace(month=1, day=1),
        )
        # The site's own "reception days" text (shown on its public page) says the same as the schedule.
        with translation.override("zh-hans"):
            text = f"{reception.rule_label(schedule)} {start:%H:%M}—{end:%H:%M}"
        Station.objects.filter(pk=station.pk).update(reception_days=text)
        counts["schedules"] += 1
    progress(f"{counts['schedules']:>7,}  reception schedules  ({time.monotonic() - started:.1f} s)")
    schedules = list(ReceptionSchedule.objects.filter(active=True, station__in=stations)
                     .select_related("station").order_by("station__code", "id"))
    for schedule in schedules:
        with transaction.atomic():
            made = reception.generate_days(actor, schedule, today + datetime.timedelta(days=1), last, now=now)
            counts["days"] += len(made.created)
    # The demo: the next month's reception days are published (besides those due by the rule).
    due = Activity.objects.filter(kind=Kind.RECEPTION, schedule__in=schedules, status=Activity.Status.PLANNED,
                                  starts_at__gt=now, starts_at__date__lte=last)
    due.update(status=Activity.Status.PUBLISHED, published_at=now, updated_at=now)
    fresh = [station for station in stations if station.pk not in have]
    for station in fresh:  # the days were made from the rota; this keeps any older days in line with it
        for year in sorted({today.year, last.year}):
            reception.apply_rota(actor, station, year, now=now)
    _put_demo_deputy_on_duty(fresh, now)
    progress(f"{counts['days']:>7,}  reception days until {last:%Y-%m-%d}, published  "
             f"({time.monotonic() - started:.1f} s)")
    slots = list(ReceptionSlot.objects.filter(activity__station__in=fresh, activity__kind=Kind.RECEPTION,
                                              activity__status=Activity.Status.PUBLISHED,
                                              starts_at__gt=now, booked=0)
                 .order_by("activity__starts_at", "activity_id", "starts_at"))
    for slot in slots:
        if rng.random() < 0.75:  # a few hundred bookings over the demo's reception days
            continue
        for _n in range(rng.randint(1, min(2, slot.capacity))):
            try:
                reception.book(slot.pk, name=person_name(rng, rng.random() < 0.5), phone=_mobile(rng),
                               topic=rng.choice(TOPICS), language="zh-hans",
                               now=now - datetime.timedelta(minutes=rng.randint(10, 60 * 24 * 3)))
            except reception.BookingError:
                continue
            counts["bookings"] += 1
    progress(f"{counts['bookings']:>7,}  reception bookings  ({time.monotonic() - started:.1f} s)")
    return counts

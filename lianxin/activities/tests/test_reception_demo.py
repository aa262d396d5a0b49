"""The demo's reception days: a schedule per station, days until the end of next month published, bookings."""

from __future__ import annotations

import datetime
from typing import Any

import time_machine
from django.utils import timezone, translation

from lianxin.activities import reception
from lianxin.activities.models import Activity, Appointment, ReceptionSchedule
from lianxin.activities.reception_demo import end_of_next_month, load_reception

from .test_reception_common import NOW, add_deputies


def test_end_of_next_month() -> None:
    assert end_of_next_month(datetime.date(2026, 9, 25)) == datetime.date(2026, 10, 31)
    assert end_of_next_month(datetime.date(2026, 12, 31)) == datetime.date(2027, 1, 31)
    assert end_of_next_month(datetime.date(2027, 1, 31)) == datetime.date(2027, 2, 28)


def test_load_reception(world: Any) -> None:
    add_deputies(world.station_a, 3)
    add_deputies(world.station_b, 2)
    with time_machine.travel(NOW, tick=False):
        counts = load_reception(NOW)
        assert counts["schedules"] == 2 and ReceptionSchedule.objects.count() == 2  # stations only, not points
        for schedule in ReceptionSchedule.objects.select_related("station"):  # the site's text says the same
            with translation.override("zh-hans"):
                rule = reception.rule_label(schedule)
            assert schedule.station.reception_days == f"{rule} {schedule.start_time:%H:%M}—{schedule.end_time:%H:%M}"
            assert rule.startswith("每")  # in Chinese, as the rest of the demo
        days = list(Activity.objects.filter(kind="reception"))
        assert counts["days"] == len(days) >= 2
        assert all(d.status == "published" and d.starts_at > NOW for d in days)
        assert max(timezone.localtime(d.starts_at).date() for d in days) <= datetime.date(2026, 10, 31)
        assert all(d.attendances.filter(on_duty=True).count() == 2 for d in days)
        assert counts["bookings"] == Appointment.objects.count() > 0
        again = load_reception(NOW)
    assert again == {"schedules": 0, "days": 0, "bookings": 0}
    assert Activity.objects.filter(status="held").count() == 0

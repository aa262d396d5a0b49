"""Automatic items against known data: each figure for the sites at once, and points from values."""

import datetime
from decimal import Decimal

import pytest

from lianxin.activities.models import Activity, Attendance
from lianxin.campaigns import metrics
from lianxin.campaigns.models import Metric
from lianxin.opinions.models import Category, Opinion

from .conftest import at

pytestmark = pytest.mark.django_db
START, END = datetime.date(2022, 8, 1), datetime.date(2023, 7, 31)
D = Decimal


def activity(station, day, kind="reception", status="held"):
    return Activity.objects.create(station=station, kind=kind, title=f"{kind} {day}", starts_at=at(day, 9),
                                   ends_at=at(day, 11), status=status)


def opinion(world, station, **fields):
    category = Category.objects.get_or_create(code="urban", defaults={"name": "城乡建设", "name_en": "Urban"})[0]
    fields.setdefault("created_at", at(datetime.date(2023, 3, 1)))
    return Opinion.objects.create(category=category, title="路灯不亮", text="路灯坏了", channel="walk_in",
                                  region=world.street_a, station=station, **fields)


def test_activities_per_month(world):
    for month in range(1, 7):  # 6 held in the period, 1 cancelled, 1 outside
        activity(world.station_a, datetime.date(2023, month, 10), kind="visit")
    activity(world.station_a, datetime.date(2023, 2, 20), status="cancelled")
    activity(world.station_a, datetime.date(2023, 8, 20))
    values = metrics.compute(Metric.ACTIVITIES_PER_MONTH, [world.station_a.pk, world.station_b.pk], START, END)
    assert values == {world.station_a.pk: D("0.5"), world.station_b.pk: D("0")}
    assert metrics.months_between(START, END) == 12


def test_reception_days_held(world):
    for day in (1, 2, 3):
        activity(world.station_a, datetime.date(2023, 1, day))
    activity(world.station_a, datetime.date(2023, 1, 4), status="cancelled")
    activity(world.station_a, datetime.date(2023, 1, 5), status="planned")  # past, never held
    activity(world.station_a, datetime.date(2023, 1, 6), kind="visit")  # not a reception day
    values = metrics.compute(Metric.RECEPTION_DAYS_HELD, [world.station_a.pk, world.station_b.pk], START, END)
    assert values[world.station_a.pk] == D("0.6")
    assert values[world.station_b.pk] is None


def test_attendance(world):
    held = activity(world.station_a, datetime.date(2023, 1, 1))
    Attendance.objects.create(activity=held, deputy=world.deputy_a, attended=True)
    Attendance.objects.create(activity=held, deputy=world.deputy_b, attended=False)
    cancelled = activity(world.station_a, datetime.date(2023, 1, 2), status="cancelled")
    Attendance.objects.create(activity=cancelled, deputy=world.deputy_a, attended=False)
    values = metrics.compute(Metric.ATTENDANCE, [world.station_a.pk], START, END)
    assert values[world.station_a.pk] == D("0.5")


def test_opinion_figures(world):
    a = world.station_a
    replied = at(datetime.date(2023, 3, 5))
    opinion(world, a, status="replied", replied_at=replied)  # on time
    opinion(world, a, status="replied", replied_at=replied, escalated_at=at(datetime.date(2023, 3, 4)))  # late
    opinion(world, a, status="replied", replied_at=replied, escalated_at=at(datetime.date(2023, 3, 9)))  # on time
    opinion(world, a, status="closed", replied_at=replied, outcome="resolved", satisfaction="satisfied")
    opinion(world, a, status="closed", replied_at=replied, outcome="resolved", satisfaction="basic")
    opinion(world, a, status="closed", replied_at=replied, outcome="not_resolved", satisfaction="unsatisfied")
    opinion(world, a, status="closed", replied_at=replied, outcome="resolved", satisfaction="",
            created_at=at(datetime.date(2023, 9, 1)))  # outside the period
    ids = [a.pk, world.station_b.pk]
    assert metrics.compute(Metric.ANSWERED_ON_TIME, ids, START, END) == {a.pk: D("0.8333"), ids[1]: None}
    assert metrics.compute(Metric.SATISFACTION, ids, START, END)[a.pk] == D("0.6667")
    assert metrics.compute(Metric.RESOLVED, ids, START, END)[a.pk] == D("0.6667")


def test_one_query_per_metric(world, django_assert_num_queries):
    ids = [world.station_a.pk, world.station_b.pk, world.point_a.pk]
    for metric in Metric.values:
        with django_assert_num_queries(1):
            metrics.compute(metric, ids, START, END)


def test_points():
    assert metrics.points(D(5), D("1"), D("2")) == D("2.50")
    assert metrics.points(D(5), D("3"), D("2")) == D("5.00")
    assert metrics.points(D(5), None, D("2")) == D("0.00")


def test_every_metric_has_a_formula():
    assert set(metrics.FORMULAS) == set(Metric.values)

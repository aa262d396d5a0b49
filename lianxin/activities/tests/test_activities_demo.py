"""The demo's activities: exactly 10,557 held since 2020, attendance only by deputies assigned to the site."""

from __future__ import annotations

import datetime
import time
from collections import Counter

import pytest
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.test import override_settings

from lianxin.activities import demo as demo_activities
from lianxin.activities.models import Activity, Attendance, Kind
from lianxin.activities.stats import held_activities
from lianxin.demo.loader import analyze, load_demo
from lianxin.deputies.models import Assignment
from lianxin.regions.models import Region

NOW = datetime.datetime(2026, 11, 20, 2, 0, tzinfo=datetime.UTC)
RESULT: dict[str, float] = {}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast, transaction.atomic():
        load_demo(history=False)  # the registry; the activities are made here, at a fixed time
        started = time.monotonic()
        RESULT["count"] = demo_activities.load_activities(NOW, lambda message: None)
        RESULT["seconds"] = time.monotonic() - started
        analyze()  # as the demo loader does after its bulk load
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo_db(demo, db):
    return None


def test_exactly_10557_held_since_2020(demo_db):
    assert RESULT["count"] == 10557
    assert Activity.objects.filter(status=Activity.Status.HELD).count() == 10557
    assert held_activities() == 10557
    assert not Activity.objects.filter(starts_at__lt=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)).exists()
    assert not Activity.objects.filter(ends_at__gt=NOW).exists()
    assert 0 < Activity.objects.filter(status=Activity.Status.CANCELLED).count() < 100
    assert set(Activity.objects.values_list("status", flat=True).distinct()) == {"held", "cancelled"}
    assert RESULT["seconds"] < 60, RESULT


def test_held_count_by_region_adds_up(demo_db):
    print("demo activities seconds", RESULT)
    counties = Region.objects.filter(level=Region.Level.COUNTY)
    assert sum(held_activities(c) for c in counties) == 10557


def test_kinds_spread_with_reception_most_common(demo_db):
    kinds = Counter(Activity.objects.filter(status="held").values_list("kind", flat=True))
    assert set(kinds) == set(Kind.values)
    order = [k for k, _n in kinds.most_common()]
    assert order[:2] == [Kind.RECEPTION, Kind.SUPERVISION]
    assert not Activity.objects.filter(status="held").exclude(kind=Kind.RECEPTION).filter(citizens_received__gt=0).exists()
    assert not Activity.objects.filter(status="held", kind=Kind.RECEPTION, citizens_received=0).exists()


def test_attendance_only_by_deputies_assigned_to_the_site(demo_db):
    assigned = set(Assignment.objects.values_list("station_id", "deputy_id"))
    used = set(Attendance.objects.values_list("activity__station_id", "deputy_id").distinct())
    assert used and used <= assigned
    # every held activity has minutes, and at least one deputy who came
    held = Activity.objects.filter(status="held")
    assert not held.filter(minutes="").exists()
    came = Attendance.objects.filter(activity=OuterRef("pk"), attended=True)
    assert not held.filter(~Exists(came)).exists()
    assert held.first().region_path == held.first().station.region_path


def test_most_came_some_absent_a_few_left_early(demo_db):
    rows = Attendance.objects.filter(activity__status="held")
    total = rows.count()
    absent = rows.filter(attended=False).count()
    early = sum(1 for a in rows.filter(attended=True).select_related("activity").only(
        "attended", "left_at", "activity__ends_at") if a.left_at and a.left_at < a.activity.ends_at)
    assert 0.05 < absent / total < 0.15
    assert 0.02 < early / total < 0.10
    assert not rows.filter(Q(attended=True) & (Q(arrived_at__isnull=True) | Q(left_at__lt=models_arrived()))).exists()
    cancelled = Attendance.objects.filter(activity__status="cancelled")
    assert not cancelled.filter(attended__isnull=False).exists()


def models_arrived():
    from django.db.models import F

    return F("arrived_at")

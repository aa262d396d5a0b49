"""The roll-up refresh: rows against counts made here, idempotence, the months argument, the state row."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command

from lianxin.activities.models import Activity, Attendance
from lianxin.dashboard import rollups
from lianxin.dashboard.models import CategoryMonth, DeputyLatest, RollupState, SiteLatest, SiteMonth
from lianxin.opinions.models import Category, Opinion

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2024, 6, 15, 12, 0, tzinfo=TZ)


def at(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, 0, tzinfo=TZ)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def activity(station, day, kind="visit", status="held", citizens=0, attendees=()):
    """An activity; ``attendees``: (deputy, attended) pairs, all expected."""
    made = Activity.objects.create(station=station, kind=kind, title=f"{kind} {day}", starts_at=at(day),
                                   ends_at=at(day, 11), status=status, citizens_received=citizens)
    for deputy, attended in attendees:
        Attendance.objects.create(activity=made, deputy=deputy, expected=True, attended=attended)
    return made


def category(code="urban", name="城乡建设"):
    return Category.objects.get_or_create(code=code, defaults={"name": name, "name_en": code.title()})[0]


def opinion(world, station=None, day=datetime.date(2024, 3, 5), region=None, cat=None, **fields):
    fields.setdefault("channel", "walk_in")
    region = region or (station.region if station else world.street_a)
    return Opinion.objects.create(category=cat or category(), title="路灯不亮", text="路灯坏了", region=region,
                                  station=station, created_at=at(day), **fields)


def row(station, month):
    return SiteMonth.objects.get(station=station, month=month)


def build(world):
    """A known history at station A (district A) and station B (district B)."""
    a, b, dep_a, dep_b = world.station_a, world.station_b, world.deputy_a, world.deputy_b
    mar, apr = datetime.date(2024, 3, 1), datetime.date(2024, 4, 1)
    activity(a, datetime.date(2024, 3, 2), citizens=5, attendees=[(dep_a, True), (dep_b, False)])
    activity(a, datetime.date(2024, 3, 9), kind="reception", citizens=7, attendees=[(dep_a, True)])
    activity(a, datetime.date(2024, 3, 16), kind="reception", status="cancelled")
    activity(a, datetime.date(2024, 3, 23), kind="reception", status="published")  # passed, never held: due
    activity(a, datetime.date(2024, 6, 29), kind="reception", status="published")  # future: planned, not due
    activity(a, datetime.date(2024, 4, 3), attendees=[(dep_a, False)])
    activity(b, datetime.date(2024, 4, 10), attendees=[(dep_b, True)])
    late = at(datetime.date(2024, 3, 20))
    opinion(world, a, status="closed", outcome="resolved", replied_at=at(datetime.date(2024, 3, 8)),
            satisfaction="satisfied")
    opinion(world, a, status="closed", outcome="not_resolved", replied_at=at(datetime.date(2024, 3, 25)),
            escalated_at=late, satisfaction="unsatisfied", reopen_count=1)
    opinion(world, a, status="replied", replied_at=at(datetime.date(2024, 3, 9)), satisfaction="basic")
    opinion(world, a, status="merged")
    opinion(world, a, channel="supervision", status="closed", outcome="resolved")  # not a citizen's opinion
    opinion(world, None, region=world.street_a, day=datetime.date(2024, 4, 2), cat=category("env", "环境"))
    opinion(world, b, day=datetime.date(2024, 4, 2), status="closed", outcome="resolved")
    return mar, apr


def test_refresh_counts_each_figure(world):
    mar, apr = build(world)
    state = rollups.refresh()
    r = row(world.station_a, mar)
    assert (r.activities, r.citizens, r.attendance_expected, r.attendance_attended) == (2, 12, 3, 2)
    assert (r.reception_planned, r.reception_held, r.reception_cancelled, r.reception_due) == (3, 1, 1, 3)
    assert (r.opinions, r.replied, r.replied_on_time, r.closed, r.resolved, r.not_resolved) == (4, 3, 2, 2, 1, 1)
    assert (r.rated, r.satisfied, r.repeats) == (3, 2, 1)
    assert r.region_path == world.station_a.region_path and r.district_path == world.district_a.path
    june = row(world.station_a, datetime.date(2024, 6, 1))
    assert (june.reception_planned, june.reception_due, june.activities) == (1, 0, 0)
    april = row(world.station_a, apr)
    assert (april.activities, april.attendance_expected, april.attendance_attended) == (1, 1, 0)
    # An opinion taken without a site is rolled up for its area.
    loose = SiteMonth.objects.get(station=None, month=apr)
    assert (loose.opinions, loose.region_path, loose.district_path) == (1, world.street_a.path, world.district_a.path)
    assert row(world.station_b, apr).district_path == world.district_b.path
    assert SiteMonth.objects.count() == 5
    assert state.pk == 1 and state.rows == SiteMonth.objects.count() + CategoryMonth.objects.count()
    assert state.refreshed_at == NOW and state.months == 0
    assert {(c.station_id, c.category.code, c.opinions) for c in CategoryMonth.objects.filter(month=apr)} == {
        (None, "env", 1), (world.station_b.pk, "urban", 1)}
    assert CategoryMonth.objects.get(station=world.station_a, month=mar).opinions == 4


def test_latest_dates_per_site_and_deputy(world):
    build(world)
    rollups.refresh()
    a = SiteLatest.objects.get(station=world.station_a)
    assert a.last_activity_at == at(datetime.date(2024, 4, 3))
    assert a.last_opinion_at == at(datetime.date(2024, 3, 5))  # the supervision recommendation does not count
    assert DeputyLatest.objects.get(deputy=world.deputy_a).last_attended_at == at(datetime.date(2024, 3, 9))
    assert DeputyLatest.objects.get(deputy=world.deputy_b).last_attended_at == at(datetime.date(2024, 4, 10))


def test_refresh_is_idempotent(world):
    build(world)
    rollups.refresh()
    first = sorted(SiteMonth.objects.values_list("station_id", "month", "activities", "opinions", "resolved"),
                   key=str)
    rollups.refresh()
    again = sorted(SiteMonth.objects.values_list("station_id", "month", "activities", "opinions", "resolved"),
                   key=str)
    assert first == again and RollupState.objects.count() == 1


def test_months_argument_rebuilds_only_those_months(world):
    mar, apr = build(world)
    rollups.refresh()
    activity(world.station_a, datetime.date(2024, 3, 30))
    activity(world.station_a, datetime.date(2024, 4, 20), attendees=[(world.deputy_a, True)])
    state = rollups.refresh([datetime.date(2024, 4, 15)])
    assert state.months == 1
    assert row(world.station_a, mar).activities == 2  # March untouched
    assert row(world.station_a, apr).activities == 2  # April rebuilt
    assert SiteMonth.objects.get(station=None, month=apr).opinions == 1  # the month's other rows kept
    assert DeputyLatest.objects.get(deputy=world.deputy_a).last_attended_at == at(datetime.date(2024, 4, 20))
    assert SiteLatest.objects.get(station=world.station_b).last_activity_at == at(datetime.date(2024, 4, 10))
    rollups.refresh()
    assert row(world.station_a, mar).activities == 3


def test_a_month_emptied_loses_its_rows(world):
    build(world)
    rollups.refresh()
    Activity.objects.filter(station=world.station_b).delete()
    Opinion.objects.filter(station=world.station_b).delete()
    rollups.refresh([datetime.date(2024, 4, 1)])
    assert not SiteMonth.objects.filter(station=world.station_b).exists()


def test_refresh_runs_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    build(world)
    with django_assert_max_num_queries(30) as small:
        rollups.refresh()
    for n in range(20):
        activity(world.station_b, datetime.date(2023, 1 + n % 12, 1 + n), attendees=[(world.deputy_b, True)])
        opinion(world, world.station_b, day=datetime.date(2022, 1 + n % 12, 2))
    with django_assert_max_num_queries(len(small.captured_queries)):
        rollups.refresh()


def test_recent_months():
    assert rollups.recent_months(datetime.date(2024, 1, 10)) == [datetime.date(2023, 12, 1), datetime.date(2024, 1, 1)]


def test_command(world, capsys):
    build(world)
    call_command("refresh_rollups", "--all")
    assert SiteMonth.objects.count() == 5
    call_command("refresh_rollups", "--month", "2024-03")
    assert RollupState.objects.get().months == 1
    call_command("refresh_rollups")
    assert RollupState.objects.get().months == 2
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("refresh_rollups", "--month", "2024-13")


def test_tasks_refresh(world):
    from lianxin.dashboard import tasks

    build(world)
    tasks.refresh_all_rollups.call_local()
    assert SiteMonth.objects.count() == 5
    tasks.refresh_recent_rollups.call_local()
    assert RollupState.objects.get().months == 2

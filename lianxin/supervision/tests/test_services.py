"""The supervision services: topics, visits, recommendations through the case engine, progress roll-up."""

import datetime

import pytest
import time_machine

from lianxin.accounts.models import AuditEntry, Role
from lianxin.activities.models import Activity
from lianxin.opinions import services as cases
from lianxin.opinions.models import Opinion, OpinionEvent, Status
from lianxin.supervision import services
from lianxin.supervision.models import Milestone, Recommendation, Topic
from lianxin.supervision.services import SupervisionError

from .conftest import NOW

pytestmark = pytest.mark.django_db


def counts():
    return (Topic.objects.count(), Recommendation.objects.count(), Milestone.objects.count(),
            Opinion.objects.count(), OpinionEvent.objects.count(), Activity.objects.count())


def test_create_topic_is_audited_and_scoped(world, admin, topic):
    assert topic.region == world.district_a and list(topic.stations.all()) == [world.station_a]
    assert AuditEntry.objects.filter(action="supervision.topic.create", target_id=str(topic.pk)).exists()
    with pytest.raises(SupervisionError):  # the other district's admin cannot take district A as area
        services.create_topic(world.outsider, title="x", region=world.district_a, starts_on=datetime.date(2027, 1, 1),
                              ends_on=datetime.date(2027, 2, 1))


@pytest.mark.parametrize("change", [
    {"title": "  "},
    {"ends_on": datetime.date(2026, 1, 1)},
    {"region": "district_b"},
    {"stations": "station_b"},
    {"deputies": "deputy_b"},
    {"status": "bogus"},
])
def test_bad_topic_input_changes_nothing(world, admin, change):
    values = {"title": "背街小巷整治", "region": world.district_a, "starts_on": datetime.date(2027, 1, 1),
              "ends_on": datetime.date(2027, 6, 30), "stations": [world.station_a], "deputies": [world.deputy_a],
              "status": Topic.Status.PLANNED}
    for key, value in change.items():
        values[key] = [getattr(world, value)] if key in ("stations", "deputies") else (
            getattr(world, value) if key == "region" else value)
    before = counts()
    with pytest.raises(SupervisionError) as error:
        services.create_topic(admin, **values)
    assert error.value.message
    assert counts() == before


def test_non_admins_cannot_create_or_edit(world, topic):
    for role in (Role.SITE_MANAGER, Role.DEPUTY, Role.UNIT_STAFF, Role.AUDITOR):
        with pytest.raises(SupervisionError):
            services.create_topic(world.users[role], title="x", region=world.district_a,
                                  starts_on=datetime.date(2027, 1, 1), ends_on=datetime.date(2027, 2, 1))
        with pytest.raises(SupervisionError):
            services.update_topic(world.users[role], topic, title="x", region=world.district_a,
                                  starts_on=topic.starts_on, ends_on=topic.ends_on, status=topic.status,
                                  published=False)
    topic.refresh_from_db()
    assert topic.title == "老旧小区改造" and topic.published


def test_status_moves_forward_only(world, admin, topic):
    kwargs = {"title": topic.title, "region": world.district_a, "starts_on": topic.starts_on,
              "ends_on": topic.ends_on, "stations": [world.station_a], "deputies": [world.deputy_a]}
    with pytest.raises(SupervisionError):
        services.update_topic(admin, topic, status=Topic.Status.PLANNED, published=True, **kwargs)
    services.update_topic(admin, topic, status=Topic.Status.CONCLUDED, published=False, **kwargs)
    topic.refresh_from_db()
    assert topic.status == Topic.Status.CONCLUDED and not topic.published


@time_machine.travel(NOW, tick=False)
def test_schedule_visit_creates_supervision_activity_with_site_deputies(world, admin, topic):
    visit = services.schedule_visit(admin, topic, station=world.station_a, title="实地查看坞城小区",
                                    starts_at=NOW + datetime.timedelta(days=3),
                                    ends_at=NOW + datetime.timedelta(days=3, hours=2))
    assert visit.kind == "supervision" and visit.topic_id == topic.pk and visit.status == Activity.Status.PLANNED
    assert list(visit.attendances.values_list("deputy_id", flat=True)) == [world.deputy_a.pk]
    before = counts()
    with pytest.raises(SupervisionError):  # not one of the topic's sites
        services.schedule_visit(admin, topic, station=world.station_b, title="x", starts_at=NOW,
                                ends_at=NOW + datetime.timedelta(hours=1))
    with pytest.raises(SupervisionError):  # ends before it starts: the activity's own rule, our error
        services.schedule_visit(admin, topic, station=world.station_a, title="x", starts_at=NOW,
                                ends_at=NOW - datetime.timedelta(hours=1))
    assert counts() == before


@time_machine.travel(NOW, tick=False)
def test_recommendation_creates_transferred_case_with_deadline(world, admin, topic, recommend):
    rec = recommend()
    case = rec.opinion
    assert case.channel == "supervision" and case.status == Status.TRANSFERRED
    assert case.unit == world.unit_a and case.station == world.station_a
    assert case.due_at is not None and case.due_at.date() == datetime.date(2027, 3, 22)  # 15 working days
    assert list(case.events.values_list("action", flat=True).order_by("id")) == ["submit", "accept", "transfer"]
    assert AuditEntry.objects.filter(action="supervision.recommendation.create").count() == 1
    assert rec.progress == 0


@time_machine.travel(NOW, tick=False)
def test_refused_transfer_leaves_nothing(world, admin, topic, recommend):
    before = counts()
    with pytest.raises(SupervisionError) as error:  # a unit of the other district: the case engine refuses
        recommend(unit=world.unit_b)
    assert "承办单位" in error.value.message and error.value.code == "invalid"
    with pytest.raises(SupervisionError):  # deadline out of range
        recommend(working_days=99)
    world.unit_a.active = False
    world.unit_a.save()
    with pytest.raises(SupervisionError):
        recommend()
    assert counts() == before
    assert not AuditEntry.objects.filter(action="supervision.recommendation.create").exists()


@time_machine.travel(NOW, tick=False)
def test_bad_recommendation_input_changes_nothing(world, admin, topic, recommend, category):
    before = counts()
    with pytest.raises(SupervisionError):
        recommend(title=" ")
    with pytest.raises(SupervisionError):
        services.create_recommendation(admin, topic, title="x", text="y", unit=world.unit_a, category=category,
                                       station=world.station_b)
    with pytest.raises(SupervisionError):
        services.create_recommendation(world.users[Role.SITE_MANAGER], topic, title="x", text="y",
                                       unit=world.unit_a, category=category, station=world.station_a)
    planned = Topic.objects.create(title="p", region=world.district_a, starts_on=topic.starts_on,
                                   ends_on=topic.ends_on)
    planned.stations.set([world.station_a])
    before = counts()
    with pytest.raises(SupervisionError):
        services.create_recommendation(admin, planned, title="x", text="y", unit=world.unit_a, category=category,
                                       station=world.station_a)
    assert counts() == before


def test_milestones_roll_up_and_never_go_down(world, admin, topic, recommend):
    with time_machine.travel(NOW, tick=False):
        first, second = recommend(), recommend(title="楼道照明")
    unit_staff = world.users[Role.UNIT_STAFF]
    later = NOW + datetime.timedelta(days=5)
    with time_machine.travel(later, tick=False):
        services.add_milestone(unit_staff, first, on=later.date(), text="完成设计", progress=40)
        services.add_milestone(admin, second, on=later.date(), text="开工", progress=20)
        first.refresh_from_db()
        topic.refresh_from_db()
        assert first.progress == 40 and topic.progress == 30
        before = counts()
        for bad in (
            {"progress": 30},  # goes down
            {"progress": 100},  # case not answered yet
            {"progress": 101},
            {"text": " "},
            {"on": later.date() + datetime.timedelta(days=1)},  # future
            {"on": datetime.date(2027, 2, 1)},  # before the recommendation
        ):
            values = {"on": later.date(), "text": "x", "progress": 50} | bad
            with pytest.raises(SupervisionError) as error:
                services.add_milestone(unit_staff, first, **values)
            assert error.value.message
        for outsider in (world.outsider, world.users[Role.SITE_MANAGER], world.users[Role.DEPUTY]):
            with pytest.raises(SupervisionError):
                services.add_milestone(outsider, first, on=later.date(), text="x", progress=50)
        assert counts() == before
        topic.refresh_from_db()
        assert topic.progress == 30
        cases.reply(first.opinion_id, unit_staff, text="电梯已全部恢复施工并完工")
        services.add_milestone(unit_staff, first, on=later.date(), text="全部完工", progress=100)
        topic.refresh_from_db()
        assert topic.progress == 60
    assert AuditEntry.objects.filter(action="supervision.milestone.create").count() == 3


def test_unit_staff_only_for_their_unit(world, admin, topic, recommend):
    with time_machine.travel(NOW, tick=False):
        rec = recommend()
    from lianxin.testing import make_user
    other = make_user("other-unit", Role.UNIT_STAFF, unit=world.unit_b)
    with time_machine.travel(NOW, tick=False), pytest.raises(SupervisionError):
        services.add_milestone(other, rec, on=NOW.date(), text="x", progress=10)
    assert not Milestone.objects.exists()


def test_visible_to_rules(world, admin, topic):
    from lianxin.testing import make_user

    city_admin = world.users[Role.CITY_ADMIN]
    city_topic = services.create_topic(city_admin, title="全市专题", region=world.city,
                                       starts_on=datetime.date(2027, 1, 1), ends_on=datetime.date(2027, 2, 1),
                                       stations=[world.station_b])
    visible = {role: set(Topic.objects.visible_to(user)) for role, user in world.users.items()}
    assert visible[Role.CITY_ADMIN] == {topic, city_topic}
    assert visible[Role.DISTRICT_ADMIN] == {topic}  # the city topic takes no site of district A
    assert set(Topic.objects.visible_to(world.outsider)) == {city_topic}  # … but one of district B
    assert visible[Role.SITE_MANAGER] == {topic} and visible[Role.DEPUTY] == {topic}
    assert visible[Role.UNIT_STAFF] == set() and visible[Role.AUDITOR] == set()
    named = make_user("named", Role.DEPUTY, deputy=world.deputy_b)
    city_topic.deputies.set([world.deputy_b])
    assert set(Topic.objects.visible_to(named)) == {city_topic}
    assert Topic.objects.visible_to(world.superuser).count() == 2
    from django.contrib.auth.models import AnonymousUser
    assert not Topic.objects.visible_to(AnonymousUser()).exists()

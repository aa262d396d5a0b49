"""The staff pages: scoping per role, forms (good and bad input), and query counts."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianxin.accounts.models import Role
from lianxin.activities.models import Activity
from lianxin.opinions.models import Opinion
from lianxin.supervision import services
from lianxin.supervision.models import Milestone, Recommendation, Topic

from .conftest import NOW

pytestmark = pytest.mark.django_db

ROLES = [Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.SITE_MANAGER, Role.DEPUTY, Role.UNIT_STAFF, Role.AUDITOR]


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def other_topic(world, frozen):
    """A topic of district B: none of district A's people see it."""
    return services.create_topic(world.outsider, title="背街小巷整治", region=world.district_b,
                                 starts_on=datetime.date(2027, 1, 1), ends_on=datetime.date(2027, 12, 31),
                                 status=Topic.Status.ACTIVE, stations=[world.station_b], deputies=[world.deputy_b])


def login(client, user):
    client.force_login(user)
    return client


# What each role sees on the list: (sees topic A, may create)
LIST_SCOPE = {
    Role.CITY_ADMIN: (True, True), Role.DISTRICT_ADMIN: (True, True), Role.SITE_MANAGER: (True, False),
    Role.DEPUTY: (True, False), Role.UNIT_STAFF: (True, False), Role.AUDITOR: (False, False),
}


@pytest.mark.parametrize("role", ROLES)
def test_list_and_detail_scoping(world, client, frozen, topic, other_topic, recommend, role):
    recommend()  # unit A handles it: unit staff now see the topic
    login(client, world.users[role])
    body = client.get(reverse("supervision:list")).content.decode()
    sees, creates = LIST_SCOPE[role]
    assert ("老旧小区改造" in body) is sees
    city = role == Role.CITY_ADMIN  # the city admin sees both districts
    assert ("背街小巷整治" in body) is city
    assert (reverse("supervision:create") in body) is creates
    assert client.get(reverse("supervision:detail", args=[topic.pk])).status_code == (200 if sees else 404)
    assert client.get(reverse("supervision:detail", args=[other_topic.pk])).status_code == (200 if city else 404)
    assert client.get(reverse("supervision:create")).status_code == (200 if creates else 403)
    for name in ("edit", "visit", "recommend"):
        expected = 200 if creates else (403 if sees else 404)
        assert client.get(reverse(f"supervision:{name}", args=[topic.pk])).status_code == expected, name
        assert client.get(reverse(f"supervision:{name}", args=[other_topic.pk])).status_code == (200 if city else 404)


def test_unit_staff_without_recommendations_see_nothing(world, client, frozen, topic):
    login(client, world.users[Role.UNIT_STAFF])
    assert "老旧小区改造" not in client.get(reverse("supervision:list")).content.decode()
    assert client.get(reverse("supervision:detail", args=[topic.pk])).status_code == 404


def test_anonymous_goes_to_login(client, world, topic):
    response = client.get(reverse("supervision:list"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_filters(world, client, frozen, topic, other_topic):
    login(client, world.users[Role.CITY_ADMIN])
    url = reverse("supervision:list")
    assert "背街小巷整治" in client.get(url).content.decode()
    body = client.get(url, {"region": world.district_a.pk}).content.decode()
    assert "老旧小区改造" in body and "背街小巷整治" not in body
    assert "老旧小区改造" not in client.get(url, {"status": "planned"}).content.decode()
    assert "老旧小区改造" in client.get(url, {"status": "bogus", "region": "999999"}).content.decode()


def test_create_topic_page(world, client, frozen):
    login(client, world.users[Role.DISTRICT_ADMIN])
    data = {"title": "加装电梯", "description": "", "region": world.district_a.pk, "starts_on": "2027-01-01",
            "ends_on": "2027-06-30", "status": "planned", "stations": [world.station_a.pk],
            "deputies": [world.deputy_a.pk]}
    response = client.post(reverse("supervision:create"), data)
    topic = Topic.objects.get(title="加装电梯")
    assert response.status_code == 302 and response["Location"] == reverse("supervision:detail", args=[topic.pk])
    assert list(topic.stations.all()) == [world.station_a]


@pytest.mark.parametrize("bad", [
    {"title": ""}, {"ends_on": "2026-01-01"}, {"starts_on": "not a date"}, {"stations": ["station_b"]},
    {"deputies": ["deputy_b"]}, {"region": "district_b"}, {"status": "nope"},
])
def test_create_topic_bad_input_changes_nothing(world, client, frozen, bad):
    login(client, world.users[Role.DISTRICT_ADMIN])
    data = {"title": "加装电梯", "region": world.district_a.pk, "starts_on": "2027-01-01",
            "ends_on": "2027-06-30", "status": "planned", "stations": [world.station_a.pk]}
    for key, value in bad.items():
        if key == "region":
            value = getattr(world, value).pk
        elif isinstance(value, list):
            value = [getattr(world, v).pk for v in value]
        data[key] = value
    response = client.post(reverse("supervision:create"), data)
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode() or "alert-danger" in response.content.decode()
    assert Topic.objects.count() == 0


def test_edit_topic_page(world, client, frozen, topic):
    login(client, world.users[Role.DISTRICT_ADMIN])
    data = {"title": "老旧小区改造（二期）", "region": world.district_a.pk, "starts_on": "2027-01-01",
            "ends_on": "2027-12-31", "status": "active", "stations": [world.station_a.pk],
            "deputies": [world.deputy_a.pk]}
    assert client.post(reverse("supervision:edit", args=[topic.pk]), data).status_code == 302
    topic.refresh_from_db()
    assert topic.title == "老旧小区改造（二期）" and not topic.published
    data["status"] = "planned"  # backwards: refused, unchanged
    response = client.post(reverse("supervision:edit", args=[topic.pk]), data | {"title": "改了"})
    assert response.status_code == 200
    topic.refresh_from_db()
    assert topic.title == "老旧小区改造（二期）"


def test_visit_page_creates_supervision_activity(world, client, frozen, topic):
    login(client, world.users[Role.DISTRICT_ADMIN])
    data = {"station": world.station_a.pk, "title": "实地查看", "starts_at": "2027-03-05T09:00",
            "ends_at": "2027-03-05T11:00"}
    response = client.post(reverse("supervision:visit", args=[topic.pk]), data)
    visit = Activity.objects.get(topic=topic)
    assert response.status_code == 302 and response["Location"] == reverse("activities:detail", args=[visit.pk])
    assert visit.kind == "supervision"
    response = client.post(reverse("supervision:visit", args=[topic.pk]), data | {"ends_at": "2027-03-05T08:00"})
    assert response.status_code == 200 and Activity.objects.count() == 1


def test_recommendation_page(world, client, frozen, topic, category):
    login(client, world.users[Role.DISTRICT_ADMIN])
    data = {"title": "加装电梯进度慢", "text": "三栋楼停工", "station": world.station_a.pk, "category": category.pk,
            "unit": world.unit_a.pk, "working_days": 15}
    assert client.post(reverse("supervision:recommend", args=[topic.pk]), data).status_code == 302
    rec = Recommendation.objects.get()
    assert rec.opinion.status == "transferred" and rec.opinion.unit == world.unit_a
    before = (Recommendation.objects.count(), Opinion.objects.count())
    for bad in ({"unit": world.unit_b.pk}, {"working_days": 0}, {"title": ""}, {"station": ""}):
        response = client.post(reverse("supervision:recommend", args=[topic.pk]), data | bad)
        assert response.status_code == 200
    assert (Recommendation.objects.count(), Opinion.objects.count()) == before
    body = client.get(reverse("supervision:detail", args=[topic.pk])).content.decode()
    assert reverse("opinions:detail", args=[rec.opinion_id]) in body


def test_milestone_page_per_role(world, client, frozen, topic, recommend):
    rec = recommend()
    url = reverse("supervision:milestone", args=[rec.pk])
    expected = {Role.CITY_ADMIN: 200, Role.DISTRICT_ADMIN: 200, Role.SITE_MANAGER: 403, Role.DEPUTY: 403,
                Role.UNIT_STAFF: 200, Role.AUDITOR: 404}
    for role, status in expected.items():
        login(client, world.users[role])
        assert client.get(url).status_code == status, role
    login(client, world.outsider)
    assert client.get(url).status_code == 404
    login(client, world.users[Role.UNIT_STAFF])
    response = client.post(url, {"on": "2027-03-01", "text": "完成设计", "progress": 40})
    assert response.status_code == 302 and response["Location"] == reverse("supervision:mine")
    response = client.post(url, {"on": "2027-03-01", "text": "倒退", "progress": 10})
    assert response.status_code == 200 and Milestone.objects.count() == 1
    response = client.post(url, {"on": "2027-03-01", "text": "完工", "progress": 100})
    assert response.status_code == 200 and Milestone.objects.count() == 1
    topic.refresh_from_db()
    assert topic.progress == 40


def test_mine_page(world, client, frozen, topic, recommend):
    rec = recommend()
    from lianxin.testing import make_user
    other = make_user("other-unit", Role.UNIT_STAFF, unit=world.unit_b)
    login(client, world.users[Role.UNIT_STAFF])
    body = client.get(reverse("supervision:mine")).content.decode()
    assert rec.title in body and reverse("supervision:milestone", args=[rec.pk]) in body
    login(client, other)
    assert rec.title not in client.get(reverse("supervision:mine")).content.decode()
    login(client, world.outsider)
    assert rec.title not in client.get(reverse("supervision:mine")).content.decode()


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_query_counts_do_not_grow_with_rows(world, client, frozen, admin, topic, recommend, category):
    login(client, world.users[Role.DISTRICT_ADMIN])
    rec = recommend()
    services.add_milestone(admin, rec, on=NOW.date(), text="a", progress=10)
    pages = [reverse("supervision:list"), reverse("supervision:detail", args=[topic.pk]),
             reverse("supervision:mine"), reverse("supervision_public:list"),
             reverse("supervision_public:detail", args=[topic.pk])]
    one = [_queries(client, url) for url in pages]
    for i in range(4):
        more = recommend(title=f"建议{i}")
        services.add_milestone(admin, more, on=NOW.date(), text="b", progress=20)
        services.add_milestone(admin, more, on=NOW.date(), text="c", progress=30)
        services.create_topic(admin, title=f"专题{i}", region=world.district_a, starts_on=datetime.date(2027, 1, 1),
                              ends_on=datetime.date(2027, 2, 1), published=True, stations=[world.station_a],
                              deputies=[world.deputy_a])
        services.schedule_visit(admin, topic, station=world.station_a, title=f"走访{i}",
                                starts_at=NOW + datetime.timedelta(days=i + 1),
                                ends_at=NOW + datetime.timedelta(days=i + 1, hours=1))
    many = [_queries(client, url) for url in pages]
    assert many == one

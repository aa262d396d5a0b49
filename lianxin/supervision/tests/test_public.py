"""The public pages: published topics only, progress shown, no personal data."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from lianxin.accounts.models import Role
from lianxin.activities.models import Activity
from lianxin.supervision import services
from lianxin.supervision.models import Topic

from .conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_only_published_topics(world, client, frozen, admin, topic):
    hidden = services.create_topic(admin, title="未公开的专题", region=world.district_a,
                                   starts_on=datetime.date(2027, 1, 1), ends_on=datetime.date(2027, 3, 1))
    body = client.get(reverse("supervision_public:list")).content.decode()
    assert topic.title in body and hidden.title not in body
    assert client.get(reverse("supervision_public:detail", args=[hidden.pk])).status_code == 404
    assert client.get(reverse("supervision_public:detail", args=[topic.pk])).status_code == 200


def test_topic_page_shows_progress_and_no_personal_data(world, client, frozen, admin, topic, recommend):
    rec = recommend()
    services.add_milestone(world.users[Role.UNIT_STAFF], rec, on=NOW.date(), text="完成设计方案", progress=40)
    visit = services.schedule_visit(admin, topic, station=world.station_a, title="实地查看",
                                    starts_at=NOW - datetime.timedelta(hours=3),
                                    ends_at=NOW - datetime.timedelta(hours=1))
    planned = services.schedule_visit(admin, topic, station=world.station_a, title="下次走访",
                                      starts_at=NOW + datetime.timedelta(days=3),
                                      ends_at=NOW + datetime.timedelta(days=3, hours=1))
    Activity.objects.filter(pk=visit.pk).update(status=Activity.Status.HELD)  # closing as held is the activities pages' job
    body = client.get(reverse("supervision_public:detail", args=[topic.pk])).content.decode()
    for shown in (topic.title, world.deputy_a.name, world.station_a.name, rec.title, world.unit_a.name,
                  "完成设计方案", "40%", "2027-03-01"):
        assert shown in body, shown
    assert planned.title not in body and "2027-03-04" not in body  # only visits held
    for secret in (world.deputy_a.phone, world.deputy_a.occupation, world.unit_a.contact_phone,
                   world.unit_a.contact_name, rec.opinion.tracking_code, "district"):
        assert secret not in body, secret
    assert "/staff/" not in body


def test_public_page_on_a_phone_viewport_markup(world, client, topic):
    body = client.get(reverse("supervision_public:detail", args=[topic.pk])).content.decode()
    assert 'name="viewport"' in body and "table" not in body  # cards and lists only: readable at 360 px


def test_concluded_topic_still_public(world, client, frozen, admin, topic):
    services.update_topic(admin, topic, title=topic.title, region=world.district_a, starts_on=topic.starts_on,
                          ends_on=topic.ends_on, status=Topic.Status.CONCLUDED, published=True,
                          stations=[world.station_a], deputies=[world.deputy_a])
    assert client.get(reverse("supervision_public:detail", args=[topic.pk])).status_code == 200

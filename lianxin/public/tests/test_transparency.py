"""The public transparency page: figures equal to direct counts, titles masked, no personal data, the
links to the public pages, a fixed query count and the short cache."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lianxin.activities.models import Activity
from lianxin.dashboard import rollups
from lianxin.legislation.models import Consultation
from lianxin.opinions.models import Category, Opinion
from lianxin.public.transparency import mask_digits

URL = "/transparency/"
NAME, PHONE = "欧阳小娟", "13712349876"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(timezone.make_aware(datetime.datetime(2025, 6, 16, 10, 0)), tick=False):
        yield


def at(day, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def opinion(world, station, region, day, title, **fields):
    category = Category.objects.get_or_create(code="urban", defaults={"name": "城乡建设"})[0]
    return Opinion.objects.create(category=category, title=title, text=f"{NAME}反映，电话{PHONE}", channel="walk_in",
                                  region=region, station=station, created_at=at(day), citizen_name=NAME,
                                  citizen_phone=PHONE, reply=f"已联系{NAME}", **fields)


def resolved(world, station, region, day, title):
    return opinion(world, station, region, day, title, status="closed", outcome="resolved",
                   replied_at=at(day), closed_at=at(day + datetime.timedelta(days=3)))


@pytest.fixture
def public_world(world):
    day = datetime.date(2025, 3, 3)
    for i in range(3):
        Activity.objects.create(station=world.station_a, kind="reception", title="接待日", starts_at=at(day, 9),
                                ends_at=at(day, 11), status=Activity.Status.HELD, held_at=at(day, 12))
    Activity.objects.create(station=world.station_b, kind="reception", title="接待日", starts_at=at(day, 9),
                            ends_at=at(day, 11), status=Activity.Status.HELD, held_at=at(day, 12))
    resolved(world, world.station_a, world.street_a, day, "坞城路12345号楼路灯不亮，联系13712349876")
    resolved(world, world.station_b, world.street_b, day, "柳巷噪音扰民")
    opinion(world, world.station_a, world.street_a, day, "坞城积水")  # open: not listed
    rollups.refresh()
    return world


def test_mask_digits():
    assert mask_digits("坞城路12345号 电话13712349876 3号楼") == "坞城路*****号 电话*********** 3号楼"
    assert mask_digits("１２３４５６") == "******"  # full-width digits too


def test_page_shows_figures_equal_to_direct_counts(client, public_world):
    response = client.get(URL)
    assert response.status_code == 200
    headline = response.context["headline"]
    assert headline["opinions_heard"] == Opinion.objects.exclude(channel="supervision").count() == 3
    assert headline["matters_resolved"] == Opinion.objects.filter(status="closed", outcome="resolved").count() == 2
    assert headline["activities"] == Activity.objects.filter(status="held").count() == 4
    body = response.content.decode()
    assert 'data-figure="opinions_heard">3<' in body and 'data-figure="matters_resolved">2<' in body
    districts = {row["name"]: row for row in response.context["districts"]}
    assert districts[public_world.district_a.name]["activities"] == 3
    assert districts[public_world.district_b.name]["activities"] == 1
    assert districts[public_world.district_a.name]["opinions"] == 2


def test_resolved_matters_are_masked_and_carry_no_personal_data(client, public_world):
    body = client.get(URL).content.decode()
    assert "坞城路*****号楼路灯不亮，联系***********" in body
    assert "柳巷噪音扰民" in body and "坞城积水" not in body  # only resolved matters
    for secret in (NAME, PHONE, "12345", "137****9876", "已联系"):
        assert secret not in body
    assert public_world.station_a.name in body and "2025-03-06" in body and "城乡建设" in body


def test_links_to_the_public_pages(client, public_world):
    today = datetime.date(2025, 6, 16)
    Consultation.objects.create(title="太原市物业管理条例（草案）", organiser="市人大常委会法工委", source_text="第一条",
                                region=public_world.city, status=Consultation.Status.OPEN, opens_on=today,
                                closes_on=today + datetime.timedelta(days=20))
    day = Activity.objects.create(station=public_world.station_a, kind="reception", title="接待日",
                                  starts_at=at(today + datetime.timedelta(days=3), 9),
                                  ends_at=at(today + datetime.timedelta(days=3), 11),
                                  status=Activity.Status.PUBLISHED)
    body = client.get(URL).content.decode()
    assert "太原市物业管理条例（草案）" in body
    assert f'href="/r/day/{day.pk}/"' in body
    assert 'href="/exemplary/"' in body and 'href="/l/"' in body
    assert 'href="/transparency/"' in client.get("/").content.decode()  # linked from the public home page


def test_fixed_queries_and_cached(client, public_world):
    with CaptureQueriesContext(connection) as first:
        client.get(URL)
    for i in range(10):
        resolved(public_world, public_world.station_b, public_world.street_b, datetime.date(2025, 4, 1), f"事项{i}")
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as second:
        client.get(URL)
    assert len(second.captured_queries) == len(first.captured_queries)
    with CaptureQueriesContext(connection) as cached:
        client.get(URL)
    assert len(cached.captured_queries) < len(first.captured_queries)
    assert len(cached.captured_queries) <= 3  # session / nothing of the figures

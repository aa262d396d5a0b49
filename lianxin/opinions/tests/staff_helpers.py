"""Shared bits of the staff console tests: a category, a township office, and opinions made through the services."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from lianxin.opinions import services
from lianxin.opinions.models import Category
from lianxin.units.models import HandlingUnit

NOW = timezone.make_aware(datetime.datetime(2027, 3, 1, 10, 0))  # a Monday


@pytest.fixture
def category(db):
    return Category.objects.create(code="urban", name="城乡建设", name_en="Urban construction")


@pytest.fixture
def township_office(world):
    return HandlingUnit.objects.create(code="U-140105001", name="坞城街道办事处", region=world.street_a,
                                       kind=HandlingUnit.Kind.TOWNSHIP, contact_name="办",
                                       contact_phone="0351-1111111")


def submit(category, station, title="小区路灯不亮", text="坞城社区3号楼前路灯坏了一个月", **extra):
    values = {"channel": "site_qr", "citizen_name": "王小二", "citizen_phone": "13900001111"}
    values.update(extra)
    opinion, _ = services.submit_opinion(category=category, title=title, text=text, station=station, **values)
    return opinion


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def english(client):
    """Pages in English, so assertions on messages hold whatever the Chinese catalog says."""
    client.cookies["django_language"] = "en"
    return client

"""The citizen rates a replied case: satisfied closes it, unsatisfied reopens it to the unit."""

import datetime

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from lianxin.opinions import services
from lianxin.opinions.models import Category, Opinion, OpinionEvent, Outcome, Status

NOW = timezone.make_aware(datetime.datetime(2027, 3, 1, 10, 0))


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()


@pytest.fixture
def replied(world):
    category = Category.objects.create(code="urban", name="城乡建设")
    with time_machine.travel(NOW, tick=False):
        case, _ = services.submit_opinion(category=category, title="停车难", text="车位不足", channel="portal",
                                          station=world.station_a, citizen_phone="13900001111")
        admin = world.users["district_admin"]
        services.accept(case, admin)
        services.transfer(case, admin, unit=world.unit_a, working_days=5)
        services.reply(case, world.users["unit_staff"], text="正在规划。")
    return case


def verified(client, case):
    client.post("/o/track/", {"code": case.tracking_code, "digits": "1111"})
    return client


def rate(client, case, **data):
    return client.post(f"/o/track/{case.tracking_code}/rate/", data, HTTP_ACCEPT_LANGUAGE="en", follow=True)


def test_satisfied_and_resolved_closes_the_case(client, replied):
    response = rate(verified(client, replied), replied, satisfaction="satisfied", resolved="yes", comment="谢谢")
    replied.refresh_from_db()
    assert replied.status == Status.CLOSED and replied.outcome == Outcome.RESOLVED
    html = response.content.decode()
    assert "The case is now closed." in html and "谢谢" in html
    assert "Send my rating" not in html


def test_unsatisfied_reopens_and_sends_back_to_the_unit(client, world, replied):
    response = rate(verified(client, replied), replied, satisfaction="unsatisfied", resolved="no")
    replied.refresh_from_db()
    assert replied.status == Status.TRANSFERRED and replied.unit == world.unit_a and replied.reopen_count == 1
    assert "reopened and sent back to the handling unit" in response.content.decode()


def test_reopen_limit_is_configurable(client, replied, settings):
    settings.OPINION_REOPEN_LIMIT = 0
    rate(verified(client, replied), replied, satisfaction="unsatisfied", resolved="no")
    replied.refresh_from_db()
    assert replied.status == Status.CLOSED and replied.outcome == Outcome.NOT_RESOLVED


def test_rating_needs_the_verified_code(client, replied):
    response = client.post(f"/o/track/{replied.tracking_code}/rate/", {"satisfaction": "satisfied",
                                                                       "resolved": "yes"})
    assert response.status_code == 302 and response["Location"].startswith("/o/track/?code=")
    assert Opinion.objects.get(pk=replied.pk).status == Status.REPLIED


def test_incomplete_rating_changes_nothing(client, replied):
    response = rate(verified(client, replied), replied, satisfaction="satisfied")
    assert "Tell us whether your matter was resolved." in response.content.decode()
    assert Opinion.objects.get(pk=replied.pk).status == Status.REPLIED
    assert not OpinionEvent.objects.filter(opinion=replied, action="rate").exists()


def test_rating_twice_is_refused_with_the_engine_message(client, replied):
    verified(client, replied)
    rate(client, replied, satisfaction="satisfied", resolved="yes")
    again = rate(client, replied, satisfaction="unsatisfied", resolved="no")
    assert "This cannot be done while the case is" in again.content.decode()
    assert OpinionEvent.objects.filter(opinion=replied, action="rate").count() == 1

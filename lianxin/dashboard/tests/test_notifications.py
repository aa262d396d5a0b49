"""A staff account reads its in-app notices: only its own, newest first, marked read one by one or all."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from lianxin.accounts.models import Role
from lianxin.opinions.models import Notification

NOW = timezone.make_aware(datetime.datetime(2027, 3, 1, 10, 0))
LIST = reverse("dashboard:notifications")
READ = reverse("dashboard:notifications_read")
BADGE = reverse("dashboard:notification_badge")


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def notices(user, count, prefix="通知"):
    return [Notification.objects.create(user=user, message=f"{prefix}{i}",
                                        created_at=NOW - datetime.timedelta(minutes=i)) for i in range(count)]


def test_a_staff_account_sees_only_its_own_notices_newest_first(client_for, world):
    manager, other = world.users[Role.SITE_MANAGER], world.users[Role.DISTRICT_ADMIN]
    notices(manager, 3)
    notices(other, 2, prefix="别人的")
    page = client_for(manager).get(LIST)
    assert page.status_code == 200
    text = page.content.decode()
    assert text.index("通知0") < text.index("通知1") < text.index("通知2")
    assert "别人的" not in text
    assert 'data-testid="unread-count">3<' in text


def test_marking_one_and_then_all_as_read(client_for, world):
    manager = world.users[Role.SITE_MANAGER]
    first, *rest = notices(manager, 3)
    client = client_for(manager)
    assert client.post(READ, {"id": first.pk, "next": LIST + "?show=all"}).url == LIST + "?show=all"
    first.refresh_from_db()
    assert first.read_at == NOW and Notification.objects.unread().count() == 2
    assert "通知0" not in client.get(LIST).content.decode()  # the unread list
    assert "通知0" in client.get(LIST, {"show": "all"}).content.decode()
    client.post(READ, {"all": "1"})
    assert not Notification.objects.unread().exists()
    assert 'data-testid="notice"' not in client.get(LIST).content.decode()
    assert client.get(LIST, {"show": "all"}).content.decode().count('data-testid="notice"') == 3


def test_another_accounts_notice_or_a_bad_id_is_404_and_changes_nothing(client_for, world):
    manager, other = world.users[Role.SITE_MANAGER], world.users[Role.DISTRICT_ADMIN]
    (theirs,) = notices(other, 1)
    client = client_for(manager)
    for value in (theirs.pk, "x", ""):
        assert client.post(READ, {"id": value}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert client.get(READ).status_code == 405
    # An outside address in "next" is not followed.
    (mine,) = notices(manager, 1)
    assert client.post(READ, {"id": mine.pk, "next": "https://example.com/"}).url == LIST


def test_the_badge_counts_the_unread_and_the_list_pages_by_keyset(client_for, world, django_assert_max_num_queries):
    manager = world.users[Role.SITE_MANAGER]
    notices(manager, 45)
    client = client_for(manager)
    assert ">45<" in client.get(BADGE).content.decode()
    with django_assert_max_num_queries(8):
        first = client.get(LIST)
    assert first.content.decode().count('data-testid="notice"') == 30
    cursor = first.context["page"].next_cursor
    second = client.get(LIST, {"cursor": cursor})
    assert second.content.decode().count('data-testid="notice"') == 15


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    assert client.get(LIST).status_code == 302
    assert client.get(BADGE).status_code == 302

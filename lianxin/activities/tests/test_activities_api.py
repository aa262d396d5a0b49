"""Staff API of activities: GET /api/v1/activities (filters, keyset) and /api/v1/activities/{id}."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lianxin.accounts.models import Role
from lianxin.activities import services
from lianxin.activities.models import Kind

URL = "/api/v1/activities"


def make(world, station=None, title="接待选民", hours_ago=3, kind=Kind.RECEPTION):
    station = station or world.station_a
    deputy = world.deputy_a if station == world.station_a else world.deputy_b
    now = timezone.now()
    return services.create_activity(
        world.superuser, station=station, kind=kind, title=title,
        starts_at=now - datetime.timedelta(hours=hours_ago), ends_at=now - datetime.timedelta(hours=hours_ago - 1),
        deputies=[deputy])


def test_needs_an_account(client, world):
    response = client.get(URL)
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


@pytest.mark.parametrize("role", [Role.UNIT_STAFF, Role.AUDITOR])
def test_other_roles_not_allowed(client_for, world, role):
    a = make(world)
    client = client_for(world.users[role])
    assert client.get(URL).json()["code"] == "not_allowed"
    assert client.get(f"{URL}/{a.pk}").status_code == 403


def test_list_scoped_and_detail_404_outside(client_for, world):
    a, b = make(world, title="坞城"), make(world, world.station_b, title="柳巷")
    client = client_for(world.users[Role.DISTRICT_ADMIN])
    body = client.get(URL).json()
    assert [item["title"] for item in body["items"]] == ["坞城"]
    assert body["items"][0]["site"]["code"] == world.station_a.code
    assert client.get(f"{URL}/{b.pk}").json()["code"] == "not_found"
    assert client.get(f"{URL}/{a.pk}").status_code == 200
    deputy = client_for(world.users[Role.DEPUTY])
    assert [i["title"] for i in deputy.get(URL).json()["items"]] == ["坞城"]


def test_detail_has_attendance_and_left_early(client_for, world):
    a = make(world)
    services.hold(world.superuser, a, minutes="纪要", citizens_received=4, attendance=[
        services.Presence(world.deputy_a.pk, True, a.starts_at, a.starts_at + datetime.timedelta(minutes=10))])
    body = client_for(world.users[Role.SITE_MANAGER]).get(f"{URL}/{a.pk}").json()
    assert body["status"] == "held" and body["citizens_received"] == 4 and body["minutes"] == "纪要"
    (row,) = body["attendance"]
    assert row["deputy_name"] == world.deputy_a.name and row["minutes_present"] == 10 and row["left_early"] is True


def test_filters(client_for, world):
    make(world, title="接待选民")
    make(world, title="主题监督", kind=Kind.SUPERVISION)
    make(world, world.station_b, title="柳巷")
    client = client_for(world.users[Role.CITY_ADMIN])

    def titles(**params):
        response = client.get(URL, params)
        assert response.status_code == 200, response.json()
        return sorted(i["title"] for i in response.json()["items"])

    assert titles(kind="supervision") == ["主题监督"]
    assert titles(site=world.station_b.code) == ["柳巷"]
    assert titles(region=world.district_a.code) == ["主题监督", "接待选民"]
    assert titles(deputy=world.deputy_b.pk) == ["柳巷"]
    assert titles(q="接待") == ["接待选民"]
    assert titles(status="held") == []
    assert titles(since="2000-01-01", until="2000-12-31") == []
    for params in ({"kind": "party"}, {"site": "nope"}, {"region": "999"}, {"since": "2020-02-01", "until": "2020-01-01"}):
        response = client.get(URL, params)
        assert response.status_code == 422 and response.json()["code"] == "invalid"


def test_keyset_pages_each_row_once(client_for, world):
    for i in range(7):
        make(world, title=f"活动{i}", hours_ago=3 + i)
    client = client_for(world.users[Role.CITY_ADMIN])
    seen, cursor = [], None
    while True:
        body = client.get(URL, {"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        seen += [i["title"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [f"活动{i}" for i in range(7)]


def test_query_count_constant(client_for, world):
    client = client_for(world.users[Role.CITY_ADMIN])
    a = make(world)

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = (count(URL), count(f"{URL}/{a.pk}"))
    for i in range(8):
        make(world, title=f"活动{i}")
    a.attendances.create(deputy=world.deputy_b, expected=False)
    assert (count(URL), count(f"{URL}/{a.pk}")) == few

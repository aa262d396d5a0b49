"""Public endpoints: the site directory, a site's page and a deputy's page — no account, no personal data."""

import json

import pytest

from lianxin.deputies.models import Assignment, Deputy, Level, Seat
from lianxin.stations.models import Station
from lianxin.testing import make_station


def codes(response):
    return [row["code"] for row in response.json()["items"]]


def test_directory_lists_active_sites_with_district_and_opening_hours(client, world):
    world.station_b.status = Station.Status.INACTIVE
    world.station_b.save()
    response = client.get("/api/v1/public/stations")
    assert response.status_code == 200
    assert sorted(codes(response)) == sorted([world.station_a.code, world.point_a.code])
    row = response.json()["items"][0]
    assert row["district"] == {"code": "140105", "name": "小店区"}
    assert row["opening_hours"] == world.station_a.opening_hours
    assert {"latitude", "longitude", "address", "kind", "name"} <= set(row)


def test_directory_filters_by_district_and_keyword(client, world):
    assert codes(client.get("/api/v1/public/stations?district=140106")) == [world.station_b.code]
    assert codes(client.get("/api/v1/public/stations", {"q": "坞城社区"})) == [world.point_a.code]
    assert codes(client.get("/api/v1/public/stations", {"q": "柳巷街道1号"})) == [world.station_b.code]


def test_unknown_district_is_a_clear_422(client, world):
    response = client.get("/api/v1/public/stations?district=999999", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["loc"] == ["query", "district"]
    assert "999999" in error["msg"]


def test_near_returns_the_ten_nearest_with_distances(client, world):
    for i in range(12):
        make_station(f"S-X{i:02d}", f"远处站{i}", world.street_b, latitude=f"{38 + i / 10:.6f}", longitude="112.900000")
    response = client.get("/api/v1/public/stations?near=37.8,112.58")
    items = response.json()["items"]
    assert len(items) == 10
    assert items[0]["code"] == world.station_a.code
    assert items[0]["distance_m"] == 0
    assert items[1]["code"] == world.point_a.code
    assert 100 < items[1]["distance_m"] < 200
    distances = [row["distance_m"] for row in items]
    assert distances == sorted(distances)
    assert response.json()["next_cursor"] is None


def test_near_looks_beyond_the_local_box_when_it_holds_too_few_sites(client, world):
    response = client.get("/api/v1/public/stations?near=40.0,115.0")
    assert len(response.json()["items"]) == 3


@pytest.mark.parametrize("near", ["abc", "37.8", "37.8;112.5", "95,112", "37,190"])
def test_bad_location_is_a_422_in_the_callers_language(client, world, near):
    response = client.get("/api/v1/public/stations", {"near": near}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "部分请求参数无效。"
    [error] = body["errors"]
    assert error["loc"] == ["query", "near"]
    assert "纬度" in error["msg"]


def test_directory_pages_by_keyset(client, world):
    for i in range(5):
        make_station(f"S-140105001-{i}", f"坞城第{i}联络点", world.street_a, Station.Kind.POINT)
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/public/stations", params).json()
        seen += [row["code"] for row in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 8


def test_site_page_lists_deputies_names_and_levels_without_personal_data(client, world):
    member = Deputy.objects.create(name="王建国", gender="m", phone="13700001111", birth_year=1970)
    Seat.objects.create(deputy=member, level=Level.TOWNSHIP, term=18, constituency=world.street_a)
    Assignment.objects.create(deputy=member, station=world.station_a)
    response = client.get(f"/api/v1/public/stations/{world.station_a.code}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    body = response.json()
    names = [(d["name"], d["role"]) for d in body["deputies"]]
    assert names == [("李明华", "leader"), ("王建国", "member")]  # group leader first
    assert [lv["level"] for lv in body["deputies"][0]["levels"]] == ["municipal", "county"]
    assert body["deputies"][0]["levels"][0]["label"] == "市级"
    text = json.dumps(body, ensure_ascii=False)
    for secret in ("13812345678", "138****5678", "13700001111", "1970", "坞城社区主任"):
        assert secret not in text
    assert set(body["deputies"][0]) == {"public_code", "name", "role", "role_label", "levels"}


def test_inactive_or_unknown_site_is_404(client, world):
    world.station_b.status = Station.Status.INACTIVE
    world.station_b.save()
    assert client.get(f"/api/v1/public/stations/{world.station_b.code}").status_code == 404
    assert client.get("/api/v1/public/stations/NOPE").status_code == 404


def test_deputy_page_shows_seats_and_active_sites_only(client, world):
    world.point_a.status = Station.Status.INACTIVE
    world.point_a.save()
    Assignment.objects.create(deputy=world.deputy_a, station=world.point_a)
    response = client.get(f"/api/v1/public/deputies/{world.deputy_a.public_code}")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "李明华"
    assert {(s["level"], s["term"]) for s in body["seats"]} == {("county", 17), ("municipal", 16)}
    assert [s["code"] for s in body["sites"]] == [world.station_a.code]
    assert "phone" not in body and "13812345678" not in json.dumps(body)


def test_inactive_deputy_and_internal_ids_are_not_public(client, world):
    world.deputy_b.active = False
    world.deputy_b.save()
    assert client.get(f"/api/v1/public/deputies/{world.deputy_b.public_code}").status_code == 404
    assert client.get(f"/api/v1/public/deputies/{world.deputy_a.pk}").status_code == 404


def test_public_endpoints_make_a_fixed_number_of_queries(client, world, django_assert_num_queries):
    for i in range(6):
        station = make_station(f"S-140105001-{i}", f"坞城第{i}联络点", world.street_a, Station.Kind.POINT)
        deputy = Deputy.objects.create(name=f"代表{i}", gender="f")
        Seat.objects.create(deputy=deputy, level=Level.COUNTY, term=17, constituency=world.street_a)
        Assignment.objects.create(deputy=deputy, station=world.station_a)
        Assignment.objects.create(deputy=deputy, station=station)
    with django_assert_num_queries(2):  # page + district names
        assert len(client.get("/api/v1/public/stations").json()["items"]) == 9
    with django_assert_num_queries(3):  # the box (9 sites: too few), then all sites, district names
        client.get("/api/v1/public/stations?near=37.8,112.58")
    with django_assert_num_queries(4):  # site, assignments+deputies, seats, district names
        assert len(client.get(f"/api/v1/public/stations/{world.station_a.code}").json()["deputies"]) == 7
    with django_assert_num_queries(3):  # deputy, seats, sites
        client.get(f"/api/v1/public/deputies/{world.deputy_a.public_code}")

"""Staff endpoints: filters, keyset pages, masking, clear 422s and a fixed number of queries.

Who sees which object is the scoping matrix's job (tests/test_scoping_matrix.py).
"""

import pytest

from lianxin.deputies.models import Assignment, Deputy, Level, Seat
from lianxin.stations.models import Station
from lianxin.testing import make_station
from lianxin.units.models import HandlingUnit


def codes(response, key="code"):
    assert response.status_code == 200, response.content
    return [row[key] for row in response.json()["items"]]


def walk(client, url, limit):
    """Follow next_cursor to the end; return every row's code/id in order."""
    seen, cursor = [], None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        body = client.get(url, params).json()
        seen += [row.get("code", row.get("id")) for row in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            return seen


@pytest.fixture
def city(client_for, world):
    return client_for(world.users["city_admin"])


@pytest.fixture
def many(world):
    """Twelve more points and deputies in district A, each deputy at one point with a township seat."""
    for i in range(12):
        station = make_station(
            f"P-140105001-{i:02d}", f"坞城第{i}联络点", world.street_a, Station.Kind.POINT,
            tier=Station.Tier.STAR if i % 3 == 0 else Station.Tier.NONE,
        )
        deputy = Deputy.objects.create(name=f"代表{i:02d}", gender="f", phone=f"1390000{i:04d}")
        Seat.objects.create(deputy=deputy, level=Level.TOWNSHIP, term=18, constituency=world.street_a)
        Assignment.objects.create(deputy=deputy, station=station)
    HandlingUnit.objects.bulk_create(
        HandlingUnit(code=f"U-140105-{i + 10}", name=f"小店区第{i}局", region=world.district_a,
                     contact_name="张", contact_phone="0351-1")
        for i in range(12)
    )


# ---- sites ---------------------------------------------------------------------------------------


def test_stations_filter_by_region_kind_tier_status_and_keyword(city, world, many):
    assert set(codes(city.get("/api/v1/stations?region=140106"))) == {world.station_b.code}
    assert len(codes(city.get("/api/v1/stations?region=140105&kind=point&limit=200"))) == 13
    assert len(codes(city.get("/api/v1/stations?tier=star"))) == 4
    world.station_b.status = Station.Status.INACTIVE
    world.station_b.save()
    assert codes(city.get("/api/v1/stations?status=inactive")) == [world.station_b.code]
    assert codes(city.get("/api/v1/stations", {"q": "柳巷"})) == [world.station_b.code]
    assert codes(city.get("/api/v1/stations", {"q": "P-140105001-07"})) == ["P-140105001-07"]


def test_stations_pages_cover_every_row_once_in_order(city, world, many):
    everything = codes(city.get("/api/v1/stations?limit=200"))
    assert len(everything) == 15
    assert walk(city, "/api/v1/stations", 4) == everything


@pytest.mark.parametrize(
    "query, field",
    [("limit=0", "limit"), ("limit=201", "limit"), ("limit=x", "limit"), ("kind=kiosk", "kind"),
     ("tier=gold", "tier"), ("status=gone", "status"), ("region=000000", "region"), ("q=" + "长" * 51, "q")],
)
def test_bad_station_filters_are_422_naming_the_parameter(city, world, query, field):
    response = city.get(f"/api/v1/stations?{query}")
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [["query", field]]


def test_region_filter_outside_the_callers_area_is_422_like_an_unknown_code(client_for, world):
    client = client_for(world.users["district_admin"])
    outside = client.get("/api/v1/stations?region=140106").json()
    unknown = client.get("/api/v1/stations?region=149999").json()
    assert outside["errors"][0]["msg"].replace("140106", "X") == unknown["errors"][0]["msg"].replace("149999", "X")


def test_station_detail_has_contact_and_current_group(city, world):
    Assignment.objects.create(deputy=world.deputy_b, station=world.station_a, ended_on="2024-06-01",
                              started_on="2024-01-01")
    body = city.get(f"/api/v1/stations/{world.point_a.code}").json()
    assert body["parent_code"] == world.station_a.code
    body = city.get(f"/api/v1/stations/{world.station_a.code}").json()
    assert body["contact_phone"] == "0351-1234567"
    assert [(d["name"], d["role"]) for d in body["deputies"]] == [("李明华", "leader")]  # ended rows left out


def test_station_endpoints_make_a_fixed_number_of_queries(city, world, many, django_assert_num_queries):
    # session, user, the admin's region (scope), then the page; the detail adds assignments and seats.
    with django_assert_num_queries(4):
        assert len(codes(city.get("/api/v1/stations?limit=200"))) == 15
    for i in range(5):
        deputy = Deputy.objects.create(name=f"组员{i}", gender="m")
        Seat.objects.create(deputy=deputy, level=Level.COUNTY, term=17, constituency=world.street_a)
        Assignment.objects.create(deputy=deputy, station=world.station_a)
    with django_assert_num_queries(6):
        assert len(city.get(f"/api/v1/stations/{world.station_a.code}").json()["deputies"]) == 6


# ---- deputies ------------------------------------------------------------------------------------


def test_deputies_filter_by_region_level_site_and_name(city, world, many):
    assert codes(city.get("/api/v1/deputies?region=140106"), "id") == [world.deputy_b.pk]
    assert len(codes(city.get("/api/v1/deputies?level=township"), "id")) == 12
    assert codes(city.get("/api/v1/deputies?level=municipal"), "id") == [world.deputy_a.pk]
    assert codes(city.get(f"/api/v1/deputies?station={world.station_b.code}"), "id") == [world.deputy_b.pk]
    assert codes(city.get("/api/v1/deputies", {"q": "淑芬"}), "id") == [world.deputy_b.pk]


def test_deputies_pages_cover_every_row_once(city, world, many):
    everything = codes(city.get("/api/v1/deputies?limit=200"), "id")
    assert len(everything) == 14
    assert walk(city, "/api/v1/deputies", 5) == everything


def test_bad_deputy_parameters_are_422(city, world):
    assert city.get("/api/v1/deputies?level=mayor").status_code == 422
    assert city.get("/api/v1/deputies/not-a-number").status_code == 422
    assert city.get("/api/v1/deputies?region=nowhere").status_code == 422


def test_deputy_phone_is_always_masked_even_for_the_city_admin(client_for, world):
    for user in (world.users["city_admin"], world.superuser):
        client = client_for(user)
        detail = client.get(f"/api/v1/deputies/{world.deputy_a.pk}").json()
        assert detail["phone"] == "138****5678"
        listing = client.get("/api/v1/deputies").json()["items"]
        assert {row["phone"] for row in listing} == {"138****5678", "139****4321"}
        assert "13812345678" not in client.get(f"/api/v1/deputies/{world.deputy_a.pk}").content.decode()


def test_deputy_detail_has_seats_and_assignment_history(city, world):
    Assignment.objects.create(deputy=world.deputy_a, station=world.station_b, started_on="2023-01-01",
                              ended_on="2023-12-31")
    body = city.get(f"/api/v1/deputies/{world.deputy_a.pk}").json()
    assert {(s["level"], s["term"], s["constituency"]["code"]) for s in body["seats"]} == {
        ("county", 17, "140105001"), ("municipal", 16, "140105"),
    }
    assert [(a["site"]["code"], a["ended_on"]) for a in body["assignments"]] == [
        (world.station_a.code, None), (world.station_b.code, "2023-12-31"),
    ]
    assert body["site_codes"] == [world.station_a.code]


def test_deputy_endpoints_make_a_fixed_number_of_queries(city, world, many, django_assert_num_queries):
    # session, user, the admin's region (scope), page, seats, assignments with their sites
    with django_assert_num_queries(6):
        assert len(codes(city.get("/api/v1/deputies?limit=200"), "id")) == 14
    with django_assert_num_queries(6):
        city.get(f"/api/v1/deputies/{world.deputy_a.pk}")


# ---- units, regions, me --------------------------------------------------------------------------


def test_units_filter_page_and_detail(city, world, many, django_assert_num_queries):
    assert codes(city.get("/api/v1/units?region=140106")) == [world.unit_b.code]
    assert codes(city.get("/api/v1/units", {"q": "住房"})) == [world.unit_a.code]
    world.unit_b.active = False
    world.unit_b.save()
    assert codes(city.get("/api/v1/units?active=false")) == [world.unit_b.code]
    assert city.get("/api/v1/units?kind=ministry").status_code == 422
    with django_assert_num_queries(4):  # session, user, the admin's region, page
        everything = codes(city.get("/api/v1/units?limit=200"))
    assert len(everything) == 14
    assert walk(city, "/api/v1/units", 5) == everything
    body = city.get(f"/api/v1/units/{world.unit_a.code}").json()
    assert body["contact_name"] == "张科长" and body["region"]["code"] == "140105"


def test_regions_walk_the_tree_from_the_callers_top(client_for, world, django_assert_num_queries):
    district = client_for(world.users["district_admin"])
    with django_assert_num_queries(5):  # session, user, the admin's region, the parent, its children
        district.get("/api/v1/regions?parent=140105")
    assert [(r["code"], r["has_children"]) for r in district.get("/api/v1/regions").json()] == [("140105", True)]
    children = district.get("/api/v1/regions?parent=140105001").json()
    assert [(r["code"], r["has_children"], r["parent_code"]) for r in children] == [
        ("140105001001", False, "140105001")
    ]
    assert district.get("/api/v1/regions?parent=140106").status_code == 404
    city = client_for(world.users["city_admin"])
    assert [r["code"] for r in city.get("/api/v1/regions").json()] == ["140100"]
    assert [r["code"] for r in city.get("/api/v1/regions?parent=140100").json()] == ["140105", "140106"]
    manager = client_for(world.users["site_manager"])  # region names are public: the whole tree
    assert [r["code"] for r in manager.get("/api/v1/regions").json()] == ["140000"]


def test_me_describes_role_and_scope(client_for, world):
    body = client_for(world.users["site_manager"]).get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert body["username"] == "manager"
    assert body["role"] == "site_manager" and body["role_label"]
    assert body["scope"] == {"region": None, "site_codes": [world.station_a.code], "deputy_id": None,
                             "unit_code": None}
    body = client_for(world.users["district_admin"]).get("/api/v1/me").json()
    assert body["scope"]["region"] == {"code": "140105", "name": "小店区"}
    body = client_for(world.users["unit_staff"]).get("/api/v1/me").json()
    assert body["scope"]["unit_code"] == world.unit_a.code
    body = client_for(world.users["deputy"]).get("/api/v1/me").json()
    assert body["scope"]["deputy_id"] == world.deputy_a.pk

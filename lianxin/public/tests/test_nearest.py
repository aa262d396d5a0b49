from decimal import Decimal

import pytest

from lianxin.public import services
from lianxin.stations.models import Station
from lianxin.testing import make_station


def test_nearest_sites_are_ordered_by_distance(client, world):
    # (37.80, 112.58) is station_a; point_a is 0.14 km away; station_b ~7.9 km
    response = client.get("/", {"lat": "37.8001", "lng": "112.5801"})
    assert response.status_code == 200
    nearby = response.context["nearby"]
    assert [n.site.code for n in nearby] == [world.station_a.code, world.point_a.code, world.station_b.code]
    assert nearby[0].distance_km < 0.1
    assert 7 < nearby[2].distance_km < 9
    assert "公里" in response.content.decode()  # "7.9公里"


def test_nearest_skips_inactive_sites(world):
    world.station_a.status = Station.Status.INACTIVE
    world.station_a.save()
    codes = [n.site.code for n in services.nearest_sites(37.8, 112.58)]
    assert world.station_a.code not in codes


def test_nearest_widens_the_box_to_far_sites(world):
    # The nearest is 400 km away (far outside the first box), still found and listed first.
    found = services.nearest_sites(41.4, 112.58, limit=2)
    assert [n.site.code for n in found] == [world.station_b.code, world.point_a.code]
    assert 380 < found[0].distance_km < 400


def test_nearest_is_exact_when_a_box_corner_hides_a_closer_site(world):
    # Ten sites in the north-east corner of the first 3 km box (about 4 km away) and one 3.5 km
    # due north, just outside that box: the northern one is nearer and must come first.
    for i in range(10):
        make_station(f"S-C{i}", f"角{i}", world.street_a, latitude=Decimal("40.025180"),
                     longitude=Decimal("112.031870") + Decimal(i) / 1000000)
    north = make_station("S-NORTH", "北站", world.street_a, latitude=Decimal("40.031470"), longitude=Decimal("112.0"))
    found = services.nearest_sites(40.0, 112.0, limit=10)
    assert found[0].site == north
    brute = sorted(
        services.haversine_km(40.0, 112.0, float(s.latitude), float(s.longitude)) for s in Station.objects.active()
    )[:10]
    assert [n.distance_km for n in found] == [round(d, 2) for d in brute]


def test_nearest_limits_to_ten(world):
    for i in range(15):
        make_station(f"S-L{i:02}", f"站{i}", world.street_a, latitude=Decimal("37.8") + Decimal(i) / 1000,
                     longitude=Decimal("112.58"))
    assert len(services.nearest_sites(37.8, 112.58)) == 10


@pytest.mark.parametrize(
    "params",
    [
        {"lat": "abc", "lng": "112.5"},
        {"lat": "95", "lng": "112.5"},
        {"lat": "37.8", "lng": "-181"},
        {"lat": "37.8"},
        {"lat": "nan", "lng": "inf"},
    ],
)
def test_bad_coordinates_get_a_clear_message_and_the_list(client, world, params):
    response = client.get("/", params)
    assert response.status_code == 200
    assert response.context["near"].errors
    assert response.context["nearby"] is None
    assert 'role="alert"' in response.content.decode()
    assert response.context["groups"]  # the ordinary list is still there


def test_nearest_query_count_is_bounded(client, world, django_assert_max_num_queries):
    # three sites only: the box widens to the whole globe, one cheap query per step
    with django_assert_max_num_queries(14):
        client.get("/", {"lat": "37.8", "lng": "112.58"})


def test_nearest_looks_past_many_deactivated_sites(world):
    for i in range(40):
        make_station(f"S-D{i:02}", f"撤{i}", world.street_a, latitude=Decimal("37.8") + Decimal(i) / 100000,
                     longitude=Decimal("112.58"), status=Station.Status.INACTIVE)
    for i in range(10):
        make_station(f"S-A{i:02}", f"活{i}", world.street_a, latitude=Decimal("37.81") + Decimal(i) / 10000,
                     longitude=Decimal("112.58"))
    found = services.nearest_sites(37.8, 112.58)
    assert len(found) == 10
    assert all(n.site.status == Station.Status.ACTIVE for n in found)
    assert found[0].site == world.station_a


def test_nearest_on_an_empty_registry_terminates(db):
    assert services.nearest_sites(37.8, 112.58) == []

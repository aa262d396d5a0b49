from decimal import Decimal

from lianxin.deputies.models import Assignment
from lianxin.regions.models import Region
from lianxin.stations.models import Station
from lianxin.testing import make_region


def test_deputy_page_shows_seats_occupation_and_sites(client, world):
    response = client.get(f"/d/{world.deputy_a.public_code}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert world.deputy_a.name in body
    assert world.deputy_a.occupation in body
    assert "坞城街道" in body  # constituency of the county seat
    assert "17" in body and "16" in body  # terms
    assert f'href="/s/{world.station_a.code}/"' in body
    assert len(response.context["page"].seats) == 2


def test_deputy_page_never_shows_phone_home_or_coordinates(client, world):
    home = make_region("140105001002", "东岗社区", Region.Level.VILLAGE, world.street_a)
    world.deputy_a.home_region = home
    world.deputy_a.home_latitude = Decimal("37.812345")
    world.deputy_a.home_longitude = Decimal("112.598765")
    world.deputy_a.save()
    for path in (f"/d/{world.deputy_a.public_code}/", f"/d/{world.deputy_a.public_code}/poster/"):
        body = client.get(path).content.decode()
        assert "13812345678" not in body
        assert "138****5678" not in body
        assert "5678" not in body
        assert "东岗社区" not in body
        assert "812345" not in body and "598765" not in body


def test_deputy_page_lists_only_active_sites(client, world):
    Assignment.objects.create(deputy=world.deputy_a, station=world.station_b)
    world.station_b.status = Station.Status.INACTIVE
    world.station_b.save()
    page = client.get(f"/d/{world.deputy_a.public_code}/").context["page"]
    assert [site for site, _ in page.sites] == [world.station_a]


def test_inactive_deputy_is_not_found(client, world):
    world.deputy_a.active = False
    world.deputy_a.save()
    assert client.get(f"/d/{world.deputy_a.public_code}/").status_code == 404
    assert client.get(f"/d/{world.deputy_a.public_code}/qr.png").status_code == 404
    assert client.get(f"/d/{world.deputy_a.public_code}/poster/").status_code == 404


def test_deputy_page_query_count(client, world, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        assert client.get(f"/d/{world.deputy_a.public_code}/").status_code == 200

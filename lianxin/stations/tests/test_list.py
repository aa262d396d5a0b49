import io

from django.urls import reverse
from openpyxl import load_workbook

from lianxin.accounts.models import Role
from lianxin.deputies.models import Assignment, Deputy
from lianxin.stations.models import Station
from lianxin.stations.tests.helpers import many_stations

URL = reverse("stations:list")


def codes(response):
    return [station.code for station in response.context["page"].rows]


def test_city_admin_sees_every_site_with_region_full_name_and_deputy_count(world, client_for):
    response = client_for(world.users[Role.CITY_ADMIN]).get(URL)
    assert response.status_code == 200
    assert sorted(codes(response)) == sorted([world.station_a.code, world.station_b.code, world.point_a.code])
    rows = {station.code: station for station in response.context["page"].rows}
    assert rows[world.station_a.code].deputy_count == 1
    assert rows[world.point_a.code].deputy_count == 0
    assert rows[world.station_a.code].region_full_name == "太原市 小店区 坞城街道"
    assert "太原市 小店区 坞城街道" in response.content.decode()


def test_district_admin_sees_only_its_district(world, client_for):
    response = client_for(world.outsider).get(URL)
    assert codes(response) == [world.station_b.code]


def test_unit_staff_and_auditor_see_no_sites(world, client_for):
    for role in (Role.UNIT_STAFF, Role.AUDITOR):
        response = client_for(world.users[role]).get(URL)
        assert response.status_code == 200
        assert codes(response) == []


def test_filter_by_kind_tier_status_and_region(world, client_for):
    Station.objects.filter(pk=world.station_b.pk).update(tier=Station.Tier.EXEMPLARY)
    Station.objects.filter(pk=world.point_a.pk).update(status=Station.Status.INACTIVE)
    client = client_for(world.users[Role.CITY_ADMIN])
    assert codes(client.get(URL, {"kind": "point"})) == [world.point_a.code]
    assert codes(client.get(URL, {"tier": "exemplary"})) == [world.station_b.code]
    assert codes(client.get(URL, {"status": "inactive"})) == [world.point_a.code]
    assert sorted(codes(client.get(URL, {"region": world.district_a.pk}))) == sorted(
        [world.station_a.code, world.point_a.code]
    )
    assert codes(client.get(URL, {"region": world.district_a.pk, "kind": "station"})) == [world.station_a.code]


def test_region_filter_offers_only_the_users_area(world, client_for):
    response = client_for(world.outsider).get(URL)
    offered = set(response.context["form"].fields["region"].queryset.values_list("pk", flat=True))
    assert offered == {world.district_b.pk, world.street_b.pk}
    # A region of another district in the URL is ignored, not obeyed.
    assert codes(client_for(world.outsider).get(URL, {"region": world.district_a.pk})) == [world.station_b.code]


def test_keyword_search_over_name_code_and_address(world, client_for):
    client = client_for(world.users[Role.CITY_ADMIN])
    assert codes(client.get(URL, {"q": "柳巷"})) == [world.station_b.code]
    assert codes(client.get(URL, {"q": "P-1401"})) == [world.point_a.code]
    Station.objects.filter(pk=world.station_b.pk).update(address="迎泽大街88号")
    assert codes(client.get(URL, {"q": "迎泽大街"})) == [world.station_b.code]
    assert codes(client.get(URL, {"q": "不存在的站"})) == []


def test_keyset_pages_do_not_overlap(world, client_for, settings):
    settings.PAGE_SIZE = 2
    many_stations(world.street_a, 3)
    client = client_for(world.users[Role.CITY_ADMIN])
    first = client.get(URL)
    cursor = first.context["page"].next_cursor
    assert cursor
    second = client.get(URL, {"cursor": cursor})
    third = client.get(URL, {"cursor": second.context["page"].next_cursor})
    pages = [codes(first), codes(second), codes(third)]
    assert [len(page) for page in pages] == [2, 2, 2]
    seen = [code for page in pages for code in page]
    assert len(seen) == len(set(seen)) == Station.objects.count()
    assert third.context["page"].next_cursor is None
    assert first.context["total"] == 6


def test_export_is_an_xlsx_of_the_filtered_rows(world, client_for):
    response = client_for(world.users[Role.CITY_ADMIN]).get(URL, {"region": world.district_a.pk, "export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "编码"
    exported = {row[0]: row for row in rows[1:]}
    assert set(exported) == {world.station_a.code, world.point_a.code}
    assert exported[world.station_a.code][3] == "太原市 小店区 坞城街道"
    assert exported[world.station_a.code][-1] == 1


def test_export_is_scoped_to_the_users_area(world, client_for):
    response = client_for(world.outsider).get(URL, {"export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == [world.station_b.code]


def test_list_query_count_does_not_grow_with_rows(world, client_for, django_assert_max_num_queries):
    stations = many_stations(world.street_a, 40)
    for index, station in enumerate(stations):
        deputy = Deputy.objects.create(name=f"代表{index}", gender="f")
        Assignment.objects.create(deputy=deputy, station=station)
        Assignment.objects.create(deputy=world.deputy_b, station=station)
    client = client_for(world.users[Role.CITY_ADMIN])
    client.get(URL)  # warm the session and content-type caches
    with django_assert_max_num_queries(8):
        response = client.get(URL)
    assert len(response.context["page"].rows) == 43
    assert {s.deputy_count for s in response.context["page"].rows if s.code.startswith("S-BULK")} == {2}
    with django_assert_max_num_queries(8):
        export = client.get(URL, {"export": "xlsx"})
    assert export.status_code == 200


def test_anonymous_goes_to_login(client, world):
    response = client.get(URL)
    assert response.status_code == 302

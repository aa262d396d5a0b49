import io

from django.urls import reverse
from openpyxl import load_workbook

from lianxin.accounts.models import Role
from lianxin.testing import make_user
from lianxin.units.models import HandlingUnit

URL = reverse("units:list")


def codes(response):
    return [unit.code for unit in response.context["page"].rows]


def make_units(region, count):
    return [
        HandlingUnit.objects.create(code=f"U-BULK-{i:03d}", name=f"批量单位{i:03d}", region=region,
                                    contact_name="联系人", contact_phone="0351-7000000")
        for i in range(count)
    ]


def test_city_admin_sees_all_units_district_admin_its_own(world, client_for):
    assert sorted(codes(client_for(world.users[Role.CITY_ADMIN]).get(URL))) == ["U-140105-01", "U-140106-01"]
    assert codes(client_for(world.outsider).get(URL)) == ["U-140106-01"]


def test_unit_staff_sees_only_its_unit(world, client_for):
    assert codes(client_for(world.users[Role.UNIT_STAFF]).get(URL)) == ["U-140105-01"]


def test_filters_and_keyword_search(world, client_for):
    HandlingUnit.objects.filter(pk=world.unit_b.pk).update(active=False, kind=HandlingUnit.Kind.PUBLIC_SERVICE)
    client = client_for(world.users[Role.CITY_ADMIN])
    assert codes(client.get(URL, {"region": world.district_a.pk})) == [world.unit_a.code]
    assert codes(client.get(URL, {"active": "no"})) == [world.unit_b.code]
    assert codes(client.get(URL, {"active": "yes"})) == [world.unit_a.code]
    assert codes(client.get(URL, {"kind": "public_service"})) == [world.unit_b.code]
    assert codes(client.get(URL, {"q": "住房"})) == [world.unit_a.code]
    assert codes(client.get(URL, {"q": "U-140106"})) == [world.unit_b.code]


def test_keyset_pages_do_not_overlap(world, client_for, settings):
    settings.PAGE_SIZE = 3
    make_units(world.district_a, 4)
    client = client_for(world.users[Role.CITY_ADMIN])
    first = client.get(URL)
    second = client.get(URL, {"cursor": first.context["page"].next_cursor})
    assert len(codes(first)) == 3 and len(codes(second)) == 3
    assert not set(codes(first)) & set(codes(second))
    assert second.context["page"].next_cursor is None


def test_export_contains_the_filtered_units(world, client_for):
    response = client_for(world.users[Role.CITY_ADMIN]).get(URL, {"q": "城市管理", "export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == [world.unit_b.code]
    assert rows[1][3] == "太原市 迎泽区"


def test_list_query_count_does_not_grow_with_rows(world, client_for, django_assert_max_num_queries):
    for unit in make_units(world.district_a, 30):
        make_user(f"staff-{unit.code}", Role.UNIT_STAFF, unit=unit)
    client = client_for(world.users[Role.CITY_ADMIN])
    client.get(URL)
    with django_assert_max_num_queries(8):
        response = client.get(URL)
    assert len(codes(response)) == 32
    assert {u.staff_count for u in response.context["page"].rows if u.code.startswith("U-BULK")} == {1}

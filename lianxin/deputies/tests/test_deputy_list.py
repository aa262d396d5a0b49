import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from lianxin.accounts.models import AuditEntry
from lianxin.deputies.models import Assignment, Deputy, Level, Seat

URL = reverse("deputies:list")


def names(response):
    return [d.name for d in response.context["page"].rows]


def test_anonymous_is_sent_to_log_in(client, world):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_list_shows_columns_with_masked_phones_only(client_for, world):
    response = client_for(world.users["city_admin"]).get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert names(response) == ["李明华", "赵淑芬"]
    assert "138****5678" in html
    assert "13812345678" not in html and "13987654321" not in html
    assert "坞城社区主任" in html and world.station_a.name in html


def test_district_admin_sees_only_its_district(client_for, world):
    response = client_for(world.users["district_admin"]).get(URL)
    assert names(response) == ["李明华"]
    assert "赵淑芬" not in response.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "赵"}, ["赵淑芬"]),
        ({"q": "社区主任"}, ["李明华"]),
        ({"level": Level.MUNICIPAL}, ["李明华"]),
        ({"level": Level.COUNTY}, ["李明华", "赵淑芬"]),
        ({"site": "柳巷"}, ["赵淑芬"]),
        ({"site": "S-140105001"}, ["李明华"]),
        ({"gender": "f"}, ["赵淑芬"]),
        ({"active": "0"}, []),
        ({"active": "1"}, ["李明华", "赵淑芬"]),
    ],
)
def test_filters(client_for, world, params, expected):
    response = client_for(world.users["city_admin"]).get(URL, params)
    assert names(response) == expected


def test_region_filter_takes_the_subtree(client_for, world):
    client = client_for(world.users["city_admin"])
    assert names(client.get(URL, {"region": world.district_b.pk})) == ["赵淑芬"]
    assert names(client.get(URL, {"region": world.street_a.pk})) == ["李明华"]


def test_region_outside_the_area_is_rejected_not_applied(client_for, world):
    response = client_for(world.users["district_admin"]).get(URL, {"region": world.district_b.pk})
    assert "region" in response.context["form"].errors
    assert names(response) == ["李明华"]


def test_without_site_filter(client_for, world):
    lonely = Deputy.objects.create(name="孙无站", gender="m", home_region=world.street_a)
    Seat.objects.create(deputy=lonely, level=Level.TOWNSHIP, term=8, constituency=world.street_a)
    response = client_for(world.users["city_admin"]).get(URL, {"without_site": "on"})
    assert names(response) == ["孙无站"]
    assert "孙无站" in names(client_for(world.users["district_admin"]).get(URL, {"without_site": "on"}))


def test_keyset_pages_cover_every_row_once(client_for, world, settings):
    settings.PAGE_SIZE = 2
    for i in range(5):
        Deputy.objects.create(name=f"王{i}", gender="m", home_region=world.street_a)
    client = client_for(world.users["city_admin"])
    seen, cursor = [], None
    for _ in range(10):
        response = client.get(URL, {"cursor": cursor} if cursor else {})
        seen += names(response)
        assert response.context["total"] == 7
        cursor = response.context["page"].next_cursor
        if not cursor:
            break
    assert sorted(seen) == sorted(Deputy.objects.values_list("name", flat=True))
    assert len(seen) == len(set(seen)) == 7


def test_export_is_the_filtered_list_with_masked_phones(client_for, world):
    response = client_for(world.users["city_admin"]).get(URL, {"level": Level.MUNICIPAL, "export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][0] == "李明华"
    assert rows[1][5] == "138****5678"
    assert "13812345678" not in str(rows)
    assert AuditEntry.objects.filter(action="deputy.export").count() == 1


def test_list_queries_do_not_grow_with_rows(client_for, world, django_assert_max_num_queries, settings):
    settings.PAGE_SIZE = 50
    for i in range(30):
        deputy = Deputy.objects.create(name=f"钱{i:02d}", gender="f", phone=f"1390000{i:04d}",
                                       home_region=world.street_a)
        Seat.objects.create(deputy=deputy, level=Level.TOWNSHIP, term=8, constituency=world.street_a)
        Seat.objects.create(deputy=deputy, level=Level.COUNTY, term=17, constituency=world.street_a)
        Assignment.objects.create(deputy=deputy, station=world.station_a)
        Assignment.objects.create(deputy=deputy, station=world.point_a)
    client = client_for(world.users["city_admin"])
    with django_assert_max_num_queries(10):
        response = client.get(URL, {"level": Level.TOWNSHIP})
    assert len(names(response)) == 30

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from lianxin.dashboard import coverage as cov
from lianxin.deputies.models import Assignment, Deputy, Level, Seat
from lianxin.regions.models import Region
from lianxin.testing import make_region, make_station

URL = reverse("dashboard:coverage")


def figures(user):
    return cov.summary(cov.scope_for(user)).figures


def make_deputy(name, region, level=Level.TOWNSHIP):
    deputy = Deputy.objects.create(name=name, gender="m", home_region=region)
    Seat.objects.create(deputy=deputy, level=level, term=8, constituency=region)
    return deputy


@pytest.fixture
def gaps(world):
    """The world plus one gap of each kind in district A (point_a has no deputies already)."""
    bare = make_region("140105002", "龙城街道", Region.Level.TOWNSHIP, world.district_a)
    lonely = make_deputy("孙无站", world.street_a)
    return {"township": bare, "deputy": lonely}


def test_world_figures(world):
    # point_a has no deputies; station_b's only deputy holds a county seat only
    assert figures(world.users["city_admin"]) == {
        "townships": 0, "deputies": 0, "empty_sites": 1, "single_level": 1,
    }


def test_gaps_are_counted_and_listed(client_for, world, gaps):
    client = client_for(world.users["city_admin"])
    response = client.get(URL)
    assert response.context["coverage"].figures == {
        "townships": 1, "deputies": 1, "empty_sites": 1, "single_level": 1,
    }
    html = response.content.decode()
    assert 'data-testid="full-coverage"' not in html
    assert "?show=townships" in html
    lists = {show: [str(row) for row in client.get(URL, {"show": show}).context["page"].rows]
             for show in cov.GAPS}
    assert lists == {
        "townships": ["龙城街道"],
        "deputies": ["孙无站"],
        "empty_sites": [world.point_a.name],
        "single_level": [world.station_b.name],
    }


def test_figures_follow_the_data(world, gaps):
    admin = world.users["city_admin"]
    make_station("S-140105002", "龙城街道人大代表联络站", gaps["township"])  # a new site: no deputies yet
    assert figures(admin) == {"townships": 0, "deputies": 1, "empty_sites": 2, "single_level": 1}
    Assignment.objects.create(deputy=gaps["deputy"], station=world.point_a)  # one township deputy
    assert figures(admin) == {"townships": 0, "deputies": 0, "empty_sites": 1, "single_level": 2}
    Assignment.objects.create(deputy=world.deputy_a, station=world.point_a)  # + municipal and county
    assert figures(admin)["single_level"] == 1
    make_deputy("钱新", world.street_a)  # a new deputy, not yet at a site
    assert figures(admin)["deputies"] == 1


def test_a_point_does_not_cover_a_township(world, gaps):
    make_station("P-140105002001", "某社区联络点", gaps["township"], kind="point", parent=world.station_a)
    assert figures(world.users["city_admin"])["townships"] == 1


def test_deactivated_station_leaves_a_gap(world):
    world.station_b.status = "inactive"
    world.station_b.save()
    result = figures(world.users["city_admin"])
    assert result["townships"] == 1
    assert result["single_level"] == 0  # inactive sites are not counted as sites at all


def test_full_coverage_is_shown(client_for, world):
    Assignment.objects.create(deputy=make_deputy("周乡镇", world.street_a), station=world.point_a)
    Assignment.objects.create(deputy=world.deputy_a, station=world.point_a)
    Assignment.objects.create(deputy=make_deputy("郑市级", world.street_b, Level.MUNICIPAL), station=world.station_b)
    response = client_for(world.users["city_admin"]).get(URL)
    assert response.context["coverage"].full
    assert 'data-testid="full-coverage"' in response.content.decode()


def test_district_admins_see_their_own_area(client_for, world, gaps):
    assert figures(world.users["district_admin"]) == {
        "townships": 1, "deputies": 1, "empty_sites": 1, "single_level": 0,
    }
    assert figures(world.outsider) == {"townships": 0, "deputies": 0, "empty_sites": 0, "single_level": 1}
    response = client_for(world.outsider).get(URL, {"show": "deputies"})
    assert list(response.context["page"].rows) == []
    rows = client_for(world.outsider).get(URL).context["coverage"].rows
    assert [row.region for row in rows] == [world.district_b]


def test_breakdown_by_district(world, gaps):
    result = cov.summary(cov.scope_for(world.users["city_admin"]))
    rows = {row.region.name: row for row in result.rows}
    a, b = rows["小店区"], rows["迎泽区"]
    assert (a.townships, a.stations, a.points, a.deputies, a.gaps) == (2, 1, 1, 1, 3)
    assert (b.townships, b.stations, b.points, b.deputies, b.gaps) == (1, 1, 0, 1, 1)
    assert result.totals == {"townships": 3, "stations": 2, "points": 1, "deputies_at_sites": 2}


def test_site_manager_sees_its_sites_scope(world):
    result = cov.summary(cov.scope_for(world.users["site_manager"]))
    assert result.full
    assert result.totals["stations"] == 1 and result.totals["townships"] == 1
    assert [row.region for row in result.rows] == [world.district_a]


def test_accounts_without_an_area_see_an_empty_scope(client_for, world):
    response = client_for(world.users["unit_staff"]).get(URL)
    assert response.status_code == 200
    assert response.context["coverage"].empty
    assert 'data-testid="full-coverage"' not in response.content.decode()


def test_drill_down_pages_and_export(client_for, world, gaps, settings):
    settings.PAGE_SIZE = 1
    make_region("140106002", "桥东街道", Region.Level.TOWNSHIP, world.district_b)
    client = client_for(world.users["city_admin"])
    first = client.get(URL, {"show": "townships"})
    assert first.context["total"] == 2 and len(first.context["page"].rows) == 1
    second = client.get(URL, {"show": "townships", "cursor": first.context["page"].next_cursor})
    assert {str(first.context["page"].rows[0]), str(second.context["page"].rows[0])} == {"龙城街道", "桥东街道"}
    assert second.context["page"].next_cursor is None

    export = client.get(URL, {"show": "single_level", "export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert rows[1][:2] == (world.station_b.name, world.station_b.code)
    assert rows[1][5] == 1
    export = client.get(URL, {"show": "townships", "export": "xlsx"})
    assert len(list(load_workbook(io.BytesIO(export.content)).active.iter_rows())) == 3


def test_summary_queries_do_not_grow_with_the_area(world):
    admin = world.users["city_admin"]

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            cov.summary(cov.scope_for(admin))
        return len(ctx.captured_queries)

    small = count_queries()
    for i in range(12):
        town = make_region(f"14010500{i + 3:02d}", f"新镇{i}", Region.Level.TOWNSHIP, world.district_a)
        station = make_station(f"S-NEW-{i}", f"新站{i}", town)
        Assignment.objects.create(deputy=make_deputy(f"新代表{i}", town), station=station)
        make_deputy(f"无站代表{i}", town)
    assert count_queries() == small
    assert small <= 6


def test_coverage_page_query_count(client_for, world, gaps, django_assert_max_num_queries):
    client = client_for(world.users["city_admin"])
    with django_assert_max_num_queries(14):
        client.get(URL)
    with django_assert_max_num_queries(10):
        client.get(URL, {"show": "deputies"})


def test_coverage_renders_in_chinese_and_english(client_for, world):
    client = client_for(world.users["city_admin"])
    assert "覆盖情况" in client.get(URL).content.decode()
    assert "仅有单一层级代表的站点" in client.get(URL, {"show": "single_level"}).content.decode()
    client.cookies["django_language"] = "en"
    assert "Sites with deputies of a single level" in client.get(URL).content.decode()

from decimal import Decimal

from lianxin.stations.models import Station
from lianxin.testing import make_station


def test_directory_lists_only_active_sites(client, world):
    world.station_b.status = Station.Status.INACTIVE
    world.station_b.save()
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert world.station_a.name in body
    assert world.point_a.name in body
    assert world.station_b.name not in body


def test_directory_groups_sites_by_district(client, world):
    response = client.get("/")
    districts = response.context["districts"]
    assert [d.name for d in districts] == ["小店区", "迎泽区"]
    groups = response.context["groups"]
    assert [g.district.name for g in groups] == ["小店区", "迎泽区"]
    assert {s.code for s in groups[0].sites} == {world.station_a.code, world.point_a.code}


def test_district_filter_shows_only_that_district(client, world):
    response = client.get("/", {"district": world.district_b.code})
    codes = [s.code for g in response.context["groups"] for s in g.sites]
    assert codes == [world.station_b.code]


def test_unknown_district_is_a_clear_error_not_a_crash(client, world):
    response = client.get("/", {"district": "999999"})
    assert response.status_code == 200
    assert response.context["form"].errors["district"]
    # the unfiltered list is still shown
    assert len([s for g in response.context["groups"] for s in g.sites]) == 3


def test_two_character_chinese_keyword_finds_sites_by_township_name(client, world):
    # 坞城 is the street's name; the point's own region is 坞城社区, under 坞城街道
    make_station("S-X", "其他联络站", world.street_b, address="柳巷路2号")
    response = client.get("/", {"q": "坞城"})
    codes = {s.code for g in response.context["groups"] for s in g.sites}
    assert codes == {world.station_a.code, world.point_a.code}


def test_keyword_matches_the_address(client, world):
    make_station("S-Y", "某联络站", world.street_b, address="柳巷路解放大楼")
    response = client.get("/", {"q": "解放"})
    codes = [s.code for g in response.context["groups"] for s in g.sites]
    assert codes == ["S-Y"]


def test_keyword_without_match_says_so(client, world):
    response = client.get("/", {"q": "不存在的地方"})
    assert response.context["groups"] == []
    assert "没有找到符合条件的站点" in response.content.decode()


def test_directory_paginates_by_keyset(client, world, settings):
    settings.PAGE_SIZE = 2
    first = client.get("/")
    page = first.context["page"]
    assert len(page.rows) == 2 and page.next_cursor
    second = client.get("/", {"cursor": page.next_cursor})
    rest = second.context["page"].rows
    assert len(rest) == 1
    assert {s.code for s in page.rows + rest} == {world.station_a.code, world.station_b.code, world.point_a.code}


def test_directory_query_count_does_not_grow_with_sites(client, world, django_assert_max_num_queries):
    for i in range(30):
        make_station(f"S-N{i:02}", f"新联络站{i}", world.street_a, latitude=Decimal("37.8"), longitude=Decimal("112.5"))
    with django_assert_max_num_queries(8):
        response = client.get("/")
    assert response.status_code == 200

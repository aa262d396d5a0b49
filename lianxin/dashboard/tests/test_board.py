"""The staff dashboard: scope (a district admin sees only its district), links behind the figures, the
"since" date and the period validated, the refresh button, the sites page, and a query count that does not
grow with the rows."""

import datetime
import json

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lianxin.activities.models import Activity, Attendance
from lianxin.dashboard import rollups
from lianxin.dashboard.board_views import DEFAULT_SINCE, periods, split_effects
from lianxin.opinions.models import Category, Opinion
from lianxin.regions.models import Region
from lianxin.testing import make_region, make_station

pytestmark = pytest.mark.django_db

URL = reverse("dashboard:board")
SITES = reverse("dashboard:board_sites")
TODAY = datetime.date(2025, 6, 16)


@pytest.fixture(autouse=True)
def _frozen():
    traveller = time_machine.travel(timezone.make_aware(datetime.datetime(2025, 6, 16, 10, 0)), tick=False)
    traveller.start()
    yield
    traveller.stop()


def at(day, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def held(station, day, deputies=(), kind="reception"):
    activity = Activity.objects.create(station=station, kind=kind, title=f"{kind} {day}", starts_at=at(day, 9),
                                       ends_at=at(day, 11), status=Activity.Status.HELD, held_at=at(day, 12),
                                       citizens_received=3)
    for deputy in deputies:
        Attendance.objects.create(activity=activity, deputy=deputy, expected=True, attended=True)
    return activity


def opinion(station, region, day, title="路灯不亮", **fields):
    category = Category.objects.get_or_create(code="urban", defaults={"name": "城乡建设", "name_en": "Urban"})[0]
    return Opinion.objects.create(category=category, title=title, text="路灯坏了", channel="walk_in",
                                  region=region, station=station, created_at=at(day), **fields)


@pytest.fixture
def busy(world):
    """Work in both districts in May 2025: district A 3 activities and 2 opinions (one overdue), district B
    1 activity and 1 opinion; the roll-ups refreshed."""
    day = datetime.date(2025, 5, 12)
    for offset in range(3):
        held(world.station_a, day + datetime.timedelta(days=offset), [world.deputy_a])
    held(world.station_b, day, [world.deputy_b])
    opinion(world.station_a, world.street_a, day, title="坞城路灯不亮")
    opinion(world.station_a, world.street_a, day, title="坞城积水逾期", status="transferred", unit=world.unit_a,
            due_at=at(datetime.date(2025, 6, 1)))
    opinion(world.station_b, world.street_b, day, title="柳巷噪音扰民")
    rollups.refresh()
    return world


def test_city_admin_sees_the_city(client_for, busy):
    response = client_for(busy.users["city_admin"]).get(URL)
    assert response.status_code == 200
    headline = response.context["headline"]
    assert headline["stations"] == 2 and headline["points"] == 1
    assert headline["activities"] == 4 and headline["opinions_heard"] == 3
    html = response.content.decode()
    assert busy.station_a.name in html and busy.station_b.name in html
    names = [row["name"] for row in response.context["districts"]]
    assert set(names) == {"小店区", "迎泽区"}
    assert response.context["overdue"]["count"] == 1
    assert "坞城积水逾期" in html


def test_district_admin_sees_only_its_district(client_for, busy):
    response = client_for(busy.users["district_admin"]).get(URL)
    assert response.status_code == 200
    headline = response.context["headline"]
    assert headline["stations"] == 1 and headline["points"] == 1
    assert headline["activities"] == 3 and headline["opinions_heard"] == 2
    html = response.content.decode()
    assert busy.station_b.name not in html and "柳巷噪音扰民" not in html and "迎泽区" not in html
    data = response.context["charts"]
    assert {p["id"] for p in data["map"]} == {busy.station_a.pk, busy.point_a.pk}
    assert [row["name"] for row in response.context["districts"]] == ["小店区"]
    # the other district's admin: the mirror image
    other = client_for(busy.outsider).get(URL)
    assert other.context["headline"]["activities"] == 1
    assert busy.station_a.name not in other.content.decode()


def test_figures_link_to_the_lists_behind_them(client_for, busy):
    html = client_for(busy.users["city_admin"]).get(URL, {"since": "2025-01-01"}).content.decode()
    for href in (
        f"{reverse('stations:list')}?kind=station&amp;status=active",
        f"{reverse('stations:list')}?kind=point&amp;status=active",
        f"{reverse('dashboard:coverage')}?show=townships",
        f"{reverse('deputies:list')}?active=1",
        f"{reverse('activities:list')}?status=held&amp;since=2025-01-01",
        f"{reverse('opinions:list')}?created_from=2025-01-01",
        f"{reverse('stations:list')}?kind=station&amp;tier=exemplary",
        reverse("stations:detail", args=[busy.station_a.pk]),
        SITES,
    ):
        assert f'href="{href}' in html, href
    opinion_id = Opinion.objects.get(title="坞城积水逾期").pk
    assert f'href="{reverse("opinions:detail", args=[opinion_id])}"' in html


def test_since_limits_the_counts(client_for, busy):
    client = client_for(busy.users["city_admin"])
    assert client.get(URL, {"since": "2025-05-13"}).context["headline"]["activities"] == 2
    assert client.get(URL, {"since": "2025-06-01"}).context["headline"]["opinions_heard"] == 0


@pytest.mark.parametrize("value", ["2025-13-01", "yesterday", "2030-01-01", "1900-01-01"])
def test_bad_since_gets_a_message_and_the_default(client_for, busy, value):
    response = client_for(busy.users["city_admin"]).get(URL, {"since": value})
    assert response.status_code == 200
    assert response.context["since"] == DEFAULT_SINCE
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert response.context["headline"]["activities"] == 4


def test_bad_period_gets_a_message_and_the_default(client_for, busy):
    response = client_for(busy.users["city_admin"]).get(URL, {"period": "1999-q9"})
    assert response.context["period"] == "12m"
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_periods():
    rows = periods(TODAY)
    assert rows[0][0] == "12m" and rows[0][2] == datetime.date(2024, 7, 1) and rows[0][3] == TODAY
    keys = {key: (start, end) for key, _label, start, end in rows}
    assert keys["2025-q2"] == (datetime.date(2025, 4, 1), TODAY)
    assert keys["2024-q4"] == (datetime.date(2024, 10, 1), datetime.date(2024, 12, 31))
    assert "2025-q3" not in keys
    assert keys["2021"] == (datetime.date(2021, 1, 1), datetime.date(2021, 12, 31))


def test_period_limits_the_index(client_for, busy):
    client = client_for(busy.users["city_admin"])
    this_year = client.get(URL, {"period": "2025-q2"}).context
    assert {s.station_id for s in this_year["top"]} >= {busy.station_a.pk, busy.station_b.pk}
    last_year = client.get(URL, {"period": "2024"}).context
    assert last_year["top"] == [] and len(last_year["no_data"]) == 3


def test_split_effects():
    class E:
        def __init__(self, index):
            self.index = index

    effects = [E(100 - i) for i in range(25)] + [E(None), E(None)]
    top, bottom, quiet = split_effects(effects)
    assert [e.index for e in top] == list(range(100, 90, -1))
    assert [e.index for e in bottom] == list(range(76, 86))
    assert len(quiet) == 2
    top, bottom, quiet = split_effects(effects[:3])
    assert [e.index for e in top] == [100, 99, 98] and [e.index for e in bottom] == [98, 99, 100]


def test_charts_data_is_embedded(client_for, busy):
    response = client_for(busy.users["city_admin"]).get(URL)
    html = response.content.decode()
    assert 'id="board-data"' in html and "vendor/echarts/echarts.min.js" in html and "dashboard/board.js" in html
    start = html.index('id="board-data"')
    payload = json.loads(html[html.index(">", start) + 1: html.index("</script>", start)])
    assert len(payload["map"]) == 3 and payload["map"][0]["url"].startswith("/staff/")
    assert any(row["activities"] for row in payload["trends"])
    assert payload["categories"] == [["城乡建设", 3]]
    for chart in ("map", "districts", "trends", "categories"):
        assert f'data-chart="{chart}"' in html


def test_formula_and_last_refresh_shown(client_for, busy):
    response = client_for(busy.users["district_admin"]).get(URL)
    html = response.content.decode()
    assert 'data-testid="formula"' in html and response.context["formula"]
    assert response.context["last_refresh"] is not None
    assert 'data-testid="refresh-form"' not in html  # only a city admin refreshes


def test_city_admin_refreshes(client_for, busy):
    from lianxin.dashboard.models import RollupState

    held(busy.station_b, datetime.date(2025, 6, 2))
    client = client_for(busy.users["city_admin"])
    assert 'data-testid="refresh-form"' in client.get(URL).content.decode()
    response = client.post(reverse("dashboard:board_refresh"))
    assert response.status_code == 302
    assert RollupState.objects.exists()
    assert client.get(URL).context["headline"]["activities"] == 5


def test_refresh_is_for_city_admins(client_for, busy):
    assert client_for(busy.users["district_admin"]).post(reverse("dashboard:board_refresh")).status_code == 403
    assert client_for(busy.users["city_admin"]).get(reverse("dashboard:board_refresh")).status_code == 405


def test_site_manager_sees_its_site(client_for, busy):
    response = client_for(busy.users["site_manager"]).get(URL)
    assert response.status_code == 200
    assert response.context["headline"]["activities"] == 3
    assert busy.station_b.name not in response.content.decode()


@pytest.mark.parametrize("role", ["unit_staff", "auditor"])
def test_accounts_without_sites_get_a_short_page(client_for, world, role):
    response = client_for(world.users[role]).get(URL)
    assert response.status_code == 200
    assert 'data-testid="board-none"' in response.content.decode()
    assert client_for(world.users[role]).get(SITES).status_code == 403


def test_anonymous_is_sent_to_log_in(client, world):
    assert client.get(URL).status_code == 302


def test_sites_page_lists_every_site_by_index(client_for, busy):
    response = client_for(busy.users["city_admin"]).get(SITES, {"period": "2025-q2"})
    rows = list(response.context["page"].object_list)
    assert response.context["total"] == 3
    indexes = [row.index for row in rows if row.index is not None]
    assert indexes == sorted(indexes, reverse=True)
    assert rows[-1].index is None  # the point had no work: last
    district = client_for(busy.users["district_admin"]).get(SITES)
    assert {row.station_id for row in district.context["page"].object_list} == {busy.station_a.pk, busy.point_a.pk}


def test_home_links_to_the_board(client_for, world):
    html = client_for(world.users["district_admin"]).get(reverse("dashboard:home")).content.decode()
    assert 'data-testid="board-link"' in html and f'href="{URL}"' in html


def _grow(world, n):
    """n more sites in each district, each with a held activity and an opinion."""
    for district, street in ((world.district_a, world.street_a), (world.district_b, world.street_b)):
        for i in range(n):
            code = f"{district.code}9{Region.objects.count():03d}"
            township = make_region(code, f"新街道{code}", Region.Level.TOWNSHIP, district)
            site = make_station(f"S-{code}", f"新站{code}", township)
            held(site, datetime.date(2025, 4, 3), [world.deputy_a])
            opinion(site, township, datetime.date(2025, 4, 5), due_at=at(datetime.date(2025, 5, 1)),
                    status="transferred", unit=world.unit_a)
    rollups.refresh()


@pytest.mark.parametrize("role", ["city_admin", "district_admin"])
def test_query_count_does_not_grow_with_rows(client_for, busy, role):
    client = client_for(busy.users[role])
    client.get(URL)  # warm caches (session, translations)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    before = count()
    _grow(busy, 4)
    after = count()
    assert after == before
    assert after <= 30


def test_sites_page_query_count(client_for, busy, django_assert_max_num_queries):
    client = client_for(busy.users["city_admin"])
    _grow(busy, 3)
    with django_assert_max_num_queries(20):
        assert client.get(SITES).status_code == 200


def test_map_matches_the_figures(client_for, busy):
    from lianxin.dashboard import coverage, figures

    user = busy.users["city_admin"]
    response = client_for(user).get(URL, {"period": "2025-q2"})
    expected = figures.map_points(coverage.scope_for(user), datetime.date(2025, 4, 1), TODAY)
    shown = {p["id"]: (p["index"], p["url"], p["tier"]) for p in response.context["charts"]["map"]}
    assert shown == {p["id"]: (p["index"], p["url"], p["tier"]) for p in expected}
    assert shown[busy.station_a.pk][0] is not None and shown[busy.point_a.pk][0] is None


def test_deputy_sees_the_sites_of_its_group(client_for, busy):
    response = client_for(busy.users["deputy"]).get(URL)
    assert response.status_code == 200
    assert {p["id"] for p in response.context["charts"]["map"]} == {busy.station_a.pk}
    assert busy.station_b.name not in response.content.decode()


def test_sites_export(client_for, busy):
    import io

    from openpyxl import load_workbook

    response = client_for(busy.users["district_admin"]).get(SITES, {"period": "2025-q2", "export": "xlsx"})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 3  # header + station_a + point_a
    assert rows[1][0] == busy.station_a.code and rows[1][-1] is not None
    assert rows[2][0] == busy.point_a.code and rows[2][-1] is None

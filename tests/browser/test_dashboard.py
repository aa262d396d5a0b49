"""The city admin opens the dashboard: every chart is drawn (a canvas inside its container, an ECharts instance
whose series hold data), the map has a point per site with coordinates, the colour toggle redraws it, and the
number tables fold away once the charts are drawn."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from lianxin.activities.models import Activity, Attendance
from lianxin.core import clock
from lianxin.dashboard import rollups
from lianxin.opinions.models import Category, Opinion
from lianxin.testing import make_station
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHARTS = ("map", "districts", "trends", "categories")


def _at(day, hour):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _work(world):
    # a third site in district A, so that the district has an outline on the map
    make_station("P-140105001002", "坞城第二联络点", world.street_a, "point", parent=world.station_a,
                 latitude=Decimal("37.790000"), longitude=Decimal("112.595000"))
    category = Category.objects.get_or_create(code="urban", defaults={"name": "城乡建设", "name_en": "Urban"})[0]
    today = clock.today()
    for back, station, deputy in ((3, world.station_a, world.deputy_a), (40, world.station_a, world.deputy_a),
                                  (5, world.station_b, world.deputy_b)):
        day = today - datetime.timedelta(days=back)
        activity = Activity.objects.create(station=station, kind="reception", title=f"接待日 {day}",
                                           starts_at=_at(day, 9), ends_at=_at(day, 11),
                                           status=Activity.Status.HELD, held_at=_at(day, 12), citizens_received=4)
        Attendance.objects.create(activity=activity, deputy=deputy, expected=True, attended=True)
        Opinion.objects.create(category=category, title=f"路灯不亮 {day}", text="路灯坏了", channel="walk_in",
                               region=station.region, station=station, created_at=_at(day, 10))
    rollups.refresh()


def test_dashboard_charts_render_with_data(desktop, world, screenshot_dir):
    _work(world)
    page = desktop
    page.set_default_timeout(30_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, "city")
    page.goto("/staff/board/")
    page.wait_for_function("window.lxBoardCharts && Object.keys(window.lxBoardCharts).length === 4")
    for name in CHARTS:
        container = page.locator(f'[data-chart="{name}"]')
        assert container.is_visible()
        assert container.locator("canvas, svg").count() >= 1, name
        points = page.evaluate(
            """(name) => {
                const chart = echarts.getInstanceByDom(document.querySelector(`[data-chart="${name}"]`));
                return chart.getOption().series.reduce((n, s) => n + (s.data || []).length, 0);
            }""",
            name,
        )
        assert points > 0, name
    # the map: one point per site with coordinates (four), whatever the colouring, and district A's outline
    scatter = """() => lxBoardCharts.map.getOption().series.filter((s) => s.type === "scatter")
        .reduce((n, s) => n + s.data.length, 0)"""
    outline = """() => lxBoardCharts.map.getOption().series.filter((s) => s.type === "line")
        .map((s) => s.data.length)"""
    assert page.evaluate(scatter) == 4
    assert page.evaluate(outline) == [4]  # a triangle, closed
    page.locator('[data-map-colour="index"]').click()
    assert page.evaluate("() => lxBoardCharts.map.getOption().visualMap.length") == 1
    assert page.evaluate(scatter) == 4 and page.evaluate(outline) == [4]
    # the tables with the numbers are still there, folded
    assert page.locator("details.lx-numbers[open]").count() == 0
    assert world.station_a.name in page.locator("[data-testid=map-table]").text_content()
    assert errors == []
    if screenshot_dir:
        page.screenshot(path=f"{screenshot_dir}/dashboard-city.png", full_page=True)
    # every site by its index, one click away
    with page.expect_navigation():
        page.get_by_test_id("all-sites-link").click()
    table = page.get_by_test_id("sites-table").inner_text()
    assert all(name in table for name in (world.station_a.name, world.station_b.name, world.point_a.name, "坞城第二联络点"))
    if screenshot_dir:
        page.screenshot(path=f"{screenshot_dir}/dashboard-sites.png", full_page=True)


def test_dashboard_works_without_javascript(browser, live_server, world):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN",
                                  base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        _work(world)
        log_in(page, "district")
        page.goto("/staff/board/")
        assert page.locator("details.lx-numbers[open]").count() == 4
        assert world.station_a.name in page.locator("[data-testid=map-table]").inner_text()
        assert world.station_b.name not in page.locator("main").inner_text()
    finally:
        context.close()

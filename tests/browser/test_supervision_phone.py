"""The public topic page on a phone (360 px): everything readable, nothing wider than the screen."""

import datetime

import pytest
from playwright.sync_api import expect

from lianxin.accounts.models import Role
from lianxin.opinions.models import Category
from lianxin.supervision import services
from lianxin.supervision.models import Topic
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



def shot(page, name):
    import os

    if os.environ.get("LIANXIN_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["LIANXIN_SCREENSHOTS"], name), full_page=True)


def test_admin_creates_a_topic_picking_site_and_deputy_by_search(desktop, world):
    """The searchable choosers: the site from the rendered options, the deputy from the scoped search."""
    from lianxin.deputies.models import Assignment, Deputy

    for n in range(30):  # more deputies than one search answer holds
        deputy = Deputy.objects.create(name=f"王{n:02d}", gender="f")
        Assignment.objects.create(deputy=deputy, station=world.station_a, started_on=datetime.date(2024, 1, 1))
    today = datetime.date.today()
    log_in(desktop, "district")
    desktop.goto("/staff/supervision/new/")
    desktop.locator("#id_title").fill("加装电梯专题监督")
    desktop.locator("#id_starts_on").fill(f"{today.year}-01-01")
    desktop.locator("#id_ends_on").fill(f"{today.year}-12-31")

    sites = desktop.locator("#id_stations-ts-control")
    sites.click()
    sites.fill("坞城")
    desktop.locator("#id_stations-ts-dropdown .option", has_text=world.station_a.name).click()

    deputies = desktop.locator("#id_deputies-ts-control")
    deputies.click()
    deputies.fill("王")  # typing keeps the dropdown open whatever the site chooser's closing did
    options = desktop.locator("#id_deputies-ts-dropdown .option")
    expect(options).to_have_count(20)  # 30 deputies match: the answer holds at most 20
    deputies.fill(world.deputy_b.name)  # district B's deputy: never offered
    desktop.locator("#id_deputies-ts-dropdown .no-results").wait_for()
    deputies.fill("")
    deputies.fill(world.deputy_a.name[:2])
    desktop.locator("#id_deputies-ts-dropdown .option", has_text=world.deputy_a.name).click()
    chosen = desktop.locator("#id_deputies + .ts-wrapper .item")
    assert chosen.count() == 1 and world.deputy_a.name in chosen.inner_text()
    shot(desktop, "supervision-topic-choosers.png")
    with desktop.expect_navigation():
        desktop.locator("main button[type=submit]").click()
    topic = Topic.objects.get(title="加装电梯专题监督")
    assert list(topic.deputies.all()) == [world.deputy_a]
    assert list(topic.stations.all()) == [world.station_a]


def test_admin_recommends_and_unit_records_progress(desktop, world):
    admin = world.users[Role.DISTRICT_ADMIN]
    today = datetime.date.today()
    topic = services.create_topic(admin, title="老旧小区改造", region=world.district_a,
                                  starts_on=datetime.date(today.year, 1, 1), ends_on=datetime.date(today.year, 12, 31),
                                  status=Topic.Status.ACTIVE, published=True,
                                  stations=[world.station_a], deputies=[world.deputy_a])
    Category.objects.create(code="urban", name="城乡建设")
    log_in(desktop, "district")
    with desktop.expect_navigation():
        desktop.get_by_role("link", name="主题监督", exact=True).click()
    desktop.get_by_role("link", name="老旧小区改造").click()
    desktop.locator(f"a[href='/staff/supervision/{topic.pk}/recommend/']").click()
    desktop.locator("#id_title").fill("加快推进既有住宅加装电梯")
    desktop.locator("#id_text").fill("部分小区加装电梯久拖不决。")
    desktop.locator("#id_station").select_option(str(world.station_a.pk))
    desktop.locator("#id_category").select_option(label="城乡建设")
    desktop.locator("#id_unit").select_option(str(world.unit_a.pk))
    with desktop.expect_navigation():
        desktop.locator("main button[type=submit]").click()
    card = desktop.get_by_test_id("recommendation")
    assert "加快推进既有住宅加装电梯" in card.inner_text() and world.unit_a.name in card.inner_text()
    assert "交办" in card.inner_text()  # the case's status, 已交办 (transferred)
    shot(desktop, "supervision-staff-topic.png")
    desktop.context.clear_cookies()

    log_in(desktop, "unit")
    desktop.goto("/staff/supervision/mine/")
    desktop.locator("a[href*='/milestone/']").click()
    desktop.locator("#id_progress").fill("30")
    desktop.locator("#id_text").fill("完成设计方案")
    with desktop.expect_navigation():
        desktop.locator("main button[type=submit]").click()
    assert "30%" in desktop.get_by_test_id("recommendation-table").inner_text()
    shot(desktop, "supervision-unit-mine.png")
    topic.refresh_from_db()
    assert topic.progress == 30


def test_public_topic_page_on_a_phone(phone, world):
    admin = world.users[Role.DISTRICT_ADMIN]
    today = datetime.date.today()
    topic = services.create_topic(admin, title="老旧小区改造", region=world.district_a,
                                  starts_on=datetime.date(today.year, 1, 1), ends_on=datetime.date(today.year, 12, 31),
                                  description="督促老旧小区改造。" * 20, status=Topic.Status.ACTIVE, published=True,
                                  stations=[world.station_a], deputies=[world.deputy_a])
    category = Category.objects.create(code="urban", name="城乡建设")
    rec = services.create_recommendation(admin, topic, title="加快推进既有住宅加装电梯" * 2, text="部分小区加装电梯久拖不决。" * 8,
                                         unit=world.unit_a, category=category, working_days=15,
                                         station=world.station_a)
    services.add_milestone(world.users[Role.UNIT_STAFF], rec, on=today, text="制定协调工作方案，确定首批试点单元",
                           progress=45)
    phone.goto("/t/")
    phone.get_by_test_id("public-topic").first.click()
    phone.get_by_test_id("public-recommendation").first.wait_for()
    text = phone.locator("main").inner_text()
    assert "老旧小区改造" in text and "45%" in text and world.unit_a.name in text and world.deputy_a.name in text
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    shot(phone, "supervision-public-phone.png")

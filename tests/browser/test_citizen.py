"""A citizen on a phone (360 px): finds a site, opens it and a deputy's page, no account needed."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_citizen_finds_a_site_by_keyword_and_opens_a_deputy(phone, world, screenshot_dir):
    phone.goto("/")
    assert phone.locator("h1").inner_text() == "查找联络站点"
    assert no_horizontal_scroll(phone)
    phone.get_by_label("关键词").fill("坞城")
    with phone.expect_navigation():
        phone.get_by_role("button", name="搜索").click()
    phone.get_by_role("link", name="坞城街道人大代表联络站").first.click()
    phone.wait_for_url(f"**/s/{world.station_a.code}/")
    assert phone.locator("h1").inner_text().startswith("坞城街道人大代表联络站")
    assert no_horizontal_scroll(phone)
    if screenshot_dir:
        phone.screenshot(path=f"{screenshot_dir}/browser-public-site.png", full_page=True)
    # The group leader is listed with the level badges of both seats.
    deputy_link = phone.get_by_role("link", name="李明华")
    assert deputy_link.count() == 1
    deputy_link.click()
    phone.wait_for_url(f"**/d/{world.deputy_a.public_code}/")
    body = phone.locator("main").inner_text()
    assert "李明华" in body
    assert "市级" in body and "县（区）级" in body
    assert "13812345678" not in phone.content() and "138****5678" not in body
    assert no_horizontal_scroll(phone)


def test_citizen_finds_the_nearest_site_with_the_phone_location(browser, live_server, world):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="zh-CN",
        base_url=live_server.url, geolocation={"latitude": 37.7990, "longitude": 112.5790},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/")
    page.get_by_role("button", name="使用我的位置").click()
    page.wait_for_url("**/?*lat=*")
    first = page.locator("main .list-group a").first
    assert "坞城街道人大代表联络站" in first.inner_text()
    context.close()


def test_citizen_switches_to_english_and_large_text(phone, world):
    phone.goto("/")
    with phone.expect_navigation():
        phone.get_by_role("button", name="English").click()
    assert phone.locator("h1").inner_text() == "Find a liaison site"
    with phone.expect_navigation():
        phone.get_by_role("button", name="Large text").click()
    assert "lx-large" in phone.locator("body").get_attribute("class")

"""A district admin logs in and sees only its own district."""

import pytest

from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



def test_district_admin_sees_only_its_own_district(desktop, world, screenshot_dir):
    log_in(desktop, "district")
    assert "小店区" in desktop.get_by_test_id("user-scope").inner_text()

    with desktop.expect_navigation():
        desktop.get_by_role("link", name="联络站点", exact=True).click()
    table = desktop.locator("main table").inner_text()
    assert world.station_a.name in table
    assert world.point_a.name in table
    assert world.station_b.name not in table
    if screenshot_dir:
        desktop.screenshot(path=f"{screenshot_dir}/browser-staff-sites.png")

    with desktop.expect_navigation():
        desktop.get_by_role("link", name="代表", exact=True).click()
    table = desktop.locator("main table").inner_text()
    assert world.deputy_a.name in table
    assert world.deputy_b.name not in table
    assert "138****5678" in table and "13812345678" not in table

    # Another district's site, reached by URL, does not exist for this account.
    response = desktop.goto(f"/staff/sites/{world.station_b.pk}/")
    assert response.status == 404

    desktop.goto("/staff/coverage/")
    assert "小店区" in desktop.locator("main").inner_text()
    assert "迎泽区" not in desktop.locator("main").inner_text()

"""A deputy declares a meeting attended elsewhere; the district admin rejects without a reason (error,
nothing changed), then approves it; the deputy's record counts it and the PDF is prepared and linked."""

import datetime

import pytest

from lianxin.core import clock
from lianxin.performance.models import DeclaredItem
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_declare_review_and_record(desktop, world, screenshot_dir):
    page = desktop
    page.set_default_timeout(30_000)
    day = clock.today() - datetime.timedelta(days=3)
    log_in(page, "deputy")
    page.goto("/staff/performance/declare/")
    page.locator("select[name=kind]").select_option("meeting")
    page.locator("input[name=done_on]").fill(f"{day:%Y-%m-%d}")
    page.locator("input[name=title]").fill("出席区人大常委会会议")
    page.locator("textarea[name=evidence_text]").fill("会议通知第12号，签到表")
    with page.expect_navigation():
        page.locator("[data-testid=declare-form] button[type=submit]").click()
    item = DeclaredItem.objects.get()
    assert item.status == "pending" and page.url.endswith(f"/staff/performance/deputies/{world.deputy_a.pk}/")
    page.context.clear_cookies()

    log_in(page, "district")
    page.goto("/staff/performance/declared/")
    row = page.locator("[data-testid=declared-table] tbody tr").filter(has_text="出席区人大常委会会议")
    with page.expect_navigation():
        row.locator("button[value=reject]").click()
    assert page.locator(".alert-danger, .alert-error").count() >= 1
    item.refresh_from_db()
    assert item.status == "pending"
    row = page.locator("[data-testid=declared-table] tbody tr").filter(has_text="出席区人大常委会会议")
    with page.expect_navigation():
        row.locator("button[value=approve]").click()
    item.refresh_from_db()
    assert item.status == "approved"
    page.context.clear_cookies()

    log_in(page, "deputy")
    page.goto(f"/staff/performance/deputies/{world.deputy_a.pk}/?year={day.year}")
    assert "出席区人大常委会会议" in page.locator("[data-testid=declared-items]").inner_text()
    page.locator("[data-testid=pdf-status] button[type=submit]").click()
    page.locator("[data-testid=pdf-download]").wait_for()
    if screenshot_dir:
        page.screenshot(path=f"{screenshot_dir}/performance-record.png", full_page=True)

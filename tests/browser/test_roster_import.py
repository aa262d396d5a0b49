"""A city admin imports a roster: a bad row shows in the preview, the fixed file is confirmed, rows are listed."""

import io

import pytest
from openpyxl import Workbook

from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADERS = ["Name", "Gender", "Mobile phone", "Level", "Term", "Constituency division code"]


def roster_file(tmp_path, phone):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    sheet.append(["孙建国", "男", "13600002222", "county", 17, "140105001"])
    sheet.append(["周丽", "女", phone, "township", 8, "140105001001"])
    path = tmp_path / f"roster-{phone}.xlsx"
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(buffer.getvalue())
    return str(path)


def test_import_with_a_row_error_then_fixed(desktop, world, tmp_path, screenshot_dir):
    log_in(desktop, "city")
    desktop.goto("/staff/deputies/")
    with desktop.expect_navigation():
        desktop.get_by_test_id("roster-import").click()

    desktop.locator("input[type=file]").set_input_files(roster_file(tmp_path, "12345"))
    with desktop.expect_navigation():
        desktop.get_by_test_id("roster-check").click()
    errors = desktop.get_by_test_id("roster-error")
    assert errors.count() == 1
    assert errors.first.locator("td").first.inner_text() == "3"
    assert desktop.get_by_test_id("roster-apply").count() == 0
    if screenshot_dir:
        desktop.screenshot(path=f"{screenshot_dir}/browser-roster-error.png")

    desktop.goto("/staff/deputies/roster/")
    desktop.locator("input[type=file]").set_input_files(roster_file(tmp_path, "13600003333"))
    with desktop.expect_navigation():
        desktop.get_by_test_id("roster-check").click()
    assert desktop.get_by_test_id("count-create").inner_text() == "2"
    assert desktop.get_by_test_id("roster-error").count() == 0
    with desktop.expect_navigation():
        desktop.get_by_test_id("roster-apply").click()
    assert desktop.get_by_test_id("roster-applied").is_visible()

    desktop.goto("/staff/deputies/")
    table = desktop.locator("main table").inner_text()
    assert "孙建国" in table and "周丽" in table

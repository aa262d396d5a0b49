import pytest

from lianxin.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_logs_in_and_sees_the_overview(desktop, world):
    desktop.goto("/accounts/login/")
    assert desktop.locator("h1").inner_text() == "工作人员登录"
    desktop.get_by_label("用户名").fill("district")
    desktop.get_by_label("密码").fill(PASSWORD)
    desktop.get_by_role("button", name="登录").click()
    desktop.wait_for_url("**/staff/")
    assert "小店区" in desktop.get_by_test_id("user-scope").inner_text()

"""Steps the browser tests share."""

from lianxin.testing import PASSWORD


def log_in(page, username):
    """Log in through the staff log-in form (in Chinese, the default language) and land on the overview."""
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url("**/staff/")

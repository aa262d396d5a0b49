"""Take screenshots of the main pages of a running Lianxin (``./dev.sh run``) for a person to look at.

    .venv/bin/python scripts/screenshots.py http://127.0.0.1:8000 screenshots/
"""

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--disable-quic"]


def main(base: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        phone = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                                    is_mobile=True, has_touch=True, locale="zh-CN", base_url=base)
        page = phone.new_page()
        page.goto("/")
        page.screenshot(path=out / "public-directory.png", full_page=True)
        page.get_by_label("关键词").fill("坞城") if page.get_by_label("关键词").count() else None
        page.goto("/?q=坞城")
        page.locator("a[href^='/s/']").first.click()
        page.wait_for_load_state()
        page.screenshot(path=out / "public-site.png", full_page=True)
        site_url = page.url
        page.locator("a[href^='/d/']").first.click()
        page.wait_for_load_state()
        page.screenshot(path=out / "public-deputy.png", full_page=True)
        page.goto(site_url)
        page.locator("a[href^='/o/new/']").first.click()
        page.wait_for_load_state()
        page.screenshot(path=out / "public-opinion-form.png", full_page=True)
        page.goto("/o/track/")
        page.screenshot(path=out / "public-track.png", full_page=True)
        desktop = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", base_url=base)
        page = desktop.new_page()
        page.goto("/accounts/login/")
        page.fill("input[name=username]", "xiaodian-admin")
        page.fill("input[name=password]", "lianxin2026")
        page.get_by_role("button", name="登录", exact=True).click()
        page.wait_for_url("**/staff/")
        for name, path in [("staff-overview", "/staff/"), ("staff-coverage", "/staff/coverage/"),
                           ("staff-sites", "/staff/sites/"), ("staff-deputies", "/staff/deputies/"),
                           ("staff-regions", "/staff/regions/"), ("staff-units", "/staff/units/")]:
            page.goto(path)
            page.screenshot(path=out / f"{name}.png", full_page=False)
        for name, path in [("staff-opinions", "/staff/opinions/"),
                           ("staff-opinions-overdue", "/staff/opinions/?queue=overdue"),
                           ("staff-opinions-search", "/staff/opinions/?q=路灯")]:
            page.goto(path)
            page.screenshot(path=out / f"{name}.png", full_page=False)
        page.goto("/staff/opinions/?queue=overdue")
        case = page.locator("table a[href*='/staff/opinions/']").first
        if case.count():
            case.click()
            page.wait_for_load_state()
            page.screenshot(path=out / "staff-opinion-case.png", full_page=True)
        for username, pages in [("unit-staff", [("unit-inbox", "/staff/opinions/inbox/")]),
                                ("site-manager", [("site-opinions", "/staff/opinions/")])]:
            other = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", base_url=base)
            tab = other.new_page()
            tab.goto("/accounts/login/")
            tab.fill("input[name=username]", username)
            tab.fill("input[name=password]", "lianxin2026")
            tab.get_by_role("button", name="登录", exact=True).click()
            tab.wait_for_url("**/staff/**")
            for name, path in pages:
                tab.goto(path)
                tab.screenshot(path=out / f"{name}.png", full_page=False)
            other.close()
        browser.close()
    print(f"screenshots in {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000", Path(sys.argv[2] if len(sys.argv) > 2 else "screenshots"))

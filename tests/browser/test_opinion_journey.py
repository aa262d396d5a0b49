"""One opinion's whole journey: a citizen submits it from a site's QR link on a phone, the site
manager accepts and transfers it, the township office replies, the citizen follows the timeline
and rates it."""

import re

import pytest
from playwright.sync_api import expect

from lianxin.opinions.models import Category, Opinion, Outcome, Status
from lianxin.testing import make_user
from lianxin.units.models import HandlingUnit
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



def test_citizen_submits_manager_transfers_unit_replies_citizen_rates(browser, live_server, phone, world):
    Category.objects.create(code="urban", name="城乡建设", name_en="Urban construction")
    office = HandlingUnit.objects.create(code="U-140105001", name="坞城街道办事处", region=world.street_a,
                                         kind=HandlingUnit.Kind.TOWNSHIP, contact_name="办公室",
                                         contact_phone="0351-1111111")
    make_user("office", "unit_staff", unit=office)

    # 1. The citizen scans the site's QR code and submits.
    phone.goto(f"/s/{world.station_a.code}/?via=qr")
    phone.get_by_role("link", name="提意见").first.click()
    phone.get_by_label("类别").select_option(label="城乡建设")
    phone.get_by_label("标题").fill("小区路灯不亮")
    phone.get_by_label("意见内容").fill("坞城社区3号楼前的路灯坏了一个月，晚上出行不便。")
    phone.get_by_label("您的姓名").fill("王小二")
    phone.get_by_label("您的电话").fill("13900001111")
    phone.locator("input[name=consent]").check()
    phone.get_by_role("button", name="提交意见").click()
    phone.wait_for_url("**/thanks/**")
    opinion = Opinion.objects.get()
    assert opinion.tracking_code in phone.locator("main").inner_text()
    assert opinion.channel == "site_qr" and opinion.station_id == world.station_a.pk

    # 2. The site manager accepts it and forwards it to the township office.
    staff = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", base_url=live_server.url)
    desk = staff.new_page()
    desk.set_default_timeout(20_000)
    log_in(desk, "manager")
    desk.goto(f"/staff/opinions/{opinion.pk}/")
    desk.wait_for_load_state("networkidle")  # the page's own htmx requests have answered
    desk.locator("[data-action=accept] .accordion-button").click()
    # Bootstrap's collapse animation has ended ("collapsing" → "collapse show"): the button stays put.
    expect(desk.locator("#action-accept")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    # The live server shares one SQLite connection between its threads: submit only once nothing else is
    # in flight, and give a loaded machine time (a stalled POST here failed CI once).
    desk.wait_for_load_state("networkidle")
    expect(desk.get_by_test_id("form-accept").locator("button[type=submit]")).to_be_visible()
    with desk.expect_navigation(timeout=45_000):
        desk.get_by_test_id("form-accept").locator("button[type=submit]").click()
    assert "已受理" in desk.locator("main").inner_text()
    desk.locator("[data-action=transfer] .accordion-button").click()
    expect(desk.locator("#action-transfer")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    transfer = desk.get_by_test_id("form-transfer")
    transfer.get_by_label("承办单位").select_option(value=str(office.pk))
    desk.wait_for_load_state("networkidle")  # the deadline preview (htmx) has answered
    expect(transfer.locator("button[type=submit]")).to_be_visible()
    with desk.expect_navigation(timeout=45_000):
        transfer.locator("button[type=submit]").click()
    opinion.refresh_from_db()
    assert opinion.status == Status.TRANSFERRED and opinion.unit_id == office.pk
    staff.close()

    # 3. The township office replies from its inbox.
    staff = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", base_url=live_server.url)
    desk = staff.new_page()
    desk.set_default_timeout(20_000)
    log_in(desk, "office")
    desk.goto("/staff/opinions/inbox/")
    desk.get_by_role("link", name=re.compile("小区路灯不亮")).first.click()
    desk.get_by_role("textbox", name="答复群众").fill("已更换路灯，感谢您的反映。")
    with desk.expect_navigation():
        desk.get_by_role("button", name="发送答复").click()
    opinion.refresh_from_db()
    assert opinion.status == Status.REPLIED
    staff.close()

    # 4. The citizen follows the case and rates the outcome.
    phone.goto("/o/track/")
    phone.get_by_label("查询码").fill(opinion.tracking_code)
    phone.get_by_label("手机号码后四位").fill("1111")
    with phone.expect_navigation():
        phone.get_by_role("button", name="查询").click()
    body = phone.locator("main").inner_text()
    assert "已更换路灯" in body and "坞城街道办事处" in body
    phone.get_by_label("满意", exact=True).check()
    phone.get_by_label("是", exact=True).check()
    with phone.expect_navigation():
        phone.get_by_role("button", name="提交评价").click()
    opinion.refresh_from_db()
    assert opinion.status == Status.CLOSED and opinion.outcome == Outcome.RESOLVED

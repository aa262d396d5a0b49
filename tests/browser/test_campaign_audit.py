"""An auditor scores an application on a phone (390×844): every item, notes, location, save, submit."""

import datetime
import os
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from lianxin.accounts.models import Role
from lianxin.campaigns.defaults import ensure_default_template
from lianxin.campaigns.models import Application, AuditAssignment, AuditScore, Campaign, Criterion
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def handset(browser, live_server):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True,
        locale="zh-CN", base_url=live_server.url, permissions=["geolocation"],
        geolocation={"latitude": 37.8001, "longitude": 112.5802, "accuracy": 15},
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def shot(page, name):
    if os.environ.get("LIANXIN_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["LIANXIN_SCREENSHOTS"], name), full_page=True)


@pytest.fixture
def assignment(world):
    today = datetime.date.today()
    day = datetime.timedelta(days=1)
    campaign = Campaign.objects.create(
        year=today.year, name=f"{today.year}年示范型代表联络站（点）创建", template=ensure_default_template(),
        region=world.city, quota_stations=2, quota_points=2,
        application_opens=today - 60 * day, district_review_opens=today - 30 * day, audit_opens=today - 5 * day,
        final_review_opens=today + 20 * day, publication_on=today + 40 * day,
        data_from=today - 400 * day, data_to=today - 61 * day)
    application = Application.objects.create(campaign=campaign, station=world.station_a, kind=world.station_a.kind,
                                             status=Application.Status.RECOMMENDED)
    return AuditAssignment.objects.create(application=application, auditor=world.users[Role.AUDITOR])


def test_an_auditor_scores_a_site_on_a_phone(handset, world, assignment):
    page = handset
    criteria = list(Criterion.objects.filter(dimension__template=assignment.application.campaign.template,
                                             kind=Criterion.Kind.MANUAL))
    log_in(page, "auditor")
    page.goto("/staff/audits/")
    with page.expect_navigation():
        page.locator("[data-testid=audit-row]", has_text=world.station_a.name).click()
    expect(page.locator("[data-testid=audit-site]")).to_have_text(world.station_a.name)
    expect(page.locator("[data-testid=audit-item]")).to_have_count(len(criteria))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    first = criteria[0]
    plus = page.locator(f"button[data-target='lx-points-{first.pk}'][data-step='0.5']")
    plus.click()
    plus.click()
    expect(page.locator(f"#lx-points-{first.pk}")).to_have_value("1")
    for criterion in criteria[1:]:
        page.locator(f"#lx-points-{criterion.pk}").fill(str(criterion.max_points - Decimal("0.5")))
    page.locator(f"#lx-note-{first.pk}").fill("值班表上墙")
    page.locator("#lx-notes").fill("阵地规范，台账齐全。")
    page.locator("#lx-locate").click()
    expect(page.locator("#lx-location-status")).to_contain_text("15")
    shot(page, "campaign-audit-phone.png")
    with page.expect_navigation():
        page.locator("[data-testid=audit-save]").click()
    expect(page.locator("[data-testid=audit-status]")).to_have_class(re.compile("text-bg-warning"))
    assignment.refresh_from_db()
    assert assignment.visited_at is not None and assignment.latitude is not None
    assert AuditScore.objects.filter(assignment=assignment).count() == len(criteria)

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.locator("[data-testid=audit-submit]").click()
    expect(page.locator("[data-testid=audit-total]")).to_be_visible()
    expect(page.locator("[data-testid=audit-status]")).to_have_class(re.compile("text-bg-success"))
    assert page.locator("input[name^=points-]").count() == 0  # read-only now
    shot(page, "campaign-audit-submitted-phone.png")
    assignment.refresh_from_db()
    assert assignment.status == AuditAssignment.Status.SUBMITTED
    expected = Decimal("1") + sum((c.max_points - Decimal("0.5") for c in criteria[1:]), Decimal("0"))
    assert assignment.total == expected
    assert assignment.visited_at is not None
    assert abs(assignment.latitude - Decimal("37.8001")) < Decimal("0.0001") and assignment.location_accuracy == 15
    assert AuditScore.objects.get(assignment=assignment, criterion=first).note == "值班表上墙"

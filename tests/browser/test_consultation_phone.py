"""A citizen on a phone comments on an article of an open draft and sees the thanks."""

import datetime

import pytest

from lianxin.accounts.models import Role
from lianxin.legislation import services
from lianxin.legislation.demo import DRAFT
from lianxin.legislation.models import Comment, Consultation
from tests.browser.helpers import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_citizen_comments_on_an_article_on_a_phone(phone, world):
    today = datetime.date.today()
    consultation = services.create_consultation(
        world.users[Role.CITY_ADMIN], title="", organiser="市人大常委会法工委", text=DRAFT,
        opens_on=today - datetime.timedelta(days=1), closes_on=today + datetime.timedelta(days=9),
        stations=[world.station_a])
    Consultation.objects.filter(pk=consultation.pk).update(status=Consultation.Status.OPEN)
    phone.goto("/l/")
    phone.get_by_test_id("open-consultation").first.click()
    article = phone.locator("#a12")
    article.scroll_into_view_if_needed()
    assert "第十二条" in article.inner_text()
    button = article.get_by_role("link")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 40  # a thumb-sized target
    button.click()
    phone.locator("textarea[name=text]").fill("建议把三个月改为六个月，给换届留足时间。")
    phone.locator("summary").first.click()
    phone.locator("input[name=phone]").fill("13900001111")
    phone.locator("input[name=consent]").check()
    phone.locator("button[type=submit]").last.click()
    phone.get_by_test_id("thanks").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    comment = Comment.objects.get()
    assert comment.article.number == 12 and comment.citizen_phone == "13900001111"



def test_a_city_admin_edits_the_sites_by_district_and_prepares_the_pdf(phone, world, screenshot_dir):
    from lianxin.legislation.models import SummaryDocument

    today = datetime.date.today()
    consultation = services.create_consultation(
        world.users[Role.CITY_ADMIN], title="", organiser="市人大常委会法工委", text=DRAFT,
        opens_on=today + datetime.timedelta(days=1), closes_on=today + datetime.timedelta(days=9),
        stations=[world.station_b])
    log_in(phone, "city")
    phone.goto(f"/staff/legislation/{consultation.pk}/")
    with phone.expect_navigation():
        phone.locator(f'a[href="/staff/legislation/{consultation.pk}/edit/"]').click()
    picker = phone.locator("[data-lx-sites]")
    assert picker.locator("[data-lx-count]").inner_text() == "1"
    # "The whole district" ticks its sites (here a station and a point), the count follows.
    picker.locator("details", has_text="小店区").locator("summary").click()
    picker.locator(f"#lx-district-{world.district_a.pk}").check()
    assert picker.locator(f"#lx-site-{world.point_a.pk}").is_checked()
    assert picker.locator("[data-lx-count]").inner_text() == "3"
    # Unticking one site leaves the district partly chosen.
    picker.locator(f"#lx-site-{world.point_a.pk}").uncheck()
    assert not picker.locator(f"#lx-district-{world.district_a.pk}").is_checked()
    assert picker.locator("[data-lx-count]").inner_text() == "2"
    assert picker.locator("details", has_text="小店区").locator("[data-lx-group-count]").inner_text() == "1"
    # The filter box hides the sites (and districts) that do not match.
    picker.locator("[data-lx-filter]").fill("柳巷")
    assert picker.locator("details", has_text="迎泽区").is_visible()
    assert not picker.locator("details", has_text="小店区").is_visible()
    picker.locator("[data-lx-filter]").fill("")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    if screenshot_dir:
        phone.screenshot(path=f"{screenshot_dir}/browser-consultation-sites.png", full_page=True)
    with phone.expect_navigation():
        phone.locator("main button[type=submit]").first.click()
    assert set(consultation.stations.all()) == {world.station_a, world.station_b}

    phone.goto(f"/staff/legislation/{consultation.pk}/summary/")
    phone.get_by_test_id("pdf-status").locator("button").click()
    phone.get_by_test_id("pdf-download").wait_for()  # htmx swaps in the link once the task has made the file
    assert SummaryDocument.objects.get(consultation=consultation).status == "ready"
    with phone.expect_download() as download:
        phone.get_by_test_id("pdf-download").click()
    assert download.value.suggested_filename.endswith(".pdf")

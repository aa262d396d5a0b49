"""A citizen on a phone comments on an article of an open draft and sees the thanks."""

import datetime

import pytest

from lianxin.accounts.models import Role
from lianxin.legislation import services
from lianxin.legislation.demo import DRAFT
from lianxin.legislation.models import Comment, Consultation

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

"""Following a case by tracking code + the last four digits of the phone."""

import pytest
from django.core.cache import cache

from lianxin.opinions import services
from lianxin.opinions.models import Category

GENERIC = "No case matches this tracking code and these digits"


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()


@pytest.fixture
def opinion(world):
    category = Category.objects.create(code="urban", name="城乡建设")
    case, _ = services.submit_opinion(category=category, title="小区路灯不亮", text="坏了", channel="portal",
                                      station=world.station_a, citizen_name="王小二", citizen_phone="13900001111")
    return case


def track(client, code, digits, **extra):
    return client.post("/o/track/", {"code": code, "digits": digits}, HTTP_ACCEPT_LANGUAGE="en", **extra)


def test_right_code_and_digits_open_the_case_and_refresh_works(client, opinion):
    response = track(client, opinion.tracking_code.lower(), "1111")
    assert response.status_code == 302 and response["Location"] == f"/o/track/{opinion.tracking_code}/"
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "小区路灯不亮" in page.content.decode()
    assert client.get(response["Location"]).status_code == 200  # the session remembers


def test_wrong_digits_and_wrong_code_get_the_same_answer(client, opinion):
    wrong_digits = track(client, opinion.tracking_code, "2222")
    wrong_code = track(client, "ZZZZZZZZZZ", "1111")
    assert wrong_digits.status_code == wrong_code.status_code == 200
    assert GENERIC in wrong_digits.content.decode() and GENERIC in wrong_code.content.decode()
    assert wrong_digits.content.decode().replace(opinion.tracking_code, "ZZZZZZZZZZ").count(GENERIC) == 1
    assert "小区路灯不亮" not in wrong_digits.content.decode()
    assert client.get(f"/o/track/{opinion.tracking_code}/").status_code == 302


def test_case_page_needs_verification(client, opinion):
    response = client.get(f"/o/track/{opinion.tracking_code}/")
    assert response.status_code == 302 and response["Location"] == f"/o/track/?code={opinion.tracking_code}"


def test_guessing_digits_for_one_code_is_stopped_across_addresses(client, opinion, settings):
    settings.OPINION_RATE_TRACK_CODE = (3, 3600)
    for n, digits in enumerate(["0000", "0001", "0002"]):
        track(client, opinion.tracking_code, digits, REMOTE_ADDR=f"10.0.0.{n}")
    blocked = track(client, opinion.tracking_code, "1111", REMOTE_ADDR="10.0.0.9")
    assert blocked.status_code == 429 and "Too many attempts" in blocked.content.decode()


def test_tracking_attempts_are_limited_per_address(client, opinion, settings):
    settings.OPINION_RATE_TRACK_IP = (2, 600)
    track(client, "AAAAAAAAAA", "0000")
    track(client, "BBBBBBBBBB", "0000")
    assert track(client, opinion.tracking_code, "1111").status_code == 429


def test_case_without_phone_is_followed_by_code_alone(client, world):
    category = Category.objects.create(code="env", name="环境保护")
    case, _ = services.submit_opinion(category=category, title="河道垃圾", text="x", channel="walk_in",
                                      station=world.station_a)
    assert track(client, case.tracking_code, "1234").status_code == 200
    assert track(client, case.tracking_code, "").status_code == 302


def test_a_case_with_a_phone_is_not_opened_without_digits(client, opinion):
    assert GENERIC in track(client, opinion.tracking_code, "").content.decode()


def test_submitting_remembers_the_case_in_the_session(client, world):
    category = Category.objects.create(code="env", name="环境保护")
    client.post(f"/o/new/?site={world.station_a.code}", {
        "category": category.pk, "title": "t", "text": "x", "name": "王", "phone": "13900001111",
        "consent": "on", "key": "track-session-key-0001"})
    from lianxin.opinions.models import Opinion

    code = Opinion.objects.get().tracking_code
    assert client.get(f"/o/track/{code}/").status_code == 200

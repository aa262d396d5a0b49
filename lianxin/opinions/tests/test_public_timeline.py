"""The citizen's timeline shows public events only: no internal notes, no staff names."""

import pytest
from django.core.cache import cache

from lianxin.opinions import services
from lianxin.opinions.models import Category


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()


@pytest.fixture
def replied(world):
    category = Category.objects.create(code="urban", name="城乡建设")
    for user in world.users.values():
        user.first_name, user.last_name, user.display_name = "秘密", "员工", "张秘书"
        user.save()
    case, _ = services.submit_opinion(category=category, title="小区路灯不亮", text="坏了", channel="portal",
                                      station=world.station_a, citizen_phone="13900001111")
    admin = world.users["district_admin"]
    services.accept(case, world.users["site_manager"], internal_note="内部备注：此人多次投诉")
    services.transfer(case, admin, unit=world.unit_a, public_note="已转交住建局办理", internal_note="领导批示：尽快")
    services.escalate(case, admin, note="督办：内部")
    services.reply(case, world.users["unit_staff"], text="已更换路灯。", internal_note="费用200元")
    return case


def open_case(client, case, language="en"):
    client.post("/o/track/", {"code": case.tracking_code, "digits": "1111"})
    return client.get(f"/o/track/{case.tracking_code}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_public_notes_and_the_reply_are_shown(client, world, replied):
    html = open_case(client, replied)
    assert "已转交住建局办理" in html and "已更换路灯。" in html
    assert world.unit_a.name in html and world.station_a.name in html
    assert "Sent to the handling unit" in html and "Reply from the handling unit" in html


def test_internal_notes_and_internal_events_are_hidden(client, replied):
    html = open_case(client, replied)
    for secret in ["内部备注", "领导批示", "督办：内部", "费用200元"]:
        assert secret not in html
    assert "Escalate" not in html


def test_staff_names_are_replaced_by_role_and_organisation(client, world, replied):
    html = open_case(client, replied)
    for name in ["秘密", "员工", "张秘书", "manager", "district", ">unit<"]:
        assert name not in html
    assert f"People&#x27;s congress staff, {world.district_a.name}" in html


def test_deadline_and_status_are_shown(client, replied):
    html = open_case(client, replied)
    assert "Replied" in html and "Rate the outcome" in html

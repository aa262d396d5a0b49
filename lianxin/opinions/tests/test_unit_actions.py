"""The unit's case page and its actions: acknowledge, reply (with a template), extension, return; bulk reply."""

import pytest
import time_machine
from django.urls import reverse

from lianxin.opinions import services
from lianxin.opinions.models import ExtensionRequest, OpinionEvent, ResponseTemplate, Status

from .unit_helpers import NOW, category, transferred  # noqa: F401

pytestmark = pytest.mark.django_db


def url(name, opinion):
    return reverse(f"opinions:{name}", args=[opinion.pk])


@pytest.fixture
def unit_client(world, client_for):
    with time_machine.travel(NOW, tick=False):
        yield client_for(world.users["unit_staff"])


@pytest.fixture
def case(world, category):  # noqa: F811
    with time_machine.travel(NOW, tick=False):
        return transferred(world, category, "小区路灯不亮", phone="13900001111")


def events(opinion):
    return list(OpinionEvent.objects.filter(opinion=opinion).values_list("action", flat=True))


@time_machine.travel(NOW, tick=False)
def test_case_page_masks_the_phone_and_offers_the_units_actions(world, case, unit_client):
    response = unit_client.get(url("inbox_case", case))
    body = response.content.decode()
    assert response.status_code == 200
    assert "13900001111" not in body and "139****1111" in body
    assert "王小二" not in body
    assert response.context["actions"] == {"acknowledge", "reply", "return_case", "request_extension"}


@time_machine.travel(NOW, tick=False)
def test_internal_notes_of_other_steps_are_hidden_from_the_unit(world, category, unit_client):  # noqa: F811
    admin = world.users["district_admin"]
    opinion, _ = services.submit_opinion(category=category, title="噪音", text="夜间噪音", channel="portal",
                                         station=world.station_a)
    services.accept(opinion, admin, internal_note="站内备注：不给单位看")
    services.transfer(opinion, admin, unit=world.unit_a, internal_note="交办说明：请现场核实", public_note="已交办")
    body = unit_client.get(url("inbox_case", opinion)).content.decode()
    assert "交办说明：请现场核实" in body and "已交办" in body
    assert "站内备注：不给单位看" not in body


@time_machine.travel(NOW, tick=False)
def test_acknowledge_then_double_acknowledge_is_refused(case, unit_client):
    response = unit_client.post(url("inbox_acknowledge", case))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.acknowledged_at is not None
    version = case.version
    response = unit_client.post(url("inbox_acknowledge", case))
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]][-1] == "error"
    case.refresh_from_db()
    assert case.version == version and events(case).count("acknowledge") == 1


@time_machine.travel(NOW, tick=False)
def test_reply_sends_the_text_and_writes_an_event(case, unit_client):
    response = unit_client.post(url("inbox_reply", case), {"text": "已更换路灯。", "internal_note": "工单123",
                                                          "version": case.version})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.REPLIED and case.reply == "已更换路灯。"
    event = OpinionEvent.objects.get(opinion=case, action="reply")
    assert event.public_note == "已更换路灯。" and event.internal_note == "工单123"


@time_machine.travel(NOW, tick=False)
def test_empty_reply_or_stale_version_changes_nothing(case, unit_client):
    response = unit_client.post(url("inbox_reply", case), {"text": "  ", "version": case.version})
    assert response.status_code == 200 and response.context["reply_form"].errors
    response = unit_client.post(url("inbox_reply", case), {"text": "答复", "version": case.version - 1})
    assert response.status_code == 200
    assert response.context["reply_form"]["text"].value() == "答复"  # the text is kept for a retry
    case.refresh_from_db()
    assert case.status == Status.TRANSFERRED and case.reply == "" and "reply" not in events(case)


@time_machine.travel(NOW, tick=False)
def test_template_picker_fills_the_reply_with_my_units_or_shared_templates(world, case, unit_client):
    mine = ResponseTemplate.objects.create(name="已处理", text="您反映的问题已处理完毕。", unit=world.unit_a)
    shared = ResponseTemplate.objects.create(name="通用", text="感谢您的反映。")
    foreign = ResponseTemplate.objects.create(name="他单位", text="别的单位的模板", unit=world.unit_b)
    inactive = ResponseTemplate.objects.create(name="停用", text="停用的模板", unit=world.unit_a, active=False)
    page = unit_client.get(url("inbox_case", case))
    choices = set(page.context["picker"].fields["template"].queryset)
    assert choices == {mine, shared}
    filled = unit_client.get(url("inbox_case", case), {"template": mine.pk})
    assert filled.context["reply_form"]["text"].value() == "您反映的问题已处理完毕。"
    for other in (foreign, inactive):
        assert unit_client.get(url("inbox_case", case), {"template": other.pk}).context["reply_form"][
            "text"].value() == ""


@time_machine.travel(NOW, tick=False)
def test_extension_request_and_bad_input(case, unit_client):
    for bad in ({"working_days": "0", "reason": "需要协调"}, {"working_days": "31", "reason": "需要协调"},
                {"working_days": "x", "reason": "需要协调"}, {"working_days": "5", "reason": ""}):
        response = unit_client.post(url("inbox_extension", case), bad)
        assert response.status_code == 200 and response.context["extension_form"].errors
    assert ExtensionRequest.objects.count() == 0
    response = unit_client.post(url("inbox_extension", case), {"working_days": "5", "reason": "需要多部门协调"})
    assert response.status_code == 302
    request = ExtensionRequest.objects.get()
    assert request.working_days == 5 and request.state == ExtensionRequest.State.PENDING
    # a second request while one waits is refused
    response = unit_client.post(url("inbox_extension", case), {"working_days": "3", "reason": "再延"})
    assert response.status_code == 200 and ExtensionRequest.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_return_needs_a_reason_and_sends_the_case_back(case, unit_client):
    response = unit_client.post(url("inbox_return", case), {"reason": ""})
    assert response.status_code == 200 and response.context["return_form"].errors
    case.refresh_from_db()
    assert case.status == Status.TRANSFERRED
    response = unit_client.post(url("inbox_return", case), {"reason": "不属于本单位职责"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED and case.unit_id is None
    # still readable as history, with no actions
    page = unit_client.get(url("inbox_case", case))
    assert page.status_code == 200 and page.context["actions"] == set()


@time_machine.travel(NOW, tick=False)
def test_bulk_reply_replies_to_each_and_summarises_refusals(world, category, unit_client):  # noqa: F811
    a = transferred(world, category, "案件甲")
    b = transferred(world, category, "案件乙")
    c = transferred(world, category, "案件丙")
    services.reply(c, world.users["unit_staff"], text="早已答复")  # no longer in the inbox: refused by the form
    template = ResponseTemplate.objects.create(name="通用", text="感谢反映，已处理。")
    page = unit_client.get(reverse("opinions:inbox_bulk_reply"), {"cases": [a.pk, b.pk], "template": template.pk})
    assert page.context["form"]["text"].value() == "感谢反映，已处理。"
    assert {op.pk for op in page.context["chosen"]} == {a.pk, b.pk}
    # b is changed meanwhile by someone else: returned, so the service refuses it
    services.return_case(b, world.users["unit_staff"], reason="不属于本单位")
    response = unit_client.post(reverse("opinions:inbox_bulk_reply"), {"cases": [a.pk], "text": "感谢反映，已处理。"})
    assert [op.pk for op in response.context["done"]] == [a.pk]
    a.refresh_from_db()
    assert a.status == Status.REPLIED and a.reply == "感谢反映，已处理。"


@time_machine.travel(NOW, tick=False)
def test_bulk_reply_reports_each_refused_case(world, category, unit_client, monkeypatch):  # noqa: F811
    from lianxin.opinions.errors import CaseError

    a = transferred(world, category, "案件甲")
    b = transferred(world, category, "案件乙")
    real_reply = services.reply

    def flaky(pk, user, **kwargs):
        if pk == b.pk:
            raise CaseError("conflict", "有人同时修改了此案件")
        return real_reply(pk, user, **kwargs)

    monkeypatch.setattr(services, "reply", flaky)
    response = unit_client.post(reverse("opinions:inbox_bulk_reply"), {"cases": [a.pk, b.pk], "text": "已处理"})
    assert [op.pk for op in response.context["done"]] == [a.pk]
    assert [(op.pk, str(msg)) for op, msg in response.context["refused"]] == [(b.pk, "有人同时修改了此案件")]
    b.refresh_from_db()
    assert b.status == Status.TRANSFERRED


@time_machine.travel(NOW, tick=False)
def test_bulk_reply_without_text_or_cases_changes_nothing(world, category, unit_client):  # noqa: F811
    a = transferred(world, category, "案件甲")
    other = transferred(world, category, "别的单位", other_unit=True)
    response = unit_client.post(reverse("opinions:inbox_bulk_reply"), {"cases": [a.pk], "text": ""})
    assert response.status_code == 200 and response.context["form"].errors
    response = unit_client.post(reverse("opinions:inbox_bulk_reply"), {"cases": [other.pk], "text": "答复"})
    assert response.status_code == 200 and "cases" in response.context["form"].errors
    a.refresh_from_db()
    other.refresh_from_db()
    assert a.status == other.status == Status.TRANSFERRED

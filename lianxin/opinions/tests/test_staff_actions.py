"""Each transition form of the case page: the happy path, bad input (nothing changes, message shown), stale version."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from lianxin.accounts.models import Role
from lianxin.opinions import services
from lianxin.opinions.models import ExtensionRequest, Opinion, OpinionEvent, Status
from lianxin.opinions.tests import staff_helpers
from lianxin.opinions.tests.staff_helpers import submit

# shared fixtures
category, township_office = staff_helpers.category, staff_helpers.township_office
english, frozen = staff_helpers.english, staff_helpers.frozen

pytestmark = pytest.mark.usefixtures("frozen", "english")


def post(client, name, op, **fields):
    data = {f"{name}-version": op.version, **{f"{name}-{k}": v for k, v in fields.items()}}
    return client.post(reverse(f"opinions:{name}", args=[op.pk]), data)


def snapshot(op):
    fresh = Opinion.objects.get(pk=op.pk)
    return fresh.status, fresh.version, OpinionEvent.objects.filter(opinion=op).count()


@pytest.fixture
def manager(world, client_for):
    return client_for(world.users[Role.SITE_MANAGER])


@pytest.fixture
def admin(world, client_for):
    return client_for(world.users[Role.DISTRICT_ADMIN])


def accepted(world, category):
    op = submit(category, world.station_a)
    return services.accept(op, world.users[Role.SITE_MANAGER])


def test_accept(world, category, manager):
    op = submit(category, world.station_a)
    response = post(manager, "accept", op, station=world.station_a.pk, deputy=world.deputy_a.pk,
                    category=category.pk, urgency="urgent", public_note="已受理")
    assert response.status_code == 302 and response.url == reverse("opinions:detail", args=[op.pk])
    op.refresh_from_db()
    assert op.status == Status.ACCEPTED and op.deputy == world.deputy_a and op.urgency == "urgent"
    assert op.assignee == world.users[Role.SITE_MANAGER]
    assert "was accepted" in manager.get(response.url).content.decode()


def test_accept_with_a_deputy_of_another_site_changes_nothing(world, category, manager):
    op = submit(category, world.station_a)
    before = snapshot(op)
    response = post(manager, "accept", op, station=world.station_a.pk, deputy=world.deputy_b.pk,
                    category=category.pk, urgency="normal")
    assert response.status_code == 400
    assert "Nothing was saved" in response.content.decode()
    assert snapshot(op) == before


def test_reject_tells_the_citizen_where_to_go(world, category, manager):
    op = submit(category, world.station_a)
    page = manager.get(reverse("opinions:detail", args=[op.pk])).content.decode()
    assert str(services.REJECT_GUIDANCE["litigation"]) in page  # the guidance is shown before rejecting
    response = post(manager, "reject", op, reason="litigation", internal_note="已起诉")
    assert response.status_code == 302
    op.refresh_from_db()
    assert op.status == Status.REJECTED
    event = OpinionEvent.objects.get(opinion=op, action="reject")
    # The note goes to the citizen, so it is written in the citizen's language, not the staff page's.
    with translation.override(op.language):
        assert event.public_note == str(services.REJECT_GUIDANCE["litigation"])
    assert event.internal_note == "已起诉"


def test_reject_without_a_reason_changes_nothing(world, category, manager):
    op = submit(category, world.station_a)
    before = snapshot(op)
    response = post(manager, "reject", op, reason="")
    assert response.status_code == 400
    assert "Choose a reason for not accepting." in response.content.decode()
    assert snapshot(op) == before


def test_merge_into_a_similar_case_or_by_tracking_code(world, category, manager):
    first = submit(category, world.station_a, title="小区路灯不亮", text="3号楼路灯")
    dup = submit(category, world.station_a, title="路灯不亮了", text="3号楼前")
    page = manager.get(reverse("opinions:detail", args=[dup.pk]))
    assert first in page.context["candidates"]
    assert post(manager, "merge", dup, into=first.pk).status_code == 302
    dup.refresh_from_db()
    assert dup.status == Status.MERGED and dup.merged_into == first
    third = submit(category, world.station_a, title="别的事", text="不相干")
    assert post(manager, "merge", third, tracking_code=first.tracking_code.lower()).status_code == 302
    assert Opinion.objects.get(pk=third.pk).merged_into == first


def test_merge_with_an_unknown_or_foreign_code_changes_nothing(world, category, manager):
    op = submit(category, world.station_a)
    foreign = submit(category, world.station_b, title="柳巷", text="x")
    before = snapshot(op)
    for code in ("NOSUCHCODE", foreign.tracking_code):
        response = post(manager, "merge", op, tracking_code=code)
        assert response.status_code == 400
        assert "No case with this tracking code in your area." in response.content.decode()
    response = post(manager, "merge", op)
    assert "Pick a similar case or enter a tracking code." in response.content.decode()
    assert snapshot(op) == before


def test_answer_on_the_spot(world, category, manager):
    op = accepted(world, category)
    assert post(manager, "answer", op, reply="已当场解释政策。").status_code == 302
    op.refresh_from_db()
    assert op.status == Status.REPLIED and op.reply == "已当场解释政策。"


def test_answer_without_text_changes_nothing(world, category, manager):
    op = accepted(world, category)
    before = snapshot(op)
    response = post(manager, "answer", op, reply="  ")
    assert response.status_code == 400 and "Write the answer given to the citizen." in response.content.decode()
    assert snapshot(op) == before


def test_site_manager_transfers_to_its_own_township_office(world, category, manager, township_office):
    op = accepted(world, category)
    page = manager.get(reverse("opinions:detail", args=[op.pk]))
    form = page.context["action_forms"]["transfer"]
    assert list(form.fields["unit"].queryset) == [township_office]  # not the district department
    assert form.initial["working_days"] == 10 and page.context["transfer_due"] is not None
    assert post(manager, "transfer", op, unit=township_office.pk, working_days=5).status_code == 302
    op.refresh_from_db()
    assert op.status == Status.TRANSFERRED and op.unit == township_office
    assert op.due_at.date() == datetime.date(2027, 3, 8)  # five working days after Monday 1 March


def test_site_manager_cannot_transfer_to_a_district_department(world, category, manager):
    op = accepted(world, category)
    before = snapshot(op)
    response = post(manager, "transfer", op, unit=world.unit_a.pk, working_days=5)
    assert response.status_code == 400 and "Nothing was saved" in response.content.decode()
    response = post(manager, "transfer", op, unit="", working_days=0)
    assert "Choose the handling unit." in response.content.decode()
    assert snapshot(op) == before


def test_district_admin_transfers_to_a_department_of_its_area(world, category, admin):
    op = accepted(world, category)
    form = admin.get(reverse("opinions:detail", args=[op.pk])).context["action_forms"]["transfer"]
    assert world.unit_a in form.fields["unit"].queryset and world.unit_b not in form.fields["unit"].queryset
    assert post(admin, "transfer", op, unit=world.unit_a.pk, working_days=10).status_code == 302
    assert Opinion.objects.get(pk=op.pk).unit == world.unit_a


def test_escalate_by_admin_and_refused_for_a_site_manager(world, category, client_for):
    op = accepted(world, category)
    before = snapshot(op)
    response = post(client_for(world.users[Role.SITE_MANAGER]), "escalate", op, note="x")
    assert response.status_code == 400 and "Your role may not do this." in response.content.decode()
    assert snapshot(op) == before
    assert post(client_for(world.users[Role.DISTRICT_ADMIN]), "escalate", op, note="请加快办理").status_code == 302
    op.refresh_from_db()
    assert op.escalated_at is not None and op.escalation_count == 1


def test_decide_a_pending_extension(world, category, admin):
    op = accepted(world, category)
    services.transfer(op, world.users[Role.DISTRICT_ADMIN], unit=world.unit_a)
    services.request_extension(op, world.users[Role.UNIT_STAFF], working_days=5, reason="需协调多部门")
    op.refresh_from_db()
    due_before = op.due_at
    response = post(admin, "decide_extension", op, decision="")
    assert response.status_code == 400
    assert ExtensionRequest.objects.get(opinion=op).state == ExtensionRequest.State.PENDING
    assert post(admin, "decide_extension", op, decision="approve", note="同意").status_code == 302
    op.refresh_from_db()
    assert ExtensionRequest.objects.get(opinion=op).state == ExtensionRequest.State.APPROVED
    assert op.due_at > due_before


@pytest.mark.parametrize("name,fields", [
    ("reject", {"reason": "petition"}),
    ("escalate", {"note": "x"}),
])
def test_stale_version_is_refused_and_changes_nothing(world, category, admin, name, fields):
    op = submit(category, world.station_a)
    stale = Opinion.objects.get(pk=op.pk)
    services.escalate(op, world.users[Role.CITY_ADMIN], note="别人先动了")  # someone else changes the case
    before = snapshot(op)
    response = post(admin, name, stale, **fields)
    assert response.status_code == 400
    assert "Someone else changed this case meanwhile. Reload and try again." in response.content.decode()
    assert snapshot(op) == before


def test_action_on_a_case_out_of_scope_is_404(world, category, client_for):
    op = submit(category, world.station_a)
    assert post(client_for(world.outsider), "reject", op, reason="other").status_code == 404
    assert Opinion.objects.get(pk=op.pk).status == Status.SUBMITTED


def test_due_preview(world, admin):
    response = admin.get(reverse("opinions:due_preview"), {"transfer-working_days": "5"})
    assert "2027" in response.content.decode()
    assert "between 1 and 60" in admin.get(reverse("opinions:due_preview"), {"days": "99"}).content.decode()

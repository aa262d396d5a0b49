"""The admins' queue of extension requests: approve moves the deadline by working days, deny keeps it."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from lianxin.accounts.models import Role
from lianxin.opinions import deadlines, services
from lianxin.opinions.models import ExtensionRequest, OpinionEvent

from .unit_helpers import NOW, category, transferred  # noqa: F401

pytestmark = pytest.mark.django_db
LIST = reverse("opinions:extensions")


@pytest.fixture
def pending(world, category):  # noqa: F811
    with time_machine.travel(NOW, tick=False):
        case = transferred(world, category, "小区路灯不亮", days=5)
        services.request_extension(case, world.users["unit_staff"], working_days=5, reason="需要协调")
    return ExtensionRequest.objects.get(opinion=case)


def test_approve_moves_the_deadline_by_working_days(world, pending, client_for):
    later = NOW + datetime.timedelta(days=1)
    with time_machine.travel(later, tick=False):
        client = client_for(world.users["district_admin"])
        old_due = pending.opinion.due_at
        page = client.get(LIST)
        assert [r.pk for r in page.context["page"].rows] == [pending.pk]
        assert page.context["page"].rows[0].proposed_due == deadlines.add_working_days(old_due, 5)
        response = client.post(reverse("opinions:extension_decide", args=[pending.pk]),
                               {"decision": "approve", "note": "同意"})
    assert response.status_code == 302
    pending.refresh_from_db()
    pending.opinion.refresh_from_db()
    assert pending.state == ExtensionRequest.State.APPROVED and pending.decided_by == world.users["district_admin"]
    assert pending.opinion.due_at == deadlines.add_working_days(old_due, 5)
    # 2027-03-08 (5 working days after Monday 1 March) + 5 working days = Monday 15 March
    assert timezone.localtime(pending.opinion.due_at).date() == datetime.date(2027, 3, 15)
    assert OpinionEvent.objects.filter(opinion=pending.opinion, action="decide_extension").exists()


@time_machine.travel(NOW, tick=False)
def test_deny_keeps_the_deadline(world, pending, client_for):
    old_due = pending.opinion.due_at
    client_for(world.users["city_admin"]).post(reverse("opinions:extension_decide", args=[pending.pk]),
                                               {"decision": "deny"})
    pending.refresh_from_db()
    pending.opinion.refresh_from_db()
    assert pending.state == ExtensionRequest.State.DENIED and pending.opinion.due_at == old_due


@time_machine.travel(NOW, tick=False)
def test_bad_decision_or_outsider_changes_nothing(world, pending, client_for):
    url = reverse("opinions:extension_decide", args=[pending.pk])
    client_for(world.users["district_admin"]).post(url, {"decision": "maybe"})
    pending.refresh_from_db()
    assert pending.state == ExtensionRequest.State.PENDING
    outsider = client_for(world.outsider)
    assert outsider.get(LIST).context["page"].rows == []
    assert outsider.post(url, {"decision": "approve"}).status_code == 404
    pending.refresh_from_db()
    assert pending.state == ExtensionRequest.State.PENDING


@pytest.mark.parametrize("role", [Role.UNIT_STAFF, Role.SITE_MANAGER, Role.DEPUTY])
def test_only_admins_see_the_queue(world, client_for, role):
    assert client_for(world.users[role]).get(LIST).status_code == 403


@time_machine.travel(NOW, tick=False)
def test_queue_exports_to_excel(world, pending, client_for):
    response = client_for(world.users["district_admin"]).get(LIST, {"export": "xlsx"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")

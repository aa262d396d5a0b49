"""Bulk transfer and escalation by the congress staff: each case on its own, a summary with reasons."""

import pytest
from django.urls import reverse

from lianxin.accounts.models import Role
from lianxin.opinions import services
from lianxin.opinions.models import Opinion, Status
from lianxin.opinions.tests import staff_helpers
from lianxin.opinions.tests.staff_helpers import submit

# shared fixtures
category, english, frozen = staff_helpers.category, staff_helpers.english, staff_helpers.frozen

pytestmark = pytest.mark.usefixtures("frozen", "english")
URL = reverse("opinions:bulk")


def test_bulk_transfer_summary_counts_done_and_refused_with_reasons(world, category, client_for):
    admin = world.users[Role.DISTRICT_ADMIN]
    ready = [services.accept(submit(category, world.station_a, title=f"事项{i}"), admin) for i in range(2)]
    not_accepted = submit(category, world.station_a, title="未受理")
    foreign = submit(category, world.station_b, title="外区")
    client = client_for(admin)
    response = client.post(URL, {
        "ids": [op.pk for op in ready] + [not_accepted.pk, foreign.pk], "action": "transfer",
        "unit": world.unit_a.pk, "working_days": "7", "next": reverse("opinions:list") + "?queue=all",
    }, follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("opinions:list") + "?queue=all"
    assert "2 done, 2 refused." in html
    assert not_accepted.tracking_code in html and f"#{foreign.pk}" in html
    assert "No such case in your area." in html
    assert all(Opinion.objects.get(pk=op.pk).unit == world.unit_a for op in ready)
    assert Opinion.objects.get(pk=not_accepted.pk).status == Status.SUBMITTED
    assert Opinion.objects.get(pk=foreign.pk).status == Status.SUBMITTED


def test_bulk_escalate(world, category, client_for):
    admin = world.users[Role.DISTRICT_ADMIN]
    cases = [submit(category, world.station_a, title=f"事项{i}") for i in range(3)]
    response = client_for(admin).post(URL, {"ids": [op.pk for op in cases], "action": "escalate", "note": "督办"},
                                      follow=True)
    assert "3 done, 0 refused." in response.content.decode()
    assert all(Opinion.objects.get(pk=op.pk).escalation_count == 1 for op in cases)


def test_bulk_transfer_without_a_unit_changes_nothing(world, category, client_for):
    admin = world.users[Role.DISTRICT_ADMIN]
    op = services.accept(submit(category, world.station_a), admin)
    response = client_for(admin).post(URL, {"ids": [op.pk], "action": "transfer", "unit": ""}, follow=True)
    assert "Choose the handling unit." in response.content.decode()
    assert Opinion.objects.get(pk=op.pk).status == Status.ACCEPTED


def test_bulk_is_for_admins_only(world, category, client_for):
    op = submit(category, world.station_a)
    client = client_for(world.users[Role.SITE_MANAGER])
    assert client.post(URL, {"ids": [op.pk], "action": "escalate"}).status_code == 403
    assert client.get(reverse("opinions:list")).context["bulk_form"] is None
    assert Opinion.objects.get(pk=op.pk).escalation_count == 0

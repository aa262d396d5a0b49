"""The case page: facts, masked personal data and its audited reveal, timeline, and the actions per role."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianxin.accounts.models import AuditEntry, Role
from lianxin.opinions import services
from lianxin.opinions.tests import staff_helpers
from lianxin.opinions.tests.staff_helpers import submit

# shared fixtures
category, township_office = staff_helpers.category, staff_helpers.township_office
english, frozen = staff_helpers.english, staff_helpers.frozen

pytestmark = pytest.mark.usefixtures("frozen", "english")


def offered(response):
    return list(response.context["action_forms"])


def test_actions_offered_per_role_on_a_new_case(world, category, client_for):
    op = submit(category, world.station_a)
    url = reverse("opinions:detail", args=[op.pk])
    assert offered(client_for(world.users[Role.SITE_MANAGER]).get(url)) == ["accept", "reject", "merge"]
    assert offered(client_for(world.users[Role.DEPUTY]).get(url)) == ["accept", "reject", "merge"]
    assert offered(client_for(world.users[Role.DISTRICT_ADMIN]).get(url)) == ["accept", "reject", "merge", "escalate"]


def test_actions_offered_per_role_on_an_accepted_and_a_transferred_case(world, category, client_for):
    op = submit(category, world.station_a)
    admin = world.users[Role.DISTRICT_ADMIN]
    services.accept(op, admin)
    url = reverse("opinions:detail", args=[op.pk])
    assert offered(client_for(world.users[Role.SITE_MANAGER]).get(url)) == ["reject", "merge", "answer", "transfer"]
    assert offered(client_for(admin).get(url)) == ["reject", "merge", "answer", "transfer", "escalate"]
    services.transfer(op, admin, unit=world.unit_a)
    assert offered(client_for(world.users[Role.SITE_MANAGER]).get(url)) == []
    assert offered(client_for(admin).get(url)) == ["escalate"]  # no extension request is pending
    services.request_extension(op, world.users[Role.UNIT_STAFF], working_days=5, reason="需协调")
    response = client_for(admin).get(url)
    assert offered(response) == ["decide_extension", "escalate"]
    assert 'data-testid="pending-extension"' in response.content.decode()


def test_case_page_shows_facts_timeline_and_masked_citizen(world, category, client_for):
    op = submit(category, world.station_a, deputy=world.deputy_a)
    services.accept(op, world.users[Role.SITE_MANAGER], public_note="已受理，请耐心等待", internal_note="需现场查看")
    dup = submit(category, world.station_a, title="路灯不亮", text="同一路灯")
    services.merge(dup, world.users[Role.SITE_MANAGER], into=op)
    response = client_for(world.users[Role.SITE_MANAGER]).get(reverse("opinions:detail", args=[op.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert op.title in html and world.deputy_a.name in html and world.station_a.name in html
    assert "王*二" in html and "139****1111" in html
    assert "王小二" not in html and "13900001111" not in html
    assert "已受理，请耐心等待" in html and "需现场查看" in html  # public and internal notes
    assert [e.action for e in response.context["events"]] == ["submit", "accept"]
    assert response.context["events"][1].actor_label == str(world.users[Role.SITE_MANAGER])
    assert dup.tracking_code in html  # merged cases
    assert 'data-testid="supporters"' in html and response.context["opinion"].supporters == 1
    assert 'data-deadline="overdue"' not in html


def test_out_of_scope_case_is_404_for_page_reveal_and_actions(world, category, client_for):
    op = submit(category, world.station_a)
    client = client_for(world.outsider)
    assert client.get(reverse("opinions:detail", args=[op.pk])).status_code == 404
    assert client.post(reverse("opinions:reveal", args=[op.pk])).status_code == 404
    assert client.post(reverse("opinions:accept", args=[op.pk]), {}).status_code == 404
    assert not AuditEntry.objects.filter(action="pii.view").exists()


def test_reveal_shows_personal_data_and_writes_the_audit_log(world, category, client_for):
    op = submit(category, world.station_a)
    manager = world.users[Role.SITE_MANAGER]
    response = client_for(manager).post(reverse("opinions:reveal", args=[op.pk]))
    html = response.content.decode()
    assert "王小二" in html and "13900001111" in html
    entry = AuditEntry.objects.get(action="pii.view")
    assert entry.actor == manager and entry.target_id == str(op.pk)


def test_deputy_may_not_reveal_personal_data(world, category, client_for):
    op = submit(category, world.station_a, deputy=world.deputy_a)
    client = client_for(world.users[Role.DEPUTY])
    page = client.get(reverse("opinions:detail", args=[op.pk])).content.decode()
    assert reverse("opinions:reveal", args=[op.pk]) not in page
    assert client.post(reverse("opinions:reveal", args=[op.pk])).status_code == 403
    assert not AuditEntry.objects.filter(action="pii.view").exists()


def test_case_page_query_count_does_not_grow_with_history(world, category, client_for):
    admin = world.users[Role.DISTRICT_ADMIN]
    op = submit(category, world.station_a)
    services.accept(op, admin)
    client = client_for(admin)
    url = reverse("opinions:detail", args=[op.pk])
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for _i in range(4):
        services.escalate(op, admin, note="督办")
        submit(category, world.station_a, title="小区路灯不亮 同一处", text="重复")
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    assert len(after) == len(before)

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from lianxin.accounts.models import AuditEntry
from lianxin.deputies import services
from lianxin.deputies.models import Assignment, Deputy, Level, Seat

LEADER, MEMBER = Assignment.Role.LEADER, Assignment.Role.MEMBER


def assign_url(deputy):
    return reverse("deputies:assign", args=[deputy.pk])


def add_url(station):
    return reverse("deputies:add_to_group", args=[station.pk])


def role_url(assignment):
    return reverse("deputies:change_role", args=[assignment.pk])


def end_url(assignment):
    return reverse("deputies:end_assignment", args=[assignment.pk])


def current(deputy, station):
    return Assignment.objects.current().get(deputy=deputy, station=station)


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def township_deputy(world):
    deputy = Deputy.objects.create(name="周乡镇", gender="m", home_region=world.street_a)
    Seat.objects.create(deputy=deputy, level=Level.TOWNSHIP, term=8, constituency=world.street_a)
    return deputy


def test_city_admin_adds_a_deputy_to_a_site(client_for, world):
    admin = world.users["city_admin"]
    response = client_for(admin).post(assign_url(world.deputy_b), {"station": world.station_a.pk, "role": MEMBER})
    assert response.status_code == 303
    assignment = current(world.deputy_b, world.station_a)
    assert assignment.role == MEMBER
    entry = AuditEntry.objects.get(action="assignment.create")
    assert entry.actor == admin and entry.target_id == str(assignment.pk)
    assert entry.data["station"] == world.station_a.pk


def test_adding_a_leader_demotes_the_previous_leader(client_for, world):
    client_for(world.users["city_admin"]).post(
        assign_url(world.deputy_b), {"station": world.station_a.pk, "role": LEADER}
    )
    assert current(world.deputy_b, world.station_a).role == LEADER
    assert current(world.deputy_a, world.station_a).role == MEMBER
    assert Assignment.objects.current().filter(station=world.station_a, role=LEADER).count() == 1
    assert AuditEntry.objects.get(action="assignment.create").data["demoted_leaders"] == [world.deputy_a.pk]


def test_making_someone_leader_demotes_the_previous_one(client_for, world, township_deputy):
    member = Assignment.objects.create(deputy=township_deputy, station=world.station_a)
    response = client_for(world.users["district_admin"]).post(role_url(member), {"role": LEADER})
    assert response.status_code == 303
    assert current(township_deputy, world.station_a).role == LEADER
    assert current(world.deputy_a, world.station_a).role == MEMBER
    entry = AuditEntry.objects.get(action="assignment.role")
    assert entry.data == {"role": {"old": MEMBER, "new": LEADER}, "demoted_leaders": [world.deputy_a.pk]}


def test_leader_back_to_member(client_for, world):
    leader = current(world.deputy_a, world.station_a)
    client_for(world.users["city_admin"]).post(role_url(leader), {"role": MEMBER})
    assert current(world.deputy_a, world.station_a).role == MEMBER
    assert not Assignment.objects.current().filter(station=world.station_a, role=LEADER).exists()


def test_bad_role_changes_nothing(client_for, world):
    leader = current(world.deputy_a, world.station_a)
    response = client_for(world.users["city_admin"]).post(role_url(leader), {"role": "boss"}, follow=True)
    assert current(world.deputy_a, world.station_a).role == LEADER
    assert messages_of(response)
    assert not AuditEntry.objects.exists()


def test_duplicate_assignment_is_a_message_not_an_error(client_for, world):
    before = Assignment.objects.count()
    response = client_for(world.users["city_admin"]).post(
        assign_url(world.deputy_a), {"station": world.station_a.pk, "role": MEMBER}, follow=True
    )
    assert response.status_code == 200
    assert Assignment.objects.count() == before
    assert any(world.station_a.name in m for m in messages_of(response))
    assert not AuditEntry.objects.exists()


def test_the_database_constraint_also_becomes_the_message(world, monkeypatch):
    # A concurrent request inserted the row after our check: the unique constraint answers.
    monkeypatch.setattr(services.Assignment.objects, "current",
                        lambda: Assignment.objects.filter(pk__in=[]))
    with pytest.raises(services.AssignmentError):
        services.assign_deputy(world.users["city_admin"], world.deputy_a, world.station_a)
    assert Assignment.objects.filter(deputy=world.deputy_a, station=world.station_a).count() == 1


def test_inactive_site_is_refused(client_for, world, township_deputy):
    world.point_a.status = "inactive"
    world.point_a.save()
    response = client_for(world.users["city_admin"]).post(
        assign_url(township_deputy), {"station": world.point_a.pk, "role": MEMBER}, follow=True
    )
    assert not Assignment.objects.filter(deputy=township_deputy).exists()
    assert any(world.point_a.name in m for m in messages_of(response))


def test_district_admin_cannot_use_a_site_outside_its_area(client_for, world):
    before = Assignment.objects.count()
    response = client_for(world.users["district_admin"]).post(
        assign_url(world.deputy_a), {"station": world.station_b.pk, "role": MEMBER}, follow=True
    )
    assert Assignment.objects.count() == before
    assert messages_of(response)
    with pytest.raises(PermissionDenied):
        services.assign_deputy(world.users["district_admin"], world.deputy_a, world.station_b)
    assert Assignment.objects.count() == before


def test_outsider_can_neither_see_nor_change_district_a(client_for, world):
    client = client_for(world.outsider)
    leader = current(world.deputy_a, world.station_a)
    assert client.post(assign_url(world.deputy_a), {"station": world.station_b.pk}).status_code == 404
    assert client.post(role_url(leader), {"role": MEMBER}).status_code == 404
    assert client.post(end_url(leader)).status_code == 404
    assert client.post(add_url(world.station_a), {"deputy": world.deputy_b.pk}).status_code == 404
    leader.refresh_from_db()
    assert leader.role == LEADER and leader.ended_on is None
    assert not AuditEntry.objects.exists()


def test_site_manager_changes_only_its_own_sites(client_for, world, township_deputy):
    manager = world.users["site_manager"]  # manages station_a only
    client = client_for(manager)
    # its own site: may add a deputy it sees (one already at its site) — here to point_a it does not manage
    response = client.post(assign_url(world.deputy_a), {"station": world.point_a.pk, "role": MEMBER})
    assert response.status_code == 303
    assert not Assignment.objects.filter(deputy=world.deputy_a, station=world.point_a).exists()
    # a deputy outside its sites is not visible to it
    assert client.post(add_url(world.station_a), {"deputy": township_deputy.pk}).status_code == 303
    assert not Assignment.objects.filter(deputy=township_deputy).exists()
    # point_a and station_b groups are not its to change
    assert client.post(add_url(world.point_a), {"deputy": world.deputy_a.pk}).status_code == 404
    assert client.post(end_url(current(world.deputy_b, world.station_b))).status_code == 404
    # but at station_a it may change roles and end assignments
    leader = current(world.deputy_a, world.station_a)
    assert client.post(role_url(leader), {"role": MEMBER}).status_code == 303
    assert current(world.deputy_a, world.station_a).role == MEMBER
    assert AuditEntry.objects.filter(action="assignment.role", actor=manager).count() == 1


def test_read_only_roles_cannot_change_groups(client_for, world):
    leader = current(world.deputy_a, world.station_a)
    client = client_for(world.users["deputy"])  # sees deputy_a and station_a, but may not change them
    assert client.post(assign_url(world.deputy_a), {"station": world.station_a.pk}).status_code == 403
    assert client.post(role_url(leader), {"role": MEMBER}).status_code == 404
    assert client.post(end_url(leader)).status_code == 404
    assert current(world.deputy_a, world.station_a).role == LEADER


@time_machine.travel(datetime.datetime(2026, 3, 15, 10, 0, tzinfo=datetime.UTC), tick=False)
def test_ending_an_assignment_keeps_it_as_history(client_for, world):
    assignment = current(world.deputy_b, world.station_b)
    response = client_for(world.users["city_admin"]).post(end_url(assignment), {"next": "/staff/deputies/"})
    assert response.status_code == 303 and response["Location"] == "/staff/deputies/"
    assignment.refresh_from_db()
    assert assignment.ended_on == datetime.date(2026, 3, 15)
    assert not Assignment.objects.current().filter(deputy=world.deputy_b).exists()
    entry = AuditEntry.objects.get(action="assignment.end")
    assert entry.data["ended_on"] == "2026-03-15"
    detail = client_for(world.users["city_admin"]).get(reverse("deputies:detail", args=[world.deputy_b.pk]))
    assert [a.pk for a in detail.context["history"]] == [assignment.pk]


def test_ending_twice_is_refused(world):
    assignment = current(world.deputy_b, world.station_b)
    services.end_assignment(world.users["city_admin"], assignment)
    with pytest.raises(services.AssignmentError):
        services.end_assignment(world.users["city_admin"], assignment)
    assert AuditEntry.objects.filter(action="assignment.end").count() == 1


def test_unsafe_next_falls_back_to_the_site_group(client_for, world):
    leader = current(world.deputy_a, world.station_a)
    response = client_for(world.users["city_admin"]).post(
        role_url(leader), {"role": MEMBER, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("deputies:station_group", args=[world.station_a.pk])

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from lianxin.accounts.models import AuditEntry, Role
from lianxin.stations import services
from lianxin.stations.models import Station
from lianxin.stations.tests.helpers import edit_data


def url(station):
    return reverse("stations:edit", args=[station.pk])


def test_district_admin_edits_a_site_and_the_audit_keeps_old_and_new(world, client_for):
    user = world.users[Role.DISTRICT_ADMIN]
    data = edit_data(world.station_a, name="坞城街道代表之家", tier="exemplary", facilities=["archive"])
    response = client_for(user).post(url(world.station_a), data)
    assert response.status_code == 302
    world.station_a.refresh_from_db()
    assert world.station_a.name == "坞城街道代表之家"
    assert world.station_a.tier == "exemplary"
    assert world.station_a.facilities == ["archive"]
    entry = AuditEntry.objects.get(action="station.update", target_id=str(world.station_a.pk))
    assert entry.actor == user
    assert entry.data["changes"]["name"] == {"old": "坞城街道人大代表联络站", "new": "坞城街道代表之家"}
    assert entry.data["changes"]["tier"] == {"old": "none", "new": "exemplary"}
    assert set(entry.data["changes"]) == {"name", "tier", "facilities"}


def test_saving_an_unchanged_form_writes_no_audit_entry(world, client_for):
    client_for(world.users[Role.CITY_ADMIN]).post(url(world.station_a), edit_data(world.station_a))
    assert not AuditEntry.objects.filter(action="station.update").exists()


def test_district_admin_of_another_district_gets_404(world, client_for):
    client = client_for(world.outsider)
    assert client.get(url(world.station_a)).status_code == 404
    assert client.post(url(world.station_a), edit_data(world.station_a, name="越权修改")).status_code == 404
    assert client.get(reverse("stations:detail", args=[world.station_a.pk])).status_code == 404
    world.station_a.refresh_from_db()
    assert world.station_a.name == "坞城街道人大代表联络站"


def test_district_admin_cannot_move_a_site_into_another_district(world, client_for):
    response = client_for(world.users[Role.DISTRICT_ADMIN]).post(
        url(world.station_a), edit_data(world.station_a, region=world.street_b.pk)
    )
    assert response.status_code == 200
    assert "region" in response.context["form"].errors
    world.station_a.refresh_from_db()
    assert world.station_a.region == world.street_a


def test_site_manager_edits_its_own_site_but_not_its_region_code_or_tier(world, client_for):
    manager = world.users[Role.SITE_MANAGER]
    client = client_for(manager)
    page = client.get(url(world.station_a))
    assert page.status_code == 200
    assert set(page.context["form"].fields).isdisjoint(services.MANAGER_LOCKED_FIELDS)
    data = edit_data(world.station_a, opening_hours="每天 8:30-18:00", region=world.street_b.pk,
                     code="HIJACK", tier="star")
    assert client.post(url(world.station_a), data).status_code == 302
    world.station_a.refresh_from_db()
    assert world.station_a.opening_hours == "每天 8:30-18:00"
    assert (world.station_a.region, world.station_a.code, world.station_a.tier) == (world.street_a, "S-140105001", "none")
    entry = AuditEntry.objects.get(action="station.update")
    assert set(entry.data["changes"]) == {"opening_hours"}


def test_site_manager_cannot_edit_another_site(world, client_for):
    response = client_for(world.users[Role.SITE_MANAGER]).post(url(world.station_b), edit_data(world.station_b, name="x"))
    assert response.status_code == 404


def test_update_service_refuses_locked_fields_for_a_site_manager(world):
    with pytest.raises(PermissionDenied):
        services.update_station(world.users[Role.SITE_MANAGER], world.station_a, {"region": world.street_b})
    world.station_a.refresh_from_db()
    assert world.station_a.region == world.street_a


def test_deputy_unit_staff_and_auditor_cannot_edit(world, client_for):
    deputy = client_for(world.users[Role.DEPUTY])
    assert deputy.get(reverse("stations:detail", args=[world.station_a.pk])).status_code == 200
    assert deputy.get(url(world.station_a)).status_code == 403
    assert deputy.post(url(world.station_a), edit_data(world.station_a, name="x")).status_code == 403
    for role in (Role.UNIT_STAFF, Role.AUDITOR):
        assert client_for(world.users[role]).get(url(world.station_a)).status_code == 403
    world.station_a.refresh_from_db()
    assert world.station_a.name == "坞城街道人大代表联络站"


def test_bad_input_on_edit_changes_nothing(world, client_for):
    client = client_for(world.users[Role.CITY_ADMIN])
    for changes, field in [({"latitude": "200"}, "latitude"), ({"contact_phone": "abc"}, "contact_phone"),
                           ({"code": world.station_b.code}, "code"), ({"name": ""}, "name")]:
        response = client.post(url(world.station_a), edit_data(world.station_a, **changes))
        assert response.status_code == 200
        assert field in response.context["form"].errors
    fresh = Station.objects.get(pk=world.station_a.pk)
    assert (fresh.code, fresh.name, fresh.contact_phone) == ("S-140105001", "坞城街道人大代表联络站", "0351-1234567")
    assert not AuditEntry.objects.filter(action="station.update").exists()

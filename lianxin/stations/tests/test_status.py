from django.urls import reverse

from lianxin.accounts.models import AuditEntry, Role
from lianxin.stations.models import Station


def deactivate_url(station):
    return reverse("stations:deactivate", args=[station.pk])


def test_deactivation_asks_for_confirmation_then_is_audited(world, client_for):
    user = world.users[Role.DISTRICT_ADMIN]
    client = client_for(user)
    confirm = client.get(deactivate_url(world.station_a))
    assert confirm.status_code == 200
    assert "停用" in confirm.content.decode()
    world.station_a.refresh_from_db()
    assert world.station_a.status == Station.Status.ACTIVE  # GET changes nothing

    response = client.post(deactivate_url(world.station_a), {"reason": "场地改造，暂停使用"})
    assert response.status_code == 302
    world.station_a.refresh_from_db()
    assert world.station_a.status == Station.Status.INACTIVE
    assert world.station_a not in Station.objects.active()
    entry = AuditEntry.objects.get(action="station.deactivate")
    assert entry.actor == user
    assert entry.data == {"status": {"old": "active", "new": "inactive"}, "reason": "场地改造，暂停使用"}


def test_deactivation_without_a_reason_changes_nothing(world, client_for):
    response = client_for(world.users[Role.CITY_ADMIN]).post(deactivate_url(world.station_a), {"reason": "  "})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    world.station_a.refresh_from_db()
    assert world.station_a.status == Station.Status.ACTIVE
    assert not AuditEntry.objects.filter(action="station.deactivate").exists()


def test_reactivation_is_audited(world, client_for):
    Station.objects.filter(pk=world.station_b.pk).update(status=Station.Status.INACTIVE)
    client = client_for(world.outsider)
    response = client.post(reverse("stations:reactivate", args=[world.station_b.pk]), {"reason": "改造完成"})
    assert response.status_code == 302
    world.station_b.refresh_from_db()
    assert world.station_b.status == Station.Status.ACTIVE
    assert AuditEntry.objects.filter(action="station.reactivate", target_id=str(world.station_b.pk)).exists()


def test_site_manager_and_deputy_cannot_change_status(world, client_for):
    for role in (Role.SITE_MANAGER, Role.DEPUTY):
        response = client_for(world.users[role]).post(deactivate_url(world.station_a), {"reason": "x"})
        assert response.status_code == 403
    world.station_a.refresh_from_db()
    assert world.station_a.status == Station.Status.ACTIVE


def test_admin_of_another_district_gets_404(world, client_for):
    response = client_for(world.outsider).post(deactivate_url(world.station_a), {"reason": "x"})
    assert response.status_code == 404
    world.station_a.refresh_from_db()
    assert world.station_a.is_active

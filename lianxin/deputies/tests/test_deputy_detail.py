import datetime

from django.urls import reverse

from lianxin.accounts.models import AuditEntry
from lianxin.deputies.models import Assignment


def detail_url(deputy):
    return reverse("deputies:detail", args=[deputy.pk])


def reveal_url(deputy):
    return reverse("deputies:reveal_phone", args=[deputy.pk])


def test_detail_shows_seats_sites_and_history_with_masked_phone(client_for, world):
    Assignment.objects.create(deputy=world.deputy_a, station=world.point_a, started_on=datetime.date(2022, 1, 1),
                              ended_on=datetime.date(2023, 6, 30))
    response = client_for(world.users["city_admin"]).get(detail_url(world.deputy_a))
    html = response.content.decode()
    assert response.status_code == 200
    assert "138****5678" in html and "13812345678" not in html
    assert [s.term for s in response.context["seats"]] == [16, 17]  # municipal before county
    assert [a.station for a in response.context["current"]] == [world.station_a]
    assert [a.station for a in response.context["history"]] == [world.point_a]
    assert "2023-06-30" in html
    assert "Show full number" in html or "显示完整号码" in html


def test_out_of_scope_deputy_is_404(client_for, world):
    assert client_for(world.outsider).get(detail_url(world.deputy_a)).status_code == 404
    assert client_for(world.users["site_manager"]).get(detail_url(world.deputy_b)).status_code == 404


def test_district_admin_reveal_shows_full_number_and_is_audited(client_for, world):
    admin = world.users["district_admin"]
    response = client_for(admin).post(reveal_url(world.deputy_a))
    assert response.status_code == 200
    assert "13812345678" in response.content.decode()
    entry = AuditEntry.objects.get(action="pii.view")
    assert entry.actor == admin
    assert entry.target_id == str(world.deputy_a.pk)
    assert entry.data == {"field": "phone"}


def test_reveal_by_htmx_returns_only_the_number(client_for, world):
    response = client_for(world.users["city_admin"]).post(reveal_url(world.deputy_b), HTTP_HX_REQUEST="true")
    assert response.content.decode() == '<span data-testid="full-phone">13987654321</span>'
    assert AuditEntry.objects.filter(action="pii.view", target_id=str(world.deputy_b.pk)).count() == 1


def test_non_admins_cannot_reveal(client_for, world):
    for role in ("site_manager", "deputy"):
        client = client_for(world.users[role])
        page = client.get(detail_url(world.deputy_a)).content.decode()
        assert reveal_url(world.deputy_a) not in page
        assert client.post(reveal_url(world.deputy_a)).status_code == 403
    assert not AuditEntry.objects.filter(action="pii.view").exists()


def test_reveal_needs_post_and_scope(client_for, world):
    assert client_for(world.users["city_admin"]).get(reveal_url(world.deputy_a)).status_code == 405
    assert client_for(world.outsider).post(reveal_url(world.deputy_a)).status_code == 404
    assert not AuditEntry.objects.filter(action="pii.view").exists()


def test_site_search_offers_only_active_manageable_sites(client_for, world):
    world.point_a.status = "inactive"
    world.point_a.save()
    response = client_for(world.users["district_admin"]).get(detail_url(world.deputy_a), {"site_q": "联络"})
    # station_a is already the deputy's site, point_a is deactivated, station_b is outside district A
    assert response.context["candidates"] == []
    response = client_for(world.users["city_admin"]).get(detail_url(world.deputy_a), {"site_q": "联络"})
    assert response.context["candidates"] == [world.station_b]

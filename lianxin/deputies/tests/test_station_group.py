from django.urls import reverse

from lianxin.accounts.models import AuditEntry
from lianxin.deputies.models import Assignment, Deputy, Level, Seat


def group_url(station):
    return reverse("deputies:station_group", args=[station.pk])


def test_group_lists_current_deputies_with_levels_and_roles(client_for, world):
    Assignment.objects.create(deputy=world.deputy_b, station=world.station_a)
    response = client_for(world.users["city_admin"]).get(group_url(world.station_a))
    assert response.status_code == 200
    members = response.context["members"]
    assert [(m.deputy, m.role) for m in members] == [(world.deputy_a, "leader"), (world.deputy_b, "member")]
    assert response.context["group_levels"] == [Level.MUNICIPAL, Level.COUNTY]
    assert 'data-testid="single-level"' not in response.content.decode()


def test_single_level_group_is_flagged(client_for, world):
    response = client_for(world.users["city_admin"]).get(group_url(world.station_b))
    assert 'data-testid="single-level"' in response.content.decode()


def test_search_offers_visible_deputies_not_yet_in_the_group(client_for, world):
    newcomer = Deputy.objects.create(name="吴新人", gender="f", home_region=world.street_a)
    Seat.objects.create(deputy=newcomer, level=Level.TOWNSHIP, term=8, constituency=world.street_a)
    response = client_for(world.users["district_admin"]).get(group_url(world.station_a), {"q": "吴"})
    assert response.context["candidates"] == [newcomer]
    assert client_for(world.users["district_admin"]).get(
        group_url(world.station_a), {"q": "李明华"}).context["candidates"] == []
    # deputy_b is in district B: not offered to district A's admin
    assert client_for(world.users["district_admin"]).get(
        group_url(world.station_a), {"q": "赵"}).context["candidates"] == []


def test_add_from_the_site_page(client_for, world):
    newcomer = Deputy.objects.create(name="吴新人", gender="f", home_region=world.street_a)
    response = client_for(world.users["district_admin"]).post(
        reverse("deputies:add_to_group", args=[world.station_a.pk]),
        {"deputy": newcomer.pk, "role": "member", "next": group_url(world.station_a)},
        follow=True,
    )
    assert response.status_code == 200
    assert Assignment.objects.current().filter(deputy=newcomer, station=world.station_a).exists()
    assert AuditEntry.objects.filter(action="assignment.create").count() == 1
    assert newcomer in [m.deputy for m in response.context["members"]]


def test_deputy_sees_its_site_group_without_controls(client_for, world):
    response = client_for(world.users["deputy"]).get(group_url(world.station_a), {"q": "赵"})
    assert response.status_code == 200
    assert response.context["can_manage"] is False
    assert response.context["candidates"] == []
    assert reverse("deputies:end_assignment", args=[response.context["members"][0].pk]) not in (
        response.content.decode())


def test_out_of_scope_site_group_is_404(client_for, world):
    assert client_for(world.outsider).get(group_url(world.station_a)).status_code == 404
    assert client_for(world.users["site_manager"]).get(group_url(world.station_b)).status_code == 404


def test_former_members_are_listed(client_for, world):
    Assignment.objects.filter(deputy=world.deputy_b).update(ended_on="2025-01-31")
    response = client_for(world.users["city_admin"]).get(group_url(world.station_b))
    assert [a.deputy for a in response.context["history"]] == [world.deputy_b]
    assert response.context["members"] == []

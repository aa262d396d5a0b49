from django.urls import reverse

from lianxin.accounts.audit import log_action
from lianxin.accounts.models import Role


def url(station):
    return reverse("stations:detail", args=[station.pk])


def test_detail_shows_fields_deputies_with_levels_and_role_points_and_audit(world, client_for):
    user = world.users[Role.CITY_ADMIN]
    log_action(user, "station.update", world.station_a, {"changes": {}})
    response = client_for(user).get(url(world.station_a))
    assert response.status_code == 200
    page = response.content.decode()
    assert "坞城街道人大代表联络站" in page and "太原市 小店区 坞城街道" in page
    [assignment] = response.context["assignments"]
    assert assignment.deputy == world.deputy_a
    assert assignment.levels == ["市级", "县（区）级"]  # highest level first
    assert "李明华" in page and "组长" in page
    assert list(response.context["points"]) == [world.point_a]
    assert [entry.action for entry in response.context["audit_entries"]] == ["station.update"]
    assert reverse("stations:edit", args=[world.station_a.pk]) in page


def test_deputy_sees_its_site_without_edit_buttons(world, client_for):
    response = client_for(world.users[Role.DEPUTY]).get(url(world.station_a))
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("stations:edit", args=[world.station_a.pk]) not in page
    assert reverse("stations:deactivate", args=[world.station_a.pk]) not in page


def test_site_manager_gets_404_for_a_site_it_does_not_manage(world, client_for):
    assert client_for(world.users[Role.SITE_MANAGER]).get(url(world.station_b)).status_code == 404


def test_detail_query_count_is_bounded(world, client_for, django_assert_max_num_queries):
    client = client_for(world.users[Role.CITY_ADMIN])
    client.get(url(world.station_a))
    with django_assert_max_num_queries(14):
        client.get(url(world.station_a))


def test_group_leaders_are_listed_first(world, client_for):
    from lianxin.deputies.models import Assignment, Deputy

    member = Deputy.objects.create(name="丁一", gender="m")  # sorts before the leader's name
    Assignment.objects.create(deputy=member, station=world.station_a)
    response = client_for(world.users[Role.CITY_ADMIN]).get(url(world.station_a))
    assert [a.deputy for a in response.context["assignments"]] == [world.deputy_a, member]

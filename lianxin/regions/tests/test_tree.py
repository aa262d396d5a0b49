from django.urls import reverse

from lianxin.accounts.models import Role
from lianxin.deputies.models import Assignment, Deputy
from lianxin.testing import make_region, make_station

URL = reverse("regions:list")


def children(response):
    return {region.code: region for region in response.context["branch"].children}


def test_city_admin_opens_at_the_city_with_counts_per_district(world, client_for):
    # deputy_a also at station_b: counted once in the city, once in each district.
    Assignment.objects.create(deputy=world.deputy_a, station=world.station_b)
    response = client_for(world.users[Role.CITY_ADMIN]).get(URL)
    assert response.status_code == 200
    assert response.context["branch"].current == world.city
    rows = children(response)
    assert set(rows) == {"140105", "140106"}
    assert (rows["140105"].site_count, rows["140105"].deputy_count, rows["140105"].child_count) == (2, 1, 1)
    assert (rows["140106"].site_count, rows["140106"].deputy_count) == (1, 2)
    current = response.context["branch"].current
    assert (current.site_count, current.deputy_count) == (3, 2)


def test_district_admin_opens_at_its_district_and_cannot_browse_another(world, client_for):
    client = client_for(world.outsider)
    response = client.get(URL)
    assert response.context["branch"].current == world.district_b
    assert set(children(response)) == {"140106001"}
    assert client.get(reverse("regions:detail", args=[world.district_a.pk])).status_code == 404


def test_breadcrumbs_run_from_the_users_area_down(world, client_for):
    response = client_for(world.users[Role.DISTRICT_ADMIN]).get(reverse("regions:detail", args=[world.street_a.pk]))
    assert response.context["branch"].breadcrumbs == [world.district_a]
    page = response.content.decode()
    assert "坞城社区" in page and "140105001001" in page


def test_other_roles_start_at_the_deployment_root(world, client_for):
    response = client_for(world.users[Role.SITE_MANAGER]).get(URL)
    assert response.context["branch"].current is None
    assert set(children(response)) == {"140000"}
    # Counts are what the site manager may see: its one site and that site's deputy.
    row = children(response)["140000"]
    assert (row.site_count, row.deputy_count) == (1, 1)


def test_search_by_name_or_code_within_the_users_area(world, client_for):
    client = client_for(world.users[Role.DISTRICT_ADMIN])
    found = client.get(URL, {"q": "坞城"}).context["results"]
    assert [r.code for r in found] == ["140105001", "140105001001"]
    assert found[0].display_name == "太原市 小店区 坞城街道"
    assert [r.code for r in client.get(URL, {"q": "140105001001"}).context["results"]] == ["140105001001"]
    assert client.get(URL, {"q": "柳巷"}).context["results"] == []


def test_query_count_does_not_grow_with_children(world, client_for, django_assert_max_num_queries):
    for index in range(30):
        street = make_region(f"140105{100 + index:03d}", f"测试街道{index}", 4, world.district_a)
        station = make_station(f"S-T-{index}", f"测试站{index}", street)
        Assignment.objects.create(deputy=Deputy.objects.create(name=f"代表{index}", gender="m"), station=station)
    client = client_for(world.users[Role.CITY_ADMIN])
    url = reverse("regions:detail", args=[world.district_a.pk])
    client.get(url)
    with django_assert_max_num_queries(8):
        response = client.get(url)
    rows = children(response)
    assert len(rows) == 31
    assert (rows["140105100"].site_count, rows["140105100"].deputy_count) == (1, 1)

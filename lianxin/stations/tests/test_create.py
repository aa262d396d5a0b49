from django.urls import reverse

from lianxin.accounts.models import AuditEntry, Role
from lianxin.stations.models import Station
from lianxin.stations.tests.helpers import station_data

URL = reverse("stations:create")


def test_city_admin_creates_a_station_and_it_is_audited(world, client_for):
    user = world.users[Role.CITY_ADMIN]
    response = client_for(user).post(URL, station_data(world.street_b))
    station = Station.objects.get(code="S-NEW-001")
    assert response.status_code == 302
    assert response["Location"] == reverse("stations:detail", args=[station.pk])
    assert station.region == world.street_b
    assert station.region_path == world.street_b.path
    assert station.facilities == ["reception_room", "opinion_box"]
    entry = AuditEntry.objects.get(action="station.create", target_id=str(station.pk))
    assert entry.actor == user
    assert entry.data["new"]["name"] == "新建人大代表联络站"
    assert entry.data["new"]["latitude"] == "37.812345"


def test_district_admin_creates_a_point_under_its_station(world, client_for):
    data = station_data(world.community_a, code="P-NEW-001", name="新建联络点", kind="point",
                        parent=world.station_a.pk)
    response = client_for(world.users[Role.DISTRICT_ADMIN]).post(URL, data)
    assert response.status_code == 302
    assert Station.objects.get(code="P-NEW-001").parent == world.station_a


def test_district_admin_cannot_create_in_another_district(world, client_for):
    before = Station.objects.count()
    response = client_for(world.outsider).post(URL, station_data(world.street_a))
    assert response.status_code == 200
    assert "region" in response.context["form"].errors
    assert Station.objects.count() == before
    # The picker offers only the admin's own area.
    offered = set(response.context["form"].fields["region"].queryset.values_list("pk", flat=True))
    assert world.street_a.pk not in offered and world.street_b.pk in offered


def test_roles_that_do_not_manage_sites_get_403(world, client_for):
    for role in (Role.SITE_MANAGER, Role.DEPUTY, Role.UNIT_STAFF, Role.AUDITOR):
        client = client_for(world.users[role])
        assert client.get(URL).status_code == 403
        assert client.post(URL, station_data(world.street_a)).status_code == 403
    assert not Station.objects.filter(code="S-NEW-001").exists()


def _rejected(client, data, field):
    before = Station.objects.count()
    response = client.post(URL, data)
    assert response.status_code == 200
    assert Station.objects.count() == before
    errors = response.context["form"].errors
    assert field in errors, errors
    assert not AuditEntry.objects.filter(action="station.create").exists()
    return " ".join(errors[field]), response.content.decode()


def test_missing_required_fields_are_reported_in_chinese(world, client_for):
    client = client_for(world.users[Role.CITY_ADMIN])
    message, page = _rejected(client, station_data(world.street_a, name="", address=""), "name")
    assert message == "这个字段是必填项。"
    assert "address" in client.post(URL, station_data(world.street_a, name="", address="")).context["form"].errors
    assert "未保存任何内容" in page


def test_latitude_out_of_range_is_rejected(world, client_for):
    message, _page = _rejected(client_for(world.users[Role.CITY_ADMIN]), station_data(world.street_a, latitude="200"),
                               "latitude")
    assert "纬度" in message and "-90" in message


def test_coordinates_outside_china_are_rejected(world, client_for):
    client = client_for(world.users[Role.CITY_ADMIN])
    # Swapped latitude and longitude: valid on Earth, not in China.
    message, _page = _rejected(client, station_data(world.street_a, latitude="112.58", longitude="37.81"),
                               "latitude")
    assert "-90" in message
    message, _page = _rejected(client, station_data(world.street_a, latitude="48.85", longitude="2.35"), "longitude")
    assert "超出我国范围" in message


def test_duplicate_code_is_rejected_with_a_clear_message(world, client_for):
    message, _page = _rejected(client_for(world.users[Role.CITY_ADMIN]),
                               station_data(world.street_a, code=world.station_b.code), "code")
    assert message == "该编码已被其他站点使用，请更换编码。"


def test_bad_phone_is_rejected(world, client_for):
    message, _page = _rejected(client_for(world.users[Role.CITY_ADMIN]),
                               station_data(world.street_a, contact_phone="12345"), "contact_phone")
    assert "电话号码" in message


def test_point_must_be_at_village_or_township_level_under_a_station(world, client_for):
    client = client_for(world.users[Role.CITY_ADMIN])
    point = {"code": "P-NEW-002", "kind": "point"}
    message, _page = _rejected(client, station_data(world.district_a, parent=world.station_a.pk, **point), "region")
    assert "联络点" in message
    _rejected(client, station_data(world.community_a, parent="", **point), "parent")
    _rejected(client, station_data(world.community_a, parent=world.station_b.pk, **point), "parent")


def test_a_station_must_not_sit_in_a_village(world, client_for):
    _rejected(client_for(world.users[Role.CITY_ADMIN]), station_data(world.community_a), "region")


def test_form_offers_every_facility_as_a_checkbox(world, client_for):
    page = client_for(world.users[Role.CITY_ADMIN]).get(URL).content.decode()
    assert page.count('type="checkbox" name="facilities"') == 10
    assert "接待室" in page

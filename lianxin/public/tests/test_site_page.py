from lianxin.deputies.models import Assignment, Deputy, Level, Seat
from lianxin.stations.models import Station


def test_site_page_shows_deputies_with_levels_and_leader(client, world):
    Seat.objects.create(deputy=world.deputy_b, level=Level.TOWNSHIP, term=18, constituency=world.street_a)
    Assignment.objects.create(deputy=world.deputy_b, station=world.station_a)
    response = client.get(f"/s/{world.station_a.code}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    members = response.context["page"].members
    # the group leader first; each with their current levels, highest first
    assert [m.deputy for m in members] == [world.deputy_a, world.deputy_b]
    assert members[0].is_leader and not members[1].is_leader
    assert [s.level for s in members[0].seats] == [Level.MUNICIPAL, Level.COUNTY]
    body = response.content.decode()
    assert world.station_a.name in body
    assert f"/d/{world.deputy_a.public_code}/" in body
    assert f"/d/{world.deputy_b.public_code}/" in body


def test_site_page_has_contact_call_link_hours_and_directions(client, world):
    world.station_a.reception_days = "每月第一个星期五 15:00-17:00"
    world.station_a.facilities = ["reception_room", "accessible"]
    world.station_a.save()
    body = client.get(f"/s/{world.station_a.code}/").content.decode()
    assert 'href="tel:03511234567"' in body
    assert "王联络" in body
    assert "周一至周五 9:00-17:00" in body
    assert "每月第一个星期五 15:00-17:00" in body
    assert 'href="geo:37.800000,112.580000?q=37.800000,112.580000(' in body
    assert body.count('class="badge text-bg-light border fw-normal"') == 2  # facilities


def test_exemplary_site_shows_its_tier_badge(client, world):
    world.station_a.tier = Station.Tier.EXEMPLARY
    world.station_a.save()
    response = client.get(f"/s/{world.station_a.code}/")
    assert str(Station.Tier.EXEMPLARY.label) in response.content.decode()
    plain = client.get(f"/s/{world.station_b.code}/")
    assert str(Station.Tier.EXEMPLARY.label) not in plain.content.decode()


def test_site_page_hides_inactive_deputies_and_ended_assignments(client, world):
    extra = Deputy.objects.create(name="钱退休", gender="m", active=False)
    Assignment.objects.create(deputy=extra, station=world.station_b)
    world.deputy_b.assignments.update(ended_on="2024-06-01")
    response = client.get(f"/s/{world.station_b.code}/")
    assert response.context["page"].members == []
    assert "钱退休" not in response.content.decode()


def test_inactive_site_is_not_found(client, world):
    world.station_a.status = Station.Status.INACTIVE
    world.station_a.save()
    assert client.get(f"/s/{world.station_a.code}/").status_code == 404
    assert client.get(f"/s/{world.station_a.code}/qr.svg").status_code == 404
    assert client.get(f"/s/{world.station_a.code}/poster/").status_code == 404


def test_unknown_site_is_not_found(client, world):
    assert client.get("/s/NOPE/").status_code == 404


def test_station_page_links_its_points_and_point_links_its_station(client, world):
    station = client.get(f"/s/{world.station_a.code}/")
    assert station.context["page"].points == [world.point_a]
    point = client.get(f"/s/{world.point_a.code}/").content.decode()
    assert f'href="/s/{world.station_a.code}/"' in point


def test_site_page_query_count_does_not_grow_with_deputies(client, world, django_assert_max_num_queries):
    for i in range(20):
        d = Deputy.objects.create(name=f"代表{i}", gender="f")
        Seat.objects.create(deputy=d, level=Level.TOWNSHIP, term=18, constituency=world.street_a)
        Assignment.objects.create(deputy=d, station=world.station_a)
    with django_assert_max_num_queries(6):
        response = client.get(f"/s/{world.station_a.code}/")
    assert len(response.context["page"].members) == 21


def test_site_page_renders_in_both_languages(client, world):
    zh = client.get(f"/s/{world.station_a.code}/").content.decode()
    assert 'lang="zh-CN"' in zh
    assert "本站代表" in zh
    client.cookies["django_language"] = "en"
    en = client.get(f"/s/{world.station_a.code}/").content.decode()
    assert 'lang="en"' in en
    assert "Deputies at this site" in en
    assert world.station_a.name in en

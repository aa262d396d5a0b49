"""The topic form's searchable choosers: the deputies' JSON search (scoped, limited, logged in only),
the widget's rendering (only the chosen deputies as options, the assets on the page) and validation."""

import datetime

import pytest
from django import forms
from django.urls import reverse

from lianxin.accounts.models import Role
from lianxin.core.widgets import SearchSelect, SearchSelectMultiple
from lianxin.deputies.models import Assignment, Deputy
from lianxin.supervision import services
from lianxin.supervision.models import Topic
from lianxin.testing import make_station

pytestmark = pytest.mark.django_db

SEARCH = "supervision:deputy_search"


def search(client, **params):
    return client.get(reverse(SEARCH), params)


def names(response):
    assert response.status_code == 200, response.content
    return [row["text"] for row in response.json()["results"]]


def at_site(station, *names):
    for name in names:
        deputy = Deputy.objects.create(name=name, gender="f")
        Assignment.objects.create(deputy=deputy, station=station, started_on=datetime.date(2024, 1, 1))


def test_district_admin_never_gets_another_districts_deputy(world, client):
    client.force_login(world.users[Role.DISTRICT_ADMIN])
    assert names(search(client, q="")) == [world.deputy_a.name]
    assert names(search(client, q=world.deputy_a.name[:1])) == [world.deputy_a.name]
    assert names(search(client, q=world.deputy_b.name)) == []  # district B's deputy: not even by full name
    assert names(search(client, q="", region=world.street_a.pk)) == [world.deputy_a.name]
    row = search(client, q="").json()["results"][0]
    assert row == {"value": str(world.deputy_a.pk), "text": world.deputy_a.name, "hint": world.station_a.name}


def test_city_admin_searches_the_city_and_narrows_to_the_topics_area(world, client):
    client.force_login(world.users[Role.CITY_ADMIN])
    assert sorted(names(search(client, q=""))) == sorted([world.deputy_a.name, world.deputy_b.name])
    assert names(search(client, q="", region=world.district_b.pk)) == [world.deputy_b.name]
    assert names(search(client, q=world.deputy_a.name, region=world.district_b.pk)) == []


def test_search_leaves_out_inactive_deputies_and_ended_assignments(world, client):
    at_site(world.station_a, "王一", "王二")
    Deputy.objects.filter(name="王一").update(active=False)
    Assignment.objects.filter(deputy__name="王二").update(ended_on=datetime.date(2025, 1, 1))
    client.force_login(world.users[Role.DISTRICT_ADMIN])
    assert names(search(client, q="王")) == []


def test_search_returns_at_most_twenty_in_name_order(world, client):
    at_site(world.station_a, *[f"王{n:02d}" for n in range(25)])
    client.force_login(world.users[Role.DISTRICT_ADMIN])
    found = names(search(client, q="王"))
    assert found == [f"王{n:02d}" for n in range(20)]
    assert len(names(search(client, q=""))) == 20
    assert names(search(client, q="王24")) == ["王24"]
    assert names(search(client, q="%")) == []  # no wildcard smuggled into the query
    assert names(search(client, q="王" * 500)) == []  # long input: cut, no error


@pytest.mark.parametrize("region", ["abc", "-1", "999999", "district_b", "province"])
def test_search_refuses_a_region_outside_the_area(world, client, english, region):
    client.force_login(world.users[Role.DISTRICT_ADMIN])
    value = getattr(world, region).pk if hasattr(world, region) else region
    response = search(client, q="", region=value)
    assert response.status_code == 400
    assert response.json() == {"error": "Choose your own area or a region within it."}


def test_search_needs_login_and_a_topic_organiser(world, client):
    response = search(client, q="")
    assert response.status_code == 302 and "login" in response["Location"]
    for role in (Role.SITE_MANAGER, Role.DEPUTY, Role.UNIT_STAFF, Role.AUDITOR):
        client.force_login(world.users[role])
        assert search(client, q="").status_code == 403, role


def test_search_answer_is_not_cached(world, client):
    client.force_login(world.users[Role.DISTRICT_ADMIN])
    assert "no-cache" in search(client, q="")["Cache-Control"]


def test_create_page_renders_the_choosers_and_their_assets(world, client):
    at_site(world.station_a, *[f"王{n:02d}" for n in range(30)])
    client.force_login(world.users[Role.DISTRICT_ADMIN])
    body = client.get(reverse("supervision:create")).content.decode()
    for asset in ("vendor/tom-select/tom-select.complete.min.js", "vendor/tom-select/tom-select.bootstrap5.min.css",
                  "lianxin/search-select.js", "lianxin/search-select.css"):
        assert asset in body, asset
    assert body.count("data-search-select") == 2
    assert f'data-search-url="{reverse(SEARCH)}"' in body and 'data-search-forward="region"' in body
    # The sites are all rendered; no deputy is (they are searched), not one of the 31.
    assert f'<option value="{world.station_a.pk}">' in body
    assert "王00" not in body and world.deputy_a.name not in body


def test_assets_only_on_pages_with_a_chooser(world, client, topic):
    client.force_login(world.users[Role.DISTRICT_ADMIN])
    assert "tom-select" not in client.get(reverse("supervision:list")).content.decode()
    assert "tom-select" not in client.get(reverse("supervision:detail", args=[topic.pk])).content.decode()


def test_edit_page_renders_the_chosen_deputies_only(world, client, topic):
    at_site(world.station_a, "王一")
    client.force_login(world.users[Role.DISTRICT_ADMIN])
    body = client.get(reverse("supervision:edit", args=[topic.pk])).content.decode()
    assert f'<option value="{world.deputy_a.pk}" selected>{world.deputy_a.name}</option>' in body
    assert "王一" not in body


def _data(world, **changes):
    data = {"title": "加装电梯", "region": world.district_a.pk, "starts_on": "2027-01-01",
            "ends_on": "2027-06-30", "status": "planned", "stations": [world.station_a.pk],
            "deputies": [world.deputy_a.pk]}
    return data | changes


def test_redisplay_with_errors_keeps_the_chosen_deputies(world, client):
    client.force_login(world.users[Role.DISTRICT_ADMIN])
    response = client.post(reverse("supervision:create"), _data(world, title=""))
    body = response.content.decode()
    assert response.status_code == 200 and Topic.objects.count() == 0
    assert f'<option value="{world.deputy_a.pk}" selected>{world.deputy_a.name}</option>' in body


@pytest.mark.parametrize(("field", "bad", "message"), [
    ("deputies", "deputy_b", "Choose deputies working at sites within the topic’s area."),
    ("stations", "station_b", "Choose active sites within the topic’s area."),
    ("deputies", "junk", "is not a valid value"),
])
def test_out_of_area_choices_get_a_clear_message(world, client, english, field, bad, message):
    client.force_login(world.users[Role.DISTRICT_ADMIN])
    value = "abc" if bad == "junk" else getattr(world, bad).pk
    response = client.post(reverse("supervision:create"), _data(world, **{field: [value]}))
    body = response.content.decode().replace("&#x27;", "’").replace("'", "’")
    assert response.status_code == 200 and message in body
    assert Topic.objects.count() == 0
    assert world.deputy_b.name not in body  # the refused deputy is not offered back


def test_deputy_of_the_admins_area_but_outside_the_topics_area_is_refused(world, client, english):
    """The topic covers street A only; a deputy of district A's other site is refused by the rule."""
    other = make_station("S-140105999", "小店区机关人大代表联络站", world.district_a)
    at_site(other, "王一")
    deputy = Deputy.objects.get(name="王一")
    client.force_login(world.users[Role.DISTRICT_ADMIN])
    assert names(search(client, q="王", region=world.street_a.pk)) == []
    response = client.post(reverse("supervision:create"),
                           _data(world, region=world.street_a.pk, deputies=[deputy.pk]))
    assert response.status_code == 200 and Topic.objects.count() == 0
    assert "Choose deputies working at sites within the topic" in response.content.decode()


def test_services_search_is_scoped_like_the_endpoint(world):
    admin = world.users[Role.DISTRICT_ADMIN]
    assert [r["text"] for r in services.search_deputies(admin, "")] == [world.deputy_a.name]
    assert services.search_deputies(world.users[Role.UNIT_STAFF], "") == []
    assert list(services.deputy_options(admin)) == [world.deputy_a]


class _Pick(forms.Form):
    one = forms.ChoiceField(choices=[("", "—"), ("a", "Alpha"), ("b", "Beta")], required=False,
                            widget=SearchSelect(placeholder="Pick"))
    many = forms.MultipleChoiceField(choices=[("a", "Alpha"), ("b", "Beta")], required=False,
                                     widget=SearchSelectMultiple(search_url="/s/"))


def test_widgets_render_plain_selects_marked_for_the_script(english):
    form = _Pick(data={"one": "b", "many": ["b", "zzz"]})
    one, many = str(form["one"]), str(form["many"])
    assert one.startswith("<select") and "data-search-select" in one and 'data-placeholder="Pick"' in one
    assert "Alpha" in one and "Beta" in one  # no search URL: every option rendered
    assert "multiple" in many and 'data-search-url="/s/"' in many and 'data-placeholder="Type to search…"' in many
    assert "Beta" in many and "Alpha" not in many  # search URL: only the chosen ones
    media = str(form.media)
    assert "tom-select.complete.min.js" in media and "search-select.js" in media and "search-select.css" in media

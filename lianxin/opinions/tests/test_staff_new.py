"""Entering an opinion on a citizen's behalf: similar cases first, then save as new or record-and-merge."""

import pytest
from django.urls import reverse

from lianxin.accounts.models import Role
from lianxin.opinions.models import Opinion, OpinionEvent, Status
from lianxin.opinions.tests import staff_helpers
from lianxin.opinions.tests.staff_helpers import submit

# shared fixtures
category, english, frozen = staff_helpers.category, staff_helpers.english, staff_helpers.frozen

pytestmark = pytest.mark.usefixtures("frozen", "english")
URL = reverse("opinions:new")


def form_data(world, category, **changes):
    data = {
        "channel": "walk_in", "station": world.station_a.pk, "deputy": world.deputy_a.pk, "category": category.pk,
        "urgency": "normal", "title": "楼道灯不亮", "text": "5号楼楼道灯坏了", "citizen_name": "张大妈",
        "citizen_phone": "13700002222", "consent": "on", "idempotency_key": "staff-test-1",
    }
    data.update(changes)
    return data


def test_without_similar_cases_it_saves_and_opens_the_case(world, category, client_for):
    manager = world.users[Role.SITE_MANAGER]
    response = client_for(manager).post(URL, form_data(world, category))
    opinion = Opinion.objects.get()
    assert response.status_code == 302 and response.url == reverse("opinions:detail", args=[opinion.pk])
    assert opinion.channel == "walk_in" and opinion.station == world.station_a and opinion.deputy == world.deputy_a
    assert opinion.citizen_phone == "13700002222" and opinion.status == Status.SUBMITTED
    assert OpinionEvent.objects.get(opinion=opinion).actor == manager


def test_similar_cases_are_shown_before_saving_then_saved_as_new(world, category, client_for):
    existing = submit(category, world.station_a, title="楼道灯坏了", text="5号楼")
    client = client_for(world.users[Role.SITE_MANAGER])
    response = client.post(URL, form_data(world, category))
    assert response.status_code == 200 and Opinion.objects.count() == 1
    assert list(response.context["candidates"]) == [existing]
    assert existing.tracking_code in response.content.decode()
    response = client.post(URL, form_data(world, category, step="save"))
    assert response.status_code == 302 and Opinion.objects.count() == 2
    # a repeated submit (double click, back button) does not create a second case
    client.post(URL, form_data(world, category, step="save"))
    assert Opinion.objects.count() == 2


def test_record_and_merge_into_a_similar_case(world, category, client_for):
    existing = submit(category, world.station_a, title="楼道灯坏了", text="5号楼")
    client = client_for(world.users[Role.SITE_MANAGER])
    response = client.post(URL, form_data(world, category, merge_into=existing.pk))
    new = Opinion.objects.exclude(pk=existing.pk).get()
    assert response.status_code == 302
    assert new.status == Status.MERGED and new.merged_into == existing
    assert Opinion.objects.get(pk=existing.pk).supporters == 1


def test_bad_input_saves_nothing_and_says_why(world, category, client_for):
    client = client_for(world.users[Role.SITE_MANAGER])
    response = client.post(URL, form_data(world, category, citizen_phone="123", consent="", title=""))
    html = response.content.decode()
    assert response.status_code == 200 and Opinion.objects.count() == 0
    assert "Enter a valid phone number" in html and "consent to the privacy notice is required" in html
    # a site that is not the user's own is not accepted either
    response = client.post(URL, form_data(world, category, station=world.station_b.pk, deputy=""))
    assert Opinion.objects.count() == 0 and response.context["form"].errors["station"]
    response = client.post(URL, form_data(world, category, deputy=world.deputy_b.pk))
    assert Opinion.objects.count() == 0 and response.context["form"].errors["deputy"]


def test_units_and_auditors_cannot_enter_opinions(world, client_for):
    for role in (Role.UNIT_STAFF, Role.AUDITOR):
        assert client_for(world.users[role]).get(URL).status_code == 403


def _activity(world, station):
    import datetime

    from django.utils import timezone

    from lianxin.activities import services as activities

    start = timezone.now() - datetime.timedelta(hours=1)
    return activities.create_activity(world.users[Role.DISTRICT_ADMIN] if station == world.station_a
                                      else world.users[Role.CITY_ADMIN], station=station, kind="reception",
                                      title="接待日", starts_at=start, ends_at=start + datetime.timedelta(hours=2))


def test_an_opinion_taken_during_an_activity_links_to_it(world, category, client_for):
    activity = _activity(world, world.station_a)
    client = client_for(world.users[Role.SITE_MANAGER])
    page = client.get(URL, {"activity": activity.pk})
    assert page.status_code == 200
    assert page.context["form"].initial["station"] == world.station_a.pk
    assert page.context["form"].initial["channel"] == "walk_in"
    response = client.post(URL + f"?activity={activity.pk}", form_data(world, category, activity=activity.pk))
    assert response.status_code == 302
    assert Opinion.objects.get().activity == activity


def test_an_activity_of_another_site_or_area_is_refused(world, category, client_for):
    elsewhere = _activity(world, world.station_b)  # another district: not visible to the manager
    client = client_for(world.users[Role.SITE_MANAGER])
    assert "activity" not in client.get(URL, {"activity": elsewhere.pk}).context["form"].initial
    response = client.post(URL, form_data(world, category, activity=elsewhere.pk))
    assert response.status_code == 200 and response.context["form"].errors["activity"]
    assert not Opinion.objects.exists()

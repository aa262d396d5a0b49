"""The campaign's staff pages render for their roles and refuse the others (404 out of scope, 403 by role)."""

from __future__ import annotations

import pytest

from lianxin.campaigns.models import Application, Campaign, Phase
from lianxin.testing import make_station, make_user

from .conftest import at_phase


def _get(client, url):
    return client.get(url)


def test_the_index_lists_campaigns_with_counts(client_for, world, campaign, application, english):
    page = client_for(world.users["city_admin"]).get("/staff/campaigns/")
    text = page.content.decode()
    assert page.status_code == 200
    assert campaign.name in text
    assert "Self-assessment and application" in text
    assert "Draft: 1" in text


def test_a_site_manager_sees_its_sites_with_start_buttons_or_reasons(client_for, world, campaign, english):
    page = client_for(world.users["site_manager"]).get("/staff/campaigns/").content.decode()
    assert world.station_a.name in page
    assert f"/staff/campaigns/{campaign.pk}/start/{world.station_a.pk}/" in page
    with at_phase(campaign, Phase.DISTRICT_REVIEW):
        page = client_for(world.users["site_manager"]).get("/staff/campaigns/").content.decode()
    assert "The application window closed on 2023-08-31." in page
    assert f"/start/{world.station_a.pk}/" not in page


def test_a_site_manager_starts_an_application_through_the_service(client_for, world, campaign):
    client = client_for(world.users["site_manager"])
    response = client.post(f"/staff/campaigns/{campaign.pk}/start/{world.station_a.pk}/")
    created = Application.objects.get(campaign=campaign, station=world.station_a)
    assert response.url == f"/staff/campaigns/applications/{created.pk}/"
    assert created.events.filter(action="created").exists()
    # another district's site is not found; a second start is refused with a message
    assert client.post(f"/staff/campaigns/{campaign.pk}/start/{world.station_b.pk}/").status_code == 404
    client.post(f"/staff/campaigns/{campaign.pk}/start/{world.station_a.pk}/")
    assert Application.objects.filter(campaign=campaign).count() == 1


def test_campaign_detail_shows_the_timeline_and_figures(client_for, world, campaign, application, english):
    for role in ("city_admin", "district_admin", "site_manager", "auditor"):
        page = client_for(world.users[role]).get(f"/staff/campaigns/{campaign.pk}/")
        assert page.status_code == 200, role
    text = page.content.decode()
    assert 'aria-current="step"' in text
    assert "2023-09-20" in text
    assert client_for(world.users["city_admin"]).get("/staff/campaigns/999999/").status_code == 404


@pytest.mark.parametrize("role", ["district_admin", "site_manager", "auditor", "deputy"])
def test_only_the_city_creates_and_edits_campaigns(client_for, world, campaign, role):
    client = client_for(world.users[role])
    assert client.get("/staff/campaigns/new/").status_code == 403
    assert client.get(f"/staff/campaigns/{campaign.pk}/edit/").status_code == 403
    assert client.post(f"/staff/campaigns/{campaign.pk}/final/decide/").status_code == 403


def _campaign_post(campaign, **changes):
    data = {
        "year": 2024, "name": "2024年示范创建", "template": campaign.template_id, "region": campaign.region_id,
        "tier": "exemplary", "quota_stations": 3, "quota_points": 4,
        "application_opens": "2024-08-01", "district_review_opens": "2024-09-01", "audit_opens": "2024-09-20",
        "final_review_opens": "2024-10-20", "publication_on": "2024-11-20",
        "data_from": "2023-08-01", "data_to": "2024-07-31",
        "weight_self": 20, "weight_audit": 50, "weight_platform": 30, "auditors_per_site": 2,
        "auditors_outside_district": "on", "disagreement_points": "10",
    }
    data.update(changes)
    return data


def test_the_city_creates_a_campaign(client_for, world, campaign):
    client = client_for(world.users["city_admin"])
    assert client.get("/staff/campaigns/new/").status_code == 200
    response = client.post("/staff/campaigns/new/", _campaign_post(campaign))
    created = Campaign.objects.get(year=2024)
    assert response.url == f"/staff/campaigns/{created.pk}/"
    assert (created.quota_points, created.weight_audit) == (4, 50)


def test_weights_not_adding_up_are_shown_inline_and_nothing_is_saved(client_for, world, campaign, english):
    client = client_for(world.users["city_admin"])
    response = client.post("/staff/campaigns/new/", _campaign_post(campaign, weight_platform=40))
    assert response.status_code == 400
    assert "The three weights add up to 110; they must add up to 100." in response.content.decode()
    response = client.post("/staff/campaigns/new/", _campaign_post(campaign, audit_opens="2024-08-15"))
    assert "Each phase must open after the previous one." in response.content.decode()
    assert not Campaign.objects.filter(year=2024).exists()


def test_editing_shows_the_service_refusal(client_for, world, campaign, english):
    """The template cannot change once the application phase is open: the service says so, no change."""
    from lianxin.campaigns.models import CriteriaTemplate

    other = CriteriaTemplate.objects.create(family="other", version=1, name="其他标准")
    client = client_for(world.users["city_admin"])
    data = _campaign_post(campaign, year=2023, name=campaign.name, template=other.pk,
                          application_opens="2023-08-01", district_review_opens="2023-09-01",
                          audit_opens="2023-09-20", final_review_opens="2023-10-20", publication_on="2023-11-20",
                          data_from="2022-08-01", data_to="2023-07-31", quota_stations=2, quota_points=2)
    response = client.post(f"/staff/campaigns/{campaign.pk}/edit/", data)
    assert response.status_code == 400
    campaign.refresh_from_db()
    assert campaign.template_id != other.pk
    data["template"] = campaign.template_id
    data["quota_stations"] = 5
    response = client.post(f"/staff/campaigns/{campaign.pk}/edit/", data)
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.quota_stations == 5


def test_nav_entry_per_role(client_for, world, campaign, english):
    page = client_for(world.users["district_admin"]).get("/staff/campaigns/").content.decode()
    assert 'href="/staff/campaigns/"' in page and "Exemplary-site campaigns" in page
    page = client_for(world.users["auditor"]).get(f"/staff/campaigns/{campaign.pk}/").content.decode()
    assert 'href="/staff/audits/"' in page


def test_a_point_campaign_without_station_quota_explains_why(client_for, world, campaign, english):
    campaign.quota_stations = 0
    campaign.save()
    page = client_for(world.users["site_manager"]).get("/staff/campaigns/").content.decode()
    assert "This campaign takes no sites of this kind." in page


def test_another_managers_site_is_not_offered(client_for, world, campaign):
    extra = make_station("S-X", "另一个站", world.street_b)
    make_user("m2", "site_manager", stations=[extra])
    page = client_for(world.users["site_manager"]).get("/staff/campaigns/").content.decode()
    assert extra.name not in page

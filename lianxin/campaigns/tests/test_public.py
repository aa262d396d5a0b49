"""The public list of exemplary sites and the badge on a site's public page."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from lianxin.campaigns.models import Designation
from lianxin.stations.models import Station


@pytest.fixture
def published(world, campaign):
    now = timezone.now()
    campaign.decided_at = campaign.published_at = now
    campaign.save()
    rows = [
        Designation.objects.create(station=world.station_a, campaign=campaign, tier=Station.Tier.EXEMPLARY,
                                   year=2023, certificate_no="SF2023-0001"),
        Designation.objects.create(station=world.point_a, campaign=campaign, tier=Station.Tier.EXEMPLARY,
                                   year=2023, certificate_no="SF2023-0002"),
        Designation.objects.create(station=world.station_b, campaign=campaign, tier=Station.Tier.EXEMPLARY,
                                   year=2023, certificate_no="SF2023-0003"),
    ]
    Station.objects.filter(pk__in=[d.station_id for d in rows]).update(tier=Station.Tier.EXEMPLARY)
    return rows


def test_the_list_shows_current_designations_by_year_and_kind(client, world, published,
                                                               django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        page = client.get(reverse("exemplary:index"))
    assert page.status_code == 200
    html = page.content.decode()
    for site in (world.station_a, world.point_a, world.station_b):
        assert site.name in html
        assert reverse("public:site", args=[site.code]) in html
    assert html.count('data-testid="exemplary-site"') == 3
    assert html.index(world.station_a.name) < html.index(world.point_a.name)  # stations before points
    by_year = client.get(reverse("exemplary:year", args=[2023])).content.decode()
    assert by_year.count('data-testid="exemplary-site"') == 3
    assert client.get(reverse("exemplary:year", args=[2019])).status_code == 404


def test_the_district_filter(client, world, published):
    html = client.get(reverse("exemplary:index"), {"district": world.district_b.code}).content.decode()
    assert world.station_b.name in html and world.station_a.name not in html


def test_withdrawn_and_unpublished_designations_do_not_show(client, world, campaign, published):
    withdrawn = published[0]
    withdrawn.withdrawn_at = timezone.now()
    withdrawn.withdrawn_reason = "复查不合格"
    withdrawn.save()
    html = client.get(reverse("exemplary:index")).content.decode()
    assert world.station_a.name not in html and world.point_a.name in html
    site = client.get(reverse("public:site", args=[world.station_a.code])).content.decode()
    assert 'data-testid="site-designations"' not in site

    campaign.published_at = None
    campaign.save()
    html = client.get(reverse("exemplary:index")).content.decode()
    assert 'data-testid="exemplary-site"' not in html


def test_the_site_page_shows_the_badge(client, world, published, english):
    html = client.get(reverse("public:site", args=[world.point_a.code])).content.decode()
    assert 'data-testid="site-designations"' in html
    assert "named in 2023" in html
    assert reverse("exemplary:year", args=[2023]) in html


def test_the_list_is_phone_first_and_empty_state(client, db, english):
    html = client.get(reverse("exemplary:index")).content.decode()
    assert "No exemplary sites have been published yet." in html
    assert 'name="viewport"' in html


def test_the_years_are_separate(client, world, campaign, published, template):
    from lianxin.campaigns.models import Campaign

    later = Campaign.objects.create(
        year=2024, name="2024", template=template, region=world.city, quota_stations=1,
        application_opens=datetime.date(2024, 8, 1), district_review_opens=datetime.date(2024, 9, 1),
        audit_opens=datetime.date(2024, 9, 20), final_review_opens=datetime.date(2024, 10, 20),
        publication_on=datetime.date(2024, 11, 20), data_from=datetime.date(2023, 8, 1),
        data_to=datetime.date(2024, 7, 31), decided_at=timezone.now(), published_at=timezone.now())
    from lianxin.testing import make_station

    extra = make_station("S-NEW", "新晋示范站", world.street_b)
    Designation.objects.create(station=extra, campaign=later, tier=Station.Tier.EXEMPLARY, year=2024,
                               certificate_no="SF2024-0001")
    html = client.get(reverse("exemplary:year", args=[2024])).content.decode()
    assert "新晋示范站" in html and world.station_a.name not in html
    html = client.get(reverse("exemplary:index")).content.decode()
    assert html.index("新晋示范站") < html.index(world.station_a.name)  # newest year first

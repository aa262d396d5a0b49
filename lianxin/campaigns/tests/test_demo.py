"""The demo campaigns on the small test world (the full demo's figures are checked in lianxin/demo/tests)."""

import datetime

import pytest

from lianxin.campaigns.demo import load_campaigns
from lianxin.campaigns.models import Application, AuditAssignment, Campaign, Designation, Phase
from lianxin.stations.models import Station

from .conftest import move_clock

pytestmark = pytest.mark.django_db


def test_demo_campaign_designates_the_exemplary_sites(world):
    move_clock(datetime.datetime(2026, 11, 29, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8))))
    Station.objects.filter(pk__in=[world.station_a.pk, world.point_a.pk]).update(tier=Station.Tier.EXEMPLARY)
    made = load_campaigns()
    assert made["designated"] == 2
    past = Campaign.objects.get(year=2023)
    assert past.phase() == Phase.PUBLISHED
    assert (past.quota_stations, past.quota_points) == (1, 1)
    assert set(Designation.objects.filter(campaign=past).values_list("station_id", flat=True)) == {
        world.station_a.pk, world.point_a.pk}
    loser = Application.objects.get(campaign=past, station=world.station_b)
    assert loser.designated is False and loser.final_score < Application.objects.get(
        campaign=past, station=world.station_a).final_score
    assert not AuditAssignment.objects.filter(application__campaign=past, status="assigned").exists()
    current = Campaign.objects.get(year=2026)
    assert current.phase() == Phase.AUDIT
    assert AuditAssignment.objects.filter(application__campaign=current, auditor__username="auditor",
                                          status="assigned").exists()
    assert load_campaigns() == {"designated": 0}  # idempotent

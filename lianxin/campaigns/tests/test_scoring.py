"""Score aggregation: percents, weights, auditors' mean, ranking with ties, quotas, disagreement."""

import datetime
from decimal import Decimal

import pytest

from lianxin.activities.models import Activity
from lianxin.campaigns import scoring
from lianxin.campaigns.models import Application, AuditAssignment, PlatformScore
from lianxin.stations.models import Station
from lianxin.testing import make_station, make_user

from .conftest import at, fill_self_scores

pytestmark = pytest.mark.django_db
D = Decimal


def test_rank_competition():
    assert scoring.rank([(1, D(90)), (2, D(80)), (3, D(80)), (4, D(70))]) == {
        1: (1, False), 2: (2, True), 3: (2, True), 4: (4, False)}


def submitted(app, auditor, total):
    return AuditAssignment.objects.create(application=app, auditor=auditor, status="submitted", total=D(total))


def test_components_and_weights(world, campaign):
    app = Application.objects.create(campaign=campaign, station=world.station_a, kind="station",
                                     status=Application.Status.RECOMMENDED)
    fill_self_scores(app, "0.5")  # 36 of 72
    one, two = make_user("aud1", "auditor"), make_user("aud2", "auditor")
    submitted(app, one, "72")
    submitted(app, two, "54")  # mean 63 of 72 = 87.5 %
    AuditAssignment.objects.create(application=app, auditor=world.users["auditor"], total=D(0))  # not submitted
    for month in range(1, 13):  # 24 activities held in 12 months: full points for activities_per_month
        for day in (5, 20):
            year = 2022 if month >= 8 else 2023
            Activity.objects.create(station=world.station_a, kind="visit", title="走访",
                                    starts_at=at(datetime.date(year, month, day)),
                                    ends_at=at(datetime.date(year, month, day), 12), status="held")
    draft = Application.objects.create(campaign=campaign, station=world.point_a, kind="point")
    scoring.refresh(campaign)
    app.refresh_from_db()
    assert app.self_percent == D("50.00")
    assert app.audit_percent == D("87.50")
    assert app.disagreement is True  # 18 points apart, more than 10
    # platform: 5 of 28 automatic points (only activities have data)
    assert app.platform_percent == D("17.86")
    assert app.final_score == (D("0.2") * D(50) + D("0.5") * D("87.5") + D("0.3") * D("17.86")).quantize(D("0.01"))
    assert PlatformScore.objects.filter(application=app).count() == 6
    assert PlatformScore.objects.get(application=app, criterion__metric="activities_per_month").value == D(2)
    assert app.rank == 1 and app.within_quota and not app.tied
    draft.refresh_from_db()
    assert draft.final_score is None and not PlatformScore.objects.filter(application=draft).exists()


def test_ranking_quota_and_ties_per_kind(world, campaign, django_assert_max_num_queries):
    auditor = make_user("aud1", "auditor")
    shares = ["0.9", "0.8", "0.8", "0.5"]
    apps = []
    for index, share in enumerate(shares):
        station = make_station(f"S-X{index}", f"站{index}", world.street_a)
        app = Application.objects.create(campaign=campaign, station=station, kind="station",
                                         status=Application.Status.RECOMMENDED)
        fill_self_scores(app, share)
        submitted(app, auditor, D(72) * D(share))
        apps.append(app)
    returned = Application.objects.create(campaign=campaign, station=world.station_b, kind="station",
                                          status=Application.Status.NOT_RECOMMENDED)
    fill_self_scores(returned, "1")
    point = Application.objects.create(campaign=campaign, station=world.point_a, kind=Station.Kind.POINT,
                                       status=Application.Status.RECOMMENDED)
    with django_assert_max_num_queries(16):
        scoring.refresh(campaign)
    ranks = {a.pk: (a.rank, a.tied, a.within_quota) for a in Application.objects.filter(campaign=campaign)}
    # quota of stations is 2: the tie for second place puts three within the quota (decide refuses it)
    assert [ranks[a.pk] for a in apps] == [(1, False, True), (2, True, True), (2, True, True), (4, False, False)]
    assert ranks[returned.pk] == (None, False, False)
    assert ranks[point.pk] == (1, False, True)
    apps[2].override = Application.Override.EXCLUDE
    assert apps[2].decided_in is False


def test_refresh_queries_do_not_grow(world, campaign, django_assert_max_num_queries):
    for index in range(12):
        station = make_station(f"S-Y{index}", f"站{index}", world.street_a)
        app = Application.objects.create(campaign=campaign, station=station, kind="station",
                                         status=Application.Status.SUBMITTED)
        fill_self_scores(app, "0.5")
    with django_assert_max_num_queries(16):
        scoring.refresh(campaign)

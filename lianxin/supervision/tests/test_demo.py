"""The demo loader of supervision: one published topic in 小店区 with recommendations in progress."""

import datetime

import pytest
from django.utils import timezone

from lianxin.activities.models import Activity
from lianxin.opinions import notify
from lianxin.opinions.models import Opinion, Status
from lianxin.supervision.demo import FINDINGS, TITLE, load_supervision
from lianxin.supervision.models import Milestone, Topic

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime.datetime(2027, 6, 15, 12, 0))


def held_visit(world, days_ago):
    at = NOW - datetime.timedelta(days=days_ago)
    return Activity.objects.create(station=world.station_a, kind="supervision", title="主题监督视察",
                                   starts_at=at, ends_at=at + datetime.timedelta(hours=2),
                                   status=Activity.Status.HELD, minutes="纪要")


def test_load_supervision(world):
    old = held_visit(world, 400)  # last year: outside the topic's period, left alone
    recent = held_visit(world, 90)
    held = Activity.objects.filter(status=Activity.Status.HELD).count()
    with notify.muted():
        topic = load_supervision(now=NOW)
    assert topic.title == TITLE and topic.published and topic.status == Topic.Status.ACTIVE
    assert topic.region == world.district_a and list(topic.stations.all()) == [world.station_a]
    assert list(topic.deputies.all()) == [world.deputy_a]
    assert topic.starts_on == datetime.date(2027, 1, 1) and topic.ends_on == datetime.date(2027, 12, 31)
    assert Activity.objects.filter(status=Activity.Status.HELD).count() == held  # no held activity added
    assert list(topic.activities.all()) == [recent] and old.recommendations.count() == 0
    recs = list(topic.recommendations.select_related("opinion").order_by("id"))
    assert len(recs) == len(FINDINGS)
    assert all(r.opinion.channel == "supervision" and r.opinion.unit == world.unit_a for r in recs)
    assert recs[0].progress == 100 and recs[0].opinion.status == Status.REPLIED
    assert [r.progress for r in recs] == [100, 80, 55, 40, 20, 0]
    assert all(r.opinion.status == Status.TRANSFERRED for r in recs[1:])
    assert topic.progress == round(sum(r.progress for r in recs) / len(recs))
    assert all(r.visit_id == recent.pk for r in recs)
    # Idempotent: a second run adds nothing.
    counts = (Topic.objects.count(), Opinion.objects.count(), Milestone.objects.count())
    with notify.muted():
        assert load_supervision(now=NOW).pk == topic.pk
    assert (Topic.objects.count(), Opinion.objects.count(), Milestone.objects.count()) == counts


def test_without_held_visits_plans_future_ones(world):
    with notify.muted():
        topic = load_supervision(now=NOW)
    visits = list(topic.activities.all())
    assert visits and all(v.status == Activity.Status.PLANNED and v.starts_at > NOW for v in visits)
    assert not Activity.objects.filter(status=Activity.Status.HELD).exists()

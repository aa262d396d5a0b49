"""The duty record's figures, counted in the test and compared with what the platform computes."""

import datetime

from lianxin.performance.models import DeclaredItem, ItemKind
from lianxin.performance.record import period, tally

from .helpers import activity, attend, opinion, recommendation, topic

D = datetime.date


def test_figures_match_counts_made_here(world):
    a, b = world.deputy_a, world.deputy_b
    # deputy A: 2 receptions (one 90 min), a training, a consultation session, a supervision visit;
    # an absence; a cancelled and a planned activity (not counted) and one of last year (not counted).
    r1 = activity(world.station_a, D(2026, 1, 9), citizens=12)
    r2 = activity(world.station_a, D(2026, 2, 13), citizens=8)
    training = activity(world.station_a, D(2026, 3, 3), kind="training")
    session = activity(world.station_a, D(2026, 3, 20), kind="legislation")
    visit = activity(world.station_a, D(2026, 4, 2), kind="supervision")
    missed = activity(world.station_a, D(2026, 4, 10), kind="publicity")
    cancelled = activity(world.station_a, D(2026, 4, 11), status="cancelled")
    planned = activity(world.station_a, D(2026, 6, 1), status="planned")
    last_year = activity(world.station_a, D(2025, 12, 30))
    for act, minutes in ((r1, 90), (r2, 60), (training, None), (session, None), (visit, 30)):
        attend(act, a, minutes=minutes)
    attend(missed, a, attended=False)
    attend(cancelled, a)
    attend(planned, a)
    attend(last_year, a)
    attend(r1, b, attended=False, expected=False)  # not expected: no absence
    # opinions: 3 with A (one replied, one closed, one rejected = not counted), one with B
    opinion(world, a, status="accepted")
    opinion(world, a, status="replied")
    opinion(world, a, status="closed")
    opinion(world, a, status="rejected")
    opinion(world, b, station=world.station_b)
    found = topic(world, [a])
    recommendation(world, found, visit, a)  # its case is a 4th counted opinion with A
    topic(world, [a], starts=D(2025, 1, 1), ends=D(2025, 6, 1))  # last year: not counted
    DeclaredItem.objects.create(deputy=a, kind=ItemKind.MEETING, done_on=D(2026, 2, 1), title="x",
                                evidence_text="e", status=DeclaredItem.Status.APPROVED)
    DeclaredItem.objects.create(deputy=a, kind=ItemKind.MEETING, done_on=D(2026, 2, 2), title="y",
                                evidence_text="e", status=DeclaredItem.Status.PENDING)
    DeclaredItem.objects.create(deputy=a, kind=ItemKind.VOTER_VISIT, done_on=D(2026, 2, 3), title="z",
                                evidence_text="e", status=DeclaredItem.Status.REJECTED, reason="no")

    figures = tally([a.pk, b.pk], *period(2026))
    fa, fb = figures[a.pk], figures[b.pk]
    assert fa.count(ItemKind.ACTIVITY) == 5 and fa.site_visits == 5
    assert fa.count(ItemKind.RECEPTION) == 2
    assert fa.count(ItemKind.TRAINING) == 1
    assert fa.count(ItemKind.CONSULTATION) == 1
    assert fa.count(ItemKind.ABSENCE) == 1
    assert fa.minutes_at_sites == 90 + 60 + 30
    assert fa.count(ItemKind.OPINION) == 4 and fa.count(ItemKind.OPINION_FOLLOWED) == 2
    assert fa.count(ItemKind.SUPERVISION) == 1 and fa.count(ItemKind.RECOMMENDATION) == 1
    assert fa.count(ItemKind.MEETING) == 1 and fa.count(ItemKind.VOTER_VISIT) == 0
    # workload at A's site: its 4 counted opinions there; citizens at held activities there
    assert fa.opinions_received == 4 and fa.citizens_served == 20
    assert fb.count(ItemKind.ACTIVITY) == 0 and fb.count(ItemKind.ABSENCE) == 0
    assert fb.count(ItemKind.OPINION) == 1 and fb.opinions_received == 1
    # the year to the end of Q1 holds only the first quarter's items
    q1 = tally([a.pk], *period(2026, 1))[a.pk]
    assert q1.count(ItemKind.ACTIVITY) == 4 and q1.count(ItemKind.ABSENCE) == 0


def test_tally_makes_the_same_number_of_queries_for_many_deputies(world, django_assert_max_num_queries):
    from lianxin.deputies.models import Deputy

    many = [Deputy.objects.create(name=f"代表{i}", gender="m") for i in range(30)]
    for deputy in many[:10]:
        attend(activity(world.station_a, D(2026, 1, 5 + many.index(deputy) % 20)), deputy)
    with django_assert_max_num_queries(8):
        tally([d.pk for d in many] + [world.deputy_a.pk], *period(2026))

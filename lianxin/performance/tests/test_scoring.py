"""Scores from the configured rules: caps, absences, grades at the thresholds, a rule change recomputes."""

import datetime
from decimal import Decimal

import pytest

from lianxin.accounts.models import AuditEntry
from lianxin.performance import scoring
from lianxin.performance.models import Grade, RecomputeRun, RuleSet, Score
from lianxin.performance.record import Figures

from .helpers import activity, attend, rules

D = datetime.date


def figures(**counts):
    found = Figures()
    for kind, n in counts.items():
        found.counts[kind] = n
    return found


@pytest.mark.parametrize(("total", "grade"), [
    ("80", Grade.GOOD), ("79.99", Grade.FAIR), ("60", Grade.FAIR), ("59.99", Grade.POOR), ("100", Grade.GOOD),
])
def test_grades_at_the_thresholds(db, total, grade):
    ruleset = rules(base_score=Decimal(total), points={}, caps={}, absence_penalty=Decimal("0"))
    assert scoring.score(Figures(), ruleset).grade == grade


def test_points_per_kind_are_capped_and_absences_cost_points(db):
    ruleset = rules(base_score=Decimal("50"), points={"activity": 2, "reception": 3}, caps={"activity": 10},
                    absence_penalty=Decimal("4"), absence_cap=Decimal("6"))
    result = scoring.score(figures(activity=8, reception=2, absence=3), ruleset)
    assert result.points == {"activity": 10.0, "reception": 6.0, "absence": -6.0}
    assert result.total == Decimal("60.00") and result.grade == Grade.FAIR


def test_the_total_is_never_below_zero(db):
    ruleset = rules(base_score=Decimal("2"), absence_penalty=Decimal("5"), absence_cap=None)
    assert scoring.score(figures(absence=3), ruleset).total == Decimal("0")


def test_refresh_writes_the_year_and_the_quarters_so_far(world):
    ruleset = rules(base_score=Decimal("60"), points={"activity": 5}, caps={})
    attend(activity(world.station_a, D(2026, 2, 1)), world.deputy_a)
    attend(activity(world.station_a, D(2026, 4, 20)), world.deputy_a)
    scoring.refresh_year(2026, [world.deputy_a.pk, world.deputy_b.pk], ruleset)
    rows = {(s.deputy_id, s.quarter): s for s in Score.objects.all()}
    assert len(rows) == 2 * 3  # year + Q1 + Q2 (today is in May), for two deputies
    assert rows[(world.deputy_a.pk, None)].total == Decimal("70.00")
    assert rows[(world.deputy_a.pk, 1)].total == Decimal("65.00")
    assert rows[(world.deputy_a.pk, None)].earned == Decimal("10.00")
    assert rows[(world.deputy_b.pk, None)].total == Decimal("60.00")
    scoring.refresh_year(2026, [world.deputy_a.pk], ruleset)  # idempotent: rows replaced, not added
    assert Score.objects.count() == 6


def test_a_rule_change_recomputes_the_scores(client_for, world, english, django_capture_on_commit_callbacks):
    first = scoring.current_rules()
    for day in (D(2026, 1, 9), D(2026, 2, 13), D(2026, 3, 13)):
        attend(activity(world.station_a, day), world.deputy_a)
    with django_capture_on_commit_callbacks(execute=True):
        run = scoring.start_recompute()
    run.refresh_from_db()
    assert run.status == RecomputeRun.Status.DONE and run.done == run.total > 0
    before = Score.objects.get(deputy=world.deputy_a, year=2026, quarter=None)
    assert before.rule_version == first.version

    client = client_for(world.users["city_admin"])
    form = client.get("/staff/performance/rules/edit/").context["form"]
    data = {name: ("" if value is None else value) for name, value in form.initial.items()}
    data.update({"base_score": "50", "points_reception": "10", "cap_reception": "", "note": "more for receptions"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/staff/performance/rules/edit/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    latest = RuleSet.objects.order_by("-version").first()
    assert latest.version == first.version + 1 and latest.points["reception"] == 10.0
    after = Score.objects.get(deputy=world.deputy_a, year=2026, quarter=None)
    assert after.rule_version == latest.version
    assert after.total == before.total - 10 + 3 * (10 - 3)  # base 60 → 50; reception 3 → 10 points each
    assert AuditEntry.objects.filter(action="performance.rules").count() == 1


def test_bad_rules_change_nothing(client_for, world, english):
    scoring.current_rules()
    client = client_for(world.users["city_admin"])
    form = client.get("/staff/performance/rules/edit/").context["form"]
    data = {name: ("" if value is None else value) for name, value in form.initial.items()}
    data.update({"good_from": "50", "fair_from": "60", "points_activity": "-1", "note": "bad"})
    count = RuleSet.objects.count()
    response = client.post("/staff/performance/rules/edit/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "must be above" in page and "greater than or equal to 0" in page
    assert RuleSet.objects.count() == count and RecomputeRun.objects.count() == 0


@pytest.mark.parametrize("role", ["district_admin", "site_manager", "deputy"])
def test_only_the_city_admin_edits_the_rules(client_for, world, role):
    client = client_for(world.users[role])
    assert client.get("/staff/performance/rules/edit/").status_code == 403
    assert client.post("/staff/performance/recompute/").status_code == 403
    assert client.get("/staff/performance/rules/").status_code == 200


def test_recompute_on_demand_shows_progress(client_for, world, django_capture_on_commit_callbacks):
    client = client_for(world.users["city_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/staff/performance/recompute/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'data-testid="recompute-status"' in response.content.decode()
    run = RecomputeRun.objects.get()
    assert run.status == RecomputeRun.Status.DONE  # huey runs immediately under pytest
    assert Score.objects.filter(year=2026, quarter=None).count() == 2
    status = client.get(f"/staff/performance/recompute/{run.pk}/").content.decode()
    assert "every 1s" not in status
    assert AuditEntry.objects.filter(action="performance.recompute").count() == 1


def test_mid_year_warning_once_to_the_deputy_and_its_site_managers(world, english):
    from lianxin.opinions.models import Notification

    rules(min_site_visits=12)
    attend(activity(world.station_a, D(2026, 3, 1)), world.deputy_a)
    for n in range(8):
        attend(activity(world.station_b, D(2026, 1, 5) + datetime.timedelta(days=7 * n)), world.deputy_b)
    assert scoring.warn_behind_pace(D(2026, 6, 30)) == 0  # before July: nothing
    assert scoring.expected_visits(scoring.current_rules(), D(2026, 7, 1)) == 5
    assert scoring.warn_behind_pace(D(2026, 7, 1)) == 1  # A has 1 < 5; B has 8
    notes = Notification.objects.all()
    assert {n.user.username for n in notes} == {"deputy", "manager"}
    assert "has made 1 site visits" in notes[0].message
    assert scoring.warn_behind_pace(D(2026, 8, 1)) == 0  # once a year
    assert Notification.objects.count() == 2

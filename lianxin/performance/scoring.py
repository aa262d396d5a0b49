"""Scores from the rules in force: one deputy's points, the roll-up refresh, and the mid-year pace warning."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from lianxin.core import clock

from .models import POSITIVE_KINDS, ItemKind, PaceWarning, RecomputeRun, RuleSet, Score, default_rules
from .record import Figures, period, tally

CHUNK = 500
TWO = Decimal("0.01")


def current_rules() -> RuleSet:
    """The rule set in force (the highest version); the defaults are saved as version 1 when none exists."""
    rules = RuleSet.objects.order_by("-version").first()
    if rules is None:
        rules, _created = RuleSet.objects.get_or_create(version=1, defaults={**default_rules(),
                                                                            "note": "default"})
    return rules


@dataclass
class Result:
    points: dict[str, float]
    total: Decimal
    grade: str


def score(figures: Figures, rules: RuleSet) -> Result:
    """Base score, plus points per item capped per kind, minus absences (capped); never below zero."""
    points: dict[str, float] = {}
    for kind in POSITIVE_KINDS:
        count = figures.count(kind)
        per_item = Decimal(str(rules.points.get(kind, 0) or 0))
        if not count or not per_item:
            continue
        value = per_item * count
        cap = rules.caps.get(kind)
        if cap is not None and cap != "":
            value = min(value, Decimal(str(cap)))
        points[kind] = float(value.quantize(TWO))
    absences = figures.count(ItemKind.ABSENCE)
    if absences and rules.absence_penalty:
        off = rules.absence_penalty * absences
        if rules.absence_cap is not None:
            off = min(off, rules.absence_cap)
        points[ItemKind.ABSENCE] = float(-off.quantize(TWO))
    total = rules.base_score + sum((Decimal(str(v)) for v in points.values()), Decimal("0"))
    total = max(total, Decimal("0")).quantize(TWO)
    return Result(points, total, rules.grade(total))


def refresh_year(year: int, deputy_ids: list[int], rules: RuleSet, quarters: bool = True) -> int:
    """Recompute the year's row (and the year-to-date rows of its quarters) of these deputies."""
    now = clock.now()
    today = clock.today()
    periods: list[int | None] = [None]
    if quarters:
        periods += [q for q in (1, 2, 3, 4) if datetime.date(year, 3 * q - 2, 1) <= today]
    rows: list[Score] = []
    for quarter in periods:
        start, end = period(year, quarter)
        for deputy_id, figures in tally(deputy_ids, start, end).items():
            result = score(figures, rules)
            rows.append(Score(
                deputy_id=deputy_id, year=year, quarter=quarter, counts=dict(figures.counts),
                points=result.points, total=result.total, earned=result.total - rules.base_score,
                grade=result.grade, site_visits=figures.site_visits,
                opinions_received=figures.opinions_received, citizens_served=figures.citizens_served,
                rule_version=rules.version, computed_at=now))
    with transaction.atomic():
        # Replace, not update: a period's rows for these deputies are rewritten as one unit.
        Score.objects.filter(year=year, deputy_id__in=deputy_ids).delete()
        Score.objects.bulk_create(rows)
    return len(rows)


def years_to_refresh() -> list[int]:
    this_year = clock.today().year
    years = set(Score.objects.values_list("year", flat=True).distinct())
    years.add(this_year)
    return sorted(years)


def start_recompute(user: Any = None, years: list[int] | None = None) -> RecomputeRun:
    """Queue a recomputation of every deputy's scores (the task reports progress on the run row)."""
    run = RecomputeRun.objects.create(years=years or years_to_refresh(), requested_by=user)
    from . import tasks

    run_pk = run.pk
    transaction.on_commit(lambda: tasks.recompute_scores(run_pk))
    return run


def run_recompute(run_id: int) -> None:
    """The task's body: every active deputy, in chunks, for each year of the run; progress as it goes."""
    from lianxin.deputies.models import Deputy

    if not RecomputeRun.objects.filter(pk=run_id, status=RecomputeRun.Status.PENDING).update(
            status=RecomputeRun.Status.RUNNING):
        return
    run = RecomputeRun.objects.get(pk=run_id)
    rules = current_rules()
    ids = list(Deputy.objects.filter(active=True).order_by("pk").values_list("pk", flat=True))
    RecomputeRun.objects.filter(pk=run_id).update(total=len(ids) * len(run.years), rule_version=rules.version)
    done = 0
    try:
        for year in run.years:
            for index in range(0, len(ids), CHUNK):
                chunk = ids[index:index + CHUNK]
                refresh_year(int(year), chunk, rules)
                done += len(chunk)
                RecomputeRun.objects.filter(pk=run_id).update(done=done)
    except Exception:
        RecomputeRun.objects.filter(pk=run_id).update(status=RecomputeRun.Status.FAILED, finished_at=clock.now())
        raise
    RecomputeRun.objects.filter(pk=run_id).update(status=RecomputeRun.Status.DONE, finished_at=clock.now())


# ---- the mid-year warning -----------------------------------------------------------------------


def expected_visits(rules: RuleSet, day: datetime.date) -> int:
    """Visits a deputy should have made by ``day`` to be on the minimum's pace (rounded down)."""
    start = datetime.date(day.year, 1, 1)
    length = (datetime.date(day.year + 1, 1, 1) - start).days
    return int(rules.min_site_visits * ((day - start).days + 1) / length)


def warn_behind_pace(day: datetime.date | None = None) -> int:
    """From July on, warn each deputy behind the pace (and the managers of its sites), once a year.

    Returns the number of deputies warned. Notices are in-app (the opinions app's ``Notification``),
    written in each recipient's language.
    """
    from lianxin.accounts.models import Role, User
    from lianxin.deputies.models import Assignment, Deputy
    from lianxin.opinions.models import Notification
    from lianxin.opinions.notify import user_language

    day = day or clock.today()
    if day.month < 7:
        return 0
    rules = current_rules()
    expected = expected_visits(rules, day)
    if expected <= 0:
        return 0
    already = PaceWarning.objects.filter(year=day.year).values("deputy_id")
    ids = list(Deputy.objects.filter(active=True).exclude(pk__in=already).values_list("pk", flat=True))
    behind: dict[int, int] = {}
    for index in range(0, len(ids), CHUNK):  # bounded IN lists at national scale
        figures = tally(ids[index:index + CHUNK], datetime.date(day.year, 1, 1), day + datetime.timedelta(days=1))
        behind.update({pk: f.site_visits for pk, f in figures.items() if f.site_visits < expected})
    if not behind:
        return 0
    names = dict(Deputy.objects.filter(pk__in=behind).values_list("pk", "name"))
    recipients: dict[int, list[User]] = {pk: [] for pk in behind}
    for user in User.objects.filter(role=Role.DEPUTY, deputy_id__in=behind, is_active=True):
        recipients[user.deputy_id].append(user)  # type: ignore[index]
    sites = Assignment.objects.current().filter(deputy_id__in=behind)
    for deputy_id, manager in {(a.deputy_id, m) for a in sites.prefetch_related("station__managers")
                               for m in a.station.managers.all() if m.is_active}:
        recipients[deputy_id].append(manager)
    notes: list[Notification] = []
    warnings: list[PaceWarning] = []
    for deputy_id, visits in behind.items():
        warnings.append(PaceWarning(deputy_id=deputy_id, year=day.year, visits=visits, expected=expected))
        for user in recipients[deputy_id]:
            with translation.override(user_language(user)):
                message = gettext(
                    "%(name)s has made %(visits)d site visits this year; %(expected)d are expected by now "
                    "to reach the minimum of %(minimum)d a year.") % {
                        "name": names[deputy_id], "visits": visits, "expected": expected,
                        "minimum": rules.min_site_visits}
            notes.append(Notification(user=user, message=message[:300]))
    with transaction.atomic():
        PaceWarning.objects.bulk_create(warnings, ignore_conflicts=True)
        Notification.objects.bulk_create(notes)
    return len(behind)

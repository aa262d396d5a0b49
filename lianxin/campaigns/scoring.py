"""The cached score components and the ranking of a campaign's applications.

``refresh(campaign)`` recomputes, in a fixed number of queries whatever the number of applications:

* ``PlatformScore`` rows of every automatic item for every non-draft application (the figures of all the
  sites at once, one query per figure);
* ``self_percent`` — the manual items' self-scores as a percentage of their maximum;
* ``audit_percent`` — the mean of the submitted auditors' totals as a percentage of the same maximum;
* ``platform_percent`` — the automatic items' points as a percentage of their maximum;
* ``final_score`` — the three weighed by the campaign's weights (a missing component counts 0);
* per kind, among recommended applications: competition ranking (1, 2, 2, 4) by final score, ``tied``,
  ``within_quota`` (rank ≤ quota) and ``disagreement`` (auditors' totals differ by more than the
  campaign's ``disagreement_points``)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Sum

from lianxin.core import clock

from . import metrics
from .models import Application, AuditAssignment, Campaign, Criterion, PlatformScore, SelfScore

HUNDRED = Decimal(100)
CENTS = Decimal("0.01")


def _percent(part: Decimal | None, whole: Decimal) -> Decimal | None:
    if part is None or not whole:
        return None
    return (Decimal(part) * HUNDRED / whole).quantize(CENTS, ROUND_HALF_UP)


def weighted(campaign: Campaign, self_percent: Decimal | None, audit_percent: Decimal | None,
             platform_percent: Decimal | None) -> Decimal:
    total = (Decimal(campaign.weight_self) * (self_percent or 0) + Decimal(campaign.weight_audit) * (audit_percent or 0)
             + Decimal(campaign.weight_platform) * (platform_percent or 0))
    return (total / HUNDRED).quantize(CENTS, ROUND_HALF_UP)


def rank(values: list[tuple[int, Decimal]]) -> dict[int, tuple[int, bool]]:
    """Competition ranking (1, 2, 2, 4) of (key, score), highest first: key → (rank, tied)."""
    ordered = sorted(values, key=lambda kv: (-kv[1], kv[0]))
    counts: dict[Decimal, int] = {}
    for _key, score in ordered:
        counts[score] = counts.get(score, 0) + 1
    result: dict[int, tuple[int, bool]] = {}
    previous: Decimal | None = None
    current = 0
    for position, (key, score) in enumerate(ordered, start=1):
        if score != previous:
            current, previous = position, score
        result[key] = (current, counts[score] > 1)
    return result


def refresh(campaign: Campaign) -> None:
    """Recompute the cached components and the ranking; nothing once the campaign is decided (the ranking
    the decision was taken on stays as it was)."""
    if campaign.decided_at is not None:
        return
    with transaction.atomic():
        _refresh(campaign)


def _refresh(campaign: Campaign) -> None:
    S = Application.Status
    applications = list(Application.objects.filter(campaign=campaign).exclude(status=S.DRAFT)
                        .only("id", "station_id", "kind", "status", "override"))
    if not applications:
        return
    criteria = list(Criterion.objects.filter(dimension__template_id=campaign.template_id))
    manual_max = sum((c.max_points for c in criteria if not c.is_automatic), Decimal(0))
    automatic = [c for c in criteria if c.is_automatic]
    automatic_max = sum((c.max_points for c in automatic), Decimal(0))
    ids = [a.pk for a in applications]
    station_ids = sorted({a.station_id for a in applications})

    self_sums = dict(SelfScore.objects.filter(application_id__in=ids, criterion__kind=Criterion.Kind.MANUAL)
                     .values("application_id").order_by().annotate(total=Sum("points"))
                     .values_list("application_id", "total"))
    totals: dict[int, list[Decimal]] = {}
    for app_id, total in AuditAssignment.objects.filter(
            application_id__in=ids, status=AuditAssignment.Status.SUBMITTED, total__isnull=False,
    ).values_list("application_id", "total"):
        if total is not None:
            totals.setdefault(app_id, []).append(total)

    now = clock.now()
    platform_sums: dict[int, Decimal] = {}
    rows = []
    by_metric: dict[str, dict[int, Decimal | None]] = {}
    for criterion in automatic:
        if criterion.metric not in by_metric:
            by_metric[criterion.metric] = metrics.compute(criterion.metric, station_ids, campaign.data_from,
                                                          campaign.data_to)
        values = by_metric[criterion.metric]
        for application in applications:
            value = values.get(application.station_id)
            points = metrics.points(criterion.max_points, value, criterion.target)
            platform_sums[application.pk] = platform_sums.get(application.pk, Decimal(0)) + points
            rows.append(PlatformScore(application_id=application.pk, criterion=criterion, value=value,
                                      points=points, computed_at=now))
    if rows:
        PlatformScore.objects.bulk_create(rows, update_conflicts=True, unique_fields=["application", "criterion"],
                                          update_fields=["value", "points", "computed_at"], batch_size=500)

    for application in applications:
        audits = totals.get(application.pk, [])
        application.self_percent = _percent(self_sums.get(application.pk), manual_max)
        mean = sum(audits, Decimal(0)) / len(audits) if audits else None
        application.audit_percent = _percent(mean, manual_max)
        application.platform_percent = _percent(platform_sums.get(application.pk, Decimal(0)) if automatic
                                                else None, automatic_max)
        application.final_score = weighted(campaign, application.self_percent, application.audit_percent,
                                           application.platform_percent)
        application.disagreement = bool(len(audits) > 1
                                        and max(audits) - min(audits) > campaign.disagreement_points)
        application.rank, application.tied, application.within_quota = None, False, False

    for kind in {a.kind for a in applications}:
        ranked = [a for a in applications if a.kind == kind and a.status == S.RECOMMENDED]
        places = rank([(a.pk, a.final_score or Decimal(0)) for a in ranked])
        quota = campaign.quota(kind)
        for application in ranked:
            application.rank, application.tied = places[application.pk]
            application.within_quota = application.rank <= quota
    Application.objects.bulk_update(applications, ["self_percent", "audit_percent", "platform_percent",
                                                   "final_score", "disagreement", "rank", "tied", "within_quota"],
                                    batch_size=500)

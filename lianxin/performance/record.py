"""The duty record's figures, computed from the platform for many deputies at once.

``tally`` runs a fixed number of grouped queries whatever the number of deputies, so the roll-up
task and the pages built on it never make one query per deputy.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from .models import DeclaredItem, ItemKind

# Opinions counted as "followed": the deputy's case got an answer (replied) or was closed.
FOLLOWED_STATUSES = ("replied", "closed")
NOT_COUNTED_STATUSES = ("rejected", "merged")


@dataclass
class Figures:
    """What one deputy did in a period: item counts by kind, time at the sites, and the sites' workload."""

    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    minutes_at_sites: int = 0
    site_visits: int = 0
    opinions_received: int = 0  # at the deputy's sites (workload, for the normalised ranking)
    citizens_served: int = 0  # citizens received at activities held at the deputy's sites

    def count(self, kind: str) -> int:
        return int(self.counts.get(kind, 0))


def period(year: int, quarter: int | None = None) -> tuple[datetime.date, datetime.date]:
    """First day and the day after the last of a year, or of the year up to the end of a quarter."""
    start = datetime.date(year, 1, 1)
    if quarter is None or quarter == 4:
        return start, datetime.date(year + 1, 1, 1)
    return start, datetime.date(year, 3 * quarter + 1, 1)


def _aware(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def tally(deputy_ids: Iterable[int], start: datetime.date, end: datetime.date) -> dict[int, Figures]:
    """Figures of each deputy for days in [start, end); eight queries whatever the number of deputies."""
    from lianxin.activities.models import Activity, Attendance, Kind
    from lianxin.deputies.models import Assignment
    from lianxin.opinions.models import Opinion
    from lianxin.supervision.models import Recommendation, Topic

    ids = list(deputy_ids)
    result: dict[int, Figures] = {pk: Figures() for pk in ids}
    if not ids:
        return result
    since, until = _aware(start), _aware(end)
    held = Q(activity__status=Activity.Status.HELD, activity__starts_at__gte=since, activity__starts_at__lt=until)

    # 1. Attendance at held activities: what was attended, time at the site, absences when expected.
    rows = (Attendance.objects.filter(held, deputy_id__in=ids)
            .values_list("deputy_id", "activity__kind", "activity__consultation_id", "attended", "expected",
                         "arrived_at", "left_at"))
    for deputy_id, kind, consultation_id, attended, expected, arrived, left in rows:
        figures = result[deputy_id]
        if attended:
            figures.counts[ItemKind.ACTIVITY] += 1
            figures.site_visits += 1
            if kind == Kind.RECEPTION:
                figures.counts[ItemKind.RECEPTION] += 1
            elif kind == Kind.TRAINING:
                figures.counts[ItemKind.TRAINING] += 1
            if kind == Kind.LEGISLATION or consultation_id:
                figures.counts[ItemKind.CONSULTATION] += 1
            if arrived and left and left > arrived:
                figures.minutes_at_sites += int((left - arrived).total_seconds() // 60)
        elif attended is False and expected:
            figures.counts[ItemKind.ABSENCE] += 1

    # 2. Opinions recorded with the deputy, and those followed to a reply.
    opinions = (Opinion.objects.filter(deputy_id__in=ids, created_at__gte=since, created_at__lt=until)
                .exclude(status__in=NOT_COUNTED_STATUSES).values("deputy_id")
                .annotate(n=Count("id"), followed=Count("id", filter=Q(status__in=FOLLOWED_STATUSES))))
    for row in opinions:
        result[row["deputy_id"]].counts[ItemKind.OPINION] += row["n"]
        result[row["deputy_id"]].counts[ItemKind.OPINION_FOLLOWED] += row["followed"]

    # 3. Supervision topics the deputy is named in, running in the period.
    topics = (Topic.deputies.through.objects.filter(
        deputy_id__in=ids, topic__starts_on__lt=end, topic__ends_on__gte=start)
        .values("deputy_id").annotate(n=Count("topic_id", distinct=True)))
    for row in topics:
        result[row["deputy_id"]].counts[ItemKind.SUPERVISION] += row["n"]

    # 4. Recommendations made from field visits the deputy attended.
    recommendations = (Recommendation.objects.filter(
        visit__attendances__deputy_id__in=ids, visit__attendances__attended=True,
        created_at__gte=since, created_at__lt=until)
        .values("visit__attendances__deputy_id").annotate(n=Count("id", distinct=True)))
    for row in recommendations:
        result[row["visit__attendances__deputy_id"]].counts[ItemKind.RECOMMENDATION] += row["n"]

    # 5. Approved declared items.
    declared = (DeclaredItem.objects.filter(deputy_id__in=ids, status=DeclaredItem.Status.APPROVED,
                                            done_on__gte=start, done_on__lt=end)
                .values("deputy_id", "kind").annotate(n=Count("id")))
    for row in declared:
        result[row["deputy_id"]].counts[row["kind"]] += row["n"]

    # 6. Workload at the deputy's current sites: opinions received and citizens served there.
    sites: dict[int, set[int]] = defaultdict(set)
    for deputy_id, station_id in (Assignment.objects.current().filter(deputy_id__in=ids)
                                  .values_list("deputy_id", "station_id")):
        sites[deputy_id].add(station_id)
    all_sites = set().union(*sites.values()) if sites else set()
    if all_sites:
        per_site_opinions = dict(
            Opinion.objects.filter(station_id__in=all_sites, created_at__gte=since, created_at__lt=until)
            .exclude(status__in=NOT_COUNTED_STATUSES).values("station_id").annotate(n=Count("id"))
            .values_list("station_id", "n"))
        per_site_citizens = dict(
            Activity.objects.filter(station_id__in=all_sites, status=Activity.Status.HELD,
                                    starts_at__gte=since, starts_at__lt=until)
            .values("station_id").annotate(n=Sum("citizens_received")).values_list("station_id", "n"))
        for deputy_id, own in sites.items():
            result[deputy_id].opinions_received = sum(per_site_opinions.get(s, 0) for s in own)
            result[deputy_id].citizens_served = sum(per_site_citizens.get(s, 0) or 0 for s in own)
    return result


def detail(deputy_id: int, year: int) -> dict[str, Any]:
    """The lists behind a deputy's yearly figures, for the record page and its PDF (a fixed number of queries)."""
    from lianxin.activities.models import Activity, Attendance
    from lianxin.opinions.models import Opinion
    from lianxin.supervision.models import Topic

    start, end = period(year)
    since, until = _aware(start), _aware(end)
    attendance = list(
        Attendance.objects.filter(deputy_id=deputy_id, activity__status=Activity.Status.HELD,
                                  activity__starts_at__gte=since, activity__starts_at__lt=until)
        .select_related("activity__station").order_by("activity__starts_at", "id"))
    opinions = list(
        Opinion.objects.filter(deputy_id=deputy_id, created_at__gte=since, created_at__lt=until)
        .exclude(status__in=NOT_COUNTED_STATUSES).only("tracking_code", "title", "status", "created_at")
        .order_by("created_at", "id"))
    topics = list(Topic.objects.filter(deputies=deputy_id, starts_on__lt=end, ends_on__gte=start)
                  .order_by("starts_on", "id"))
    declared = list(DeclaredItem.objects.filter(deputy_id=deputy_id, done_on__gte=start, done_on__lt=end)
                    .select_related("decided_by").order_by("done_on", "id"))
    return {"attendance": attendance, "opinions": opinions, "topics": topics, "declared": declared}

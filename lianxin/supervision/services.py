"""Thematic supervision: topics, field visits, recommendations through the case engine, progress.

Every change is one function here, used by the staff pages and the demo alike: checked against the
actor's scope, done in one transaction and written to the audit log. A refusal is a
``SupervisionError`` with a message in the user's language, and nothing is changed.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Avg, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.accounts.audit import log_action
from lianxin.accounts.models import Role, User
from lianxin.accounts.scope import admin_region
from lianxin.core import clock
from lianxin.deputies.models import Assignment, Deputy
from lianxin.opinions.models import Status
from lianxin.regions.models import Region, subtree_q
from lianxin.stations.models import Station

from .models import Milestone, Recommendation, Topic

# A case may be marked fully done (100 %) only once the unit has answered it.
DONE_STATUSES = (Status.REPLIED, Status.CLOSED)
# Cases that no longer carry a recommendation forward: no milestones on them.
DEAD_STATUSES = (Status.REJECTED, Status.MERGED)


class SupervisionError(Exception):
    """A refused supervision action: a stable ``code`` and a message for people."""

    def __init__(self, code: str, message: Any) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = str(message)


# ---- who may do what ----------------------------------------------------------------------------


def _is_admin(user: User) -> bool:
    return bool(user.is_superuser or admin_region(user) is not None)


def can_manage(user: User, topic: Topic | None = None) -> bool:
    """Create topics (no topic given) or edit one, plan its visits and make its recommendations:
    congress admins whose area contains the topic's area, and superusers."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    region = admin_region(user)
    if region is None:
        return False
    return topic is None or topic.region.path.startswith(region.path)


def can_record_progress(user: User, recommendation: Recommendation) -> bool:
    """Milestones: the staff of the unit that now handles the case, or the admins managing the topic."""
    if not user.is_authenticated:
        return False
    if user.role == Role.UNIT_STAFF and not user.is_superuser:
        return bool(user.unit_id) and recommendation.opinion.unit_id == user.unit_id
    return can_manage(user, recommendation.topic)


def area_choices(user: User) -> Any:
    """The regions a topic may cover: the admin's own region or any region below it."""
    regions = Region.objects.all()
    if user.is_superuser:
        return regions
    region = admin_region(user)
    if region is None:
        return regions.none()
    return regions.filter(subtree_q("path", region.path))


def site_choices(region: Region) -> Any:
    return Station.objects.active().filter(subtree_q("region_path", region.path))


def deputy_choices(region: Region) -> Any:
    """Deputies currently assigned to an active site of the area."""
    sites = site_choices(region).values("pk")
    ids = Assignment.objects.current().filter(station__in=sites).values("deputy_id")
    return Deputy.objects.filter(pk__in=ids, active=True)


def topic_scope(user: User) -> Region | None:
    """The area whose sites and deputies the topic form offers: the admin's region (a superuser: the root)."""
    scope = admin_region(user)
    if scope is None and user.is_superuser:
        scope = Region.objects.filter(parent__isnull=True).order_by("path").first()
    return scope


def deputy_options(user: User, region: Region | None = None) -> Any:
    """Deputies the topic form may offer: working at active sites of ``region`` (default: the user's
    whole area) and visible to the user."""
    scope = region or topic_scope(user)
    if scope is None:
        return Deputy.objects.none()
    return deputy_choices(scope) & Deputy.objects.visible_to(user)


DEPUTY_SEARCH_LIMIT = 20
DEPUTY_SEARCH_MAX_QUERY = 50


def search_deputies(user: User, query: str, region: Region | None = None,
                    limit: int = DEPUTY_SEARCH_LIMIT) -> list[dict[str, str]]:
    """The topic form's deputy chooser: at most ``limit`` deputies whose name contains ``query``, among
    ``deputy_options``; each with the site it works at (of the area) as a hint among namesakes."""
    scope = region or topic_scope(user)
    if scope is None:
        return []
    site = (Assignment.objects.current().filter(deputy=OuterRef("pk"), station__in=site_choices(scope).values("pk"))
            .order_by("station__name", "station_id").values("station__name")[:1])
    rows = deputy_options(user, scope)
    query = query.strip()[:DEPUTY_SEARCH_MAX_QUERY]
    if query:
        rows = rows.filter(name__icontains=query)
    rows = rows.annotate(site_name=Subquery(site)).order_by("name", "id").values("pk", "name", "site_name")[:limit]
    return [{"value": str(row["pk"]), "text": row["name"], "hint": row["site_name"] or ""} for row in rows]


# ---- topics -------------------------------------------------------------------------------------


def _check_topic(user: User, region: Region, title: str, starts_on: datetime.date, ends_on: datetime.date,
                 status: str, stations: list[Station], deputies: list[Deputy]) -> None:
    if not title.strip():
        raise SupervisionError("invalid", _("Give the topic a title."))
    if not area_choices(user).filter(pk=region.pk).exists():
        raise SupervisionError("invalid", _("Choose your own area or a region within it."))
    if ends_on < starts_on:
        raise SupervisionError("invalid", _("The period must end on or after the day it starts."))
    if status not in Topic.Status.values:
        raise SupervisionError("invalid", _("Choose the topic's status."))
    allowed_sites = set(site_choices(region).filter(pk__in=[s.pk for s in stations]).values_list("pk", flat=True))
    if len(allowed_sites) != len({s.pk for s in stations}):
        raise SupervisionError("invalid", _("Choose active sites within the topic's area."))
    allowed_deputies = set(deputy_choices(region).filter(pk__in=[d.pk for d in deputies]).values_list("pk", flat=True))
    if len(allowed_deputies) != len({d.pk for d in deputies}):
        raise SupervisionError("invalid", _("Choose deputies working at sites within the topic's area."))


STATUS_ORDER = [Topic.Status.PLANNED, Topic.Status.ACTIVE, Topic.Status.CONCLUDED]


def create_topic(user: User, *, title: str, region: Region, starts_on: datetime.date, ends_on: datetime.date,
                 description: str = "", status: str = Topic.Status.PLANNED, published: bool = False,
                 stations: Iterable[Station] = (), deputies: Iterable[Deputy] = (), request: Any = None,
                 now: datetime.datetime | None = None) -> Topic:
    if not can_manage(user):
        raise SupervisionError("not_allowed", _("Only the congress administrators organise supervision topics."))
    stations, deputies = list(stations), list(deputies)
    _check_topic(user, region, title, starts_on, ends_on, status, stations, deputies)
    with transaction.atomic():
        topic = Topic.objects.create(
            title=title.strip(), description=description.strip(), region=region, starts_on=starts_on,
            ends_on=ends_on, status=status, published=published, created_by=user, created_at=now or clock.now(),
        )
        topic.stations.set(stations)
        topic.deputies.set(deputies)
        log_action(user, "supervision.topic.create", topic, {"region": region.code, "status": status,
                                                              "sites": len(stations), "deputies": len(deputies)},
                   request=request)
    return topic


def update_topic(user: User, topic: Topic, *, title: str, region: Region, starts_on: datetime.date,
                 ends_on: datetime.date, description: str = "", status: str, published: bool,
                 stations: Iterable[Station] = (), deputies: Iterable[Deputy] = (), request: Any = None) -> Topic:
    if not can_manage(user, topic):
        raise SupervisionError("not_allowed", _("You may not change this topic."))
    stations, deputies = list(stations), list(deputies)
    _check_topic(user, region, title, starts_on, ends_on, status, stations, deputies)
    if STATUS_ORDER.index(Topic.Status(status)) < STATUS_ORDER.index(Topic.Status(topic.status)):
        raise SupervisionError("invalid", _("A topic moves forward only: planned, under way, concluded."))
    visited = set(topic.activities.values_list("station_id", flat=True))
    recommended = set(topic.recommendations.values_list("opinion__station_id", flat=True))
    if (visited | recommended) - {s.pk for s in stations}:
        raise SupervisionError("invalid", _("A site with visits or recommendations cannot be removed from the topic."))
    with transaction.atomic():
        locked = Topic.objects.select_for_update().get(pk=topic.pk)
        if STATUS_ORDER.index(Topic.Status(status)) < STATUS_ORDER.index(Topic.Status(locked.status)):
            raise SupervisionError("conflict", _("Someone else changed this topic meanwhile. Reload and try again."))
        before = {"status": locked.status, "published": locked.published, "region": locked.region_id}
        locked.title, locked.description, locked.region = title.strip(), description.strip(), region
        locked.starts_on, locked.ends_on, locked.status, locked.published = starts_on, ends_on, status, published
        locked.save()
        locked.stations.set(stations)
        locked.deputies.set(deputies)
        log_action(user, "supervision.topic.update", locked,
                   {"before": before, "status": status, "published": published,
                    "sites": len(stations), "deputies": len(deputies)}, request=request)
    return locked


# ---- field visits --------------------------------------------------------------------------------


def schedule_visit(user: User, topic: Topic, *, station: Station, title: str, starts_at: datetime.datetime,
                   ends_at: datetime.datetime, description: str = "", request: Any = None,
                   now: datetime.datetime | None = None) -> Any:
    """Plan a field visit: an activity of kind ``supervision`` at one of the topic's sites, with the
    topic's deputies who work at that site."""
    from lianxin.activities.models import Kind
    from lianxin.activities.services import ActivityError, create_activity

    if not can_manage(user, topic):
        raise SupervisionError("not_allowed", _("You may not plan visits for this topic."))
    if topic.status == Topic.Status.CONCLUDED:
        raise SupervisionError("wrong_state", _("This topic is concluded."))
    if not topic.stations.filter(pk=station.pk).exists():
        raise SupervisionError("invalid", _("Choose one of the topic's sites."))
    at_site = Assignment.objects.current().filter(station=station).values("deputy_id")
    deputies = list(topic.deputies.filter(pk__in=at_site))
    try:
        with transaction.atomic():
            activity = create_activity(user, station=station, kind=Kind.SUPERVISION, title=title, starts_at=starts_at,
                                       ends_at=ends_at, description=description, deputies=deputies, topic=topic,
                                       request=request, now=now)
            log_action(user, "supervision.visit.schedule", topic, {"activity": activity.pk, "station": station.pk},
                       request=request)
    except ActivityError as error:
        raise SupervisionError(error.code, error.message) from error
    return activity


# ---- recommendations -----------------------------------------------------------------------------


def create_recommendation(user: User, topic: Topic, *, title: str, text: str, unit: Any, category: Any,
                          working_days: int | None = None, visit: Any = None, station: Station | None = None,
                          request: Any = None, now: datetime.datetime | None = None) -> Recommendation:
    """A finding becomes a recommendation: a case of channel ``supervision`` submitted, accepted and
    transferred to ``unit`` with a deadline, and the row that links it to the topic — all or nothing."""
    from lianxin.opinions import services as cases
    from lianxin.opinions.errors import CaseError

    now = now or clock.now()
    if not can_manage(user, topic):
        raise SupervisionError("not_allowed", _("You may not make recommendations for this topic."))
    if topic.status != Topic.Status.ACTIVE:
        raise SupervisionError("wrong_state", _("Recommendations are made while the topic is under way."))
    title, text = title.strip(), text.strip()
    if not title or not text:
        raise SupervisionError("invalid", _("Write the recommendation's title and the finding behind it."))
    if visit is not None:
        if visit.topic_id != topic.pk:
            raise SupervisionError("invalid", _("Choose a visit of this topic."))
        station = visit.station
    if station is None or not topic.stations.filter(pk=station.pk).exists():
        raise SupervisionError("invalid", _("Choose one of the topic's sites."))
    if unit is None:
        raise SupervisionError("invalid", _("Choose the handling unit."))
    try:
        with transaction.atomic():
            opinion, _created = cases.submit_opinion(category=category, title=title, text=text, channel="supervision",
                                                     station=station, actor=user, now=now)
            cases.accept(opinion, user, station=station, now=now)
            opinion = cases.transfer(opinion, user, unit=unit, working_days=working_days, now=now)
            recommendation = Recommendation.objects.create(topic=topic, visit=visit, opinion=opinion, title=title,
                                                           text=text, created_at=now, updated_at=now)
            _roll_up(topic.pk)
            log_action(user, "supervision.recommendation.create", recommendation,
                       {"topic": topic.pk, "case": opinion.tracking_code, "unit": unit.code,
                        "due": opinion.due_at.isoformat() if opinion.due_at else None}, request=request)
    except CaseError as error:
        raise SupervisionError(error.code, _("The case could not be routed: %(reason)s") % {"reason": error.message}
                               ) from error
    return recommendation


def _roll_up(topic_id: int) -> int:
    mean = Recommendation.objects.filter(topic_id=topic_id).aggregate(mean=Avg("progress"))["mean"]
    progress = round(mean or 0)
    Topic.objects.filter(pk=topic_id).update(progress=progress)
    return progress


def add_milestone(user: User, recommendation: Recommendation | int, *, on: datetime.date, text: str, progress: int,
                  request: Any = None, now: datetime.datetime | None = None) -> Milestone:
    """Record a step of progress. The percentage never goes down, reaches 100 only once the case is
    answered, and the recommendation's and the topic's progress follow in the same transaction."""
    now = now or clock.now()
    pk = recommendation.pk if isinstance(recommendation, Recommendation) else recommendation
    text = text.strip()
    with transaction.atomic():
        locked = (Recommendation.objects.select_for_update(of=("self",)).select_related("opinion", "topic__region")
                  .filter(pk=pk).first())
        if locked is None or not can_record_progress(user, locked):
            raise SupervisionError("not_allowed", _("You may not record progress on this recommendation."))
        if not text:
            raise SupervisionError("invalid", _("Describe what was done."))
        if not 0 <= progress <= 100:
            raise SupervisionError("invalid", _("Progress is a percentage from 0 to 100."))
        if on > timezone.localdate(now):
            raise SupervisionError("invalid", _("A milestone cannot be dated in the future."))
        if on < timezone.localdate(locked.created_at):
            raise SupervisionError("invalid", _("A milestone cannot be dated before the recommendation was made."))
        if locked.opinion.status in DEAD_STATUSES:
            raise SupervisionError("wrong_state", _("The case behind this recommendation is no longer handled."))
        if progress < locked.progress:
            raise SupervisionError("invalid", _("Progress cannot go down: it is already %(progress)s%%.")
                                   % {"progress": locked.progress})
        if progress == 100 and locked.opinion.status not in DONE_STATUSES:
            raise SupervisionError("invalid", _("100%% is recorded once the unit has replied to the case; it is now "
                                                "“%(status)s”.") % {"status": locked.opinion.get_status_display()})
        milestone = Milestone.objects.create(recommendation=locked, on=on, text=text, progress=progress,
                                             recorded_by=user, created_at=now)
        locked.progress = progress
        locked.updated_at = now
        locked.save(update_fields=["progress", "updated_at"])
        topic_progress = _roll_up(locked.topic_id)
        log_action(user, "supervision.milestone.create", locked,
                   {"milestone": milestone.pk, "progress": progress, "topic_progress": topic_progress},
                   request=request)
    return milestone

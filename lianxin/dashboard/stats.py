"""Headline figures of the registry, counted from rows every time (never stored constants).

``headline_figures()`` is what ``lianxin stats --json`` prints; pass a region for its subtree. The
coverage figures use the same definitions as the coverage page (``lianxin.dashboard.coverage``):
- a township/street is *covered* when an active station (kind station) lies in its subtree;
- a deputy is *without a site* when active and without a current assignment;
- a site is *without deputies* when active and no active deputy is currently assigned to it;
- a site has a *single level* when active, staffed, and its current deputies' current seats span
  fewer than two levels.
"""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, Count, Exists, OuterRef, Q, Value
from django.db.models.functions import Concat

from lianxin.core import clock
from lianxin.deputies.models import Assignment, Deputy, Level, Seat
from lianxin.opinions.models import OPEN_STATUSES, Channel, Opinion, Outcome, Satisfaction, Status
from lianxin.regions.models import PATH_END, Region, subtree_q
from lianxin.stations.models import Station
from lianxin.units.models import HandlingUnit


def townships_without_station(regions: Any = None) -> Any:
    regions = Region.objects.all() if regions is None else regions
    station = Station.objects.active().filter(
        kind=Station.Kind.STATION,
        region_path__gte=OuterRef("path"),
        region_path__lt=Concat(OuterRef("path"), Value(PATH_END), output_field=CharField()),
    )
    return regions.filter(level=Region.Level.TOWNSHIP).filter(~Exists(station))


def deputies_without_site(deputies: Any = None) -> Any:
    deputies = Deputy.objects.all() if deputies is None else deputies
    placed = Assignment.objects.current().filter(deputy=OuterRef("pk"))
    return deputies.active().filter(~Exists(placed))


def sites_without_deputies(sites: Any = None) -> Any:
    sites = Station.objects.all() if sites is None else sites
    staffed = Assignment.objects.current().filter(station=OuterRef("pk"), deputy__active=True)
    return sites.active().filter(~Exists(staffed))


def sites_with_single_level(sites: Any = None) -> Any:
    sites = Station.objects.all() if sites is None else sites
    member = Q(assignments__ended_on__isnull=True, assignments__deputy__active=True)
    seat = member & Q(assignments__deputy__seats__ended_on__isnull=True)
    return (
        sites.active()
        .annotate(
            member_count=Count("assignments__deputy", filter=member, distinct=True),
            level_count=Count("assignments__deputy__seats__level", filter=seat, distinct=True),
        )
        .filter(member_count__gt=0, level_count__lt=2)
    )


def opinion_figures(region: Region | None = None) -> dict[str, Any]:
    """Opinions heard and matters resolved, counted from the case rows (one aggregate, one GROUP BY each).

    *resolved* counts cases closed with the outcome "resolved" only — not rejected, merged or
    closed-not-resolved ones; *overdue* counts open cases past their current deadline.
    """
    # Citizens' opinions: recommendations from thematic supervision use the same engine but are not "heard".
    opinions = Opinion.objects.exclude(channel=Channel.SUPERVISION)
    if region is not None:
        opinions = opinions.filter(subtree_q("region_path", region.path))
    closed = Q(status=Status.CLOSED)
    counts = opinions.aggregate(
        heard=Count("id"),
        resolved=Count("id", filter=closed & Q(outcome=Outcome.RESOLVED)),
        not_resolved=Count("id", filter=closed & Q(outcome=Outcome.NOT_RESOLVED)),
        overdue=Count("id", filter=Q(status__in=OPEN_STATUSES, due_at__lt=clock.now())),
        escalated=Count("id", filter=Q(escalation_count__gt=0)),
        reopened=Count("id", filter=Q(reopen_count__gt=0)),
    )
    by_status = dict(opinions.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    ratings = dict(
        opinions.exclude(satisfaction="").values_list("satisfaction").annotate(n=Count("id"))
        .values_list("satisfaction", "n")
    )
    rated = sum(ratings.values())
    content = ratings.get(Satisfaction.SATISFIED, 0) + ratings.get(Satisfaction.BASIC, 0)
    return {
        **counts,
        "by_status": {status: by_status.get(status, 0) for status in Status.values},
        "satisfaction": {value: ratings.get(value, 0) for value in Satisfaction.values},
        # satisfied + basically satisfied, per cent of the rated cases (last rating of each case)
        "satisfaction_rate": round(100 * content / rated, 1) if rated else 0.0,
    }


def headline_figures(region: Region | None = None) -> dict[str, Any]:
    """The registry's figures as a JSON-ready dict, for the whole database or one region's subtree."""
    regions = Region.objects.all()
    sites = Station.objects.all()
    deputies = Deputy.objects.all()
    assignments = Assignment.objects.current()
    seats = Seat.objects.current()
    units = HandlingUnit.objects.all()
    if region is not None:
        regions = regions.filter(subtree_q("path", region.path))
        sites = sites.filter(subtree_q("region_path", region.path))
        deputies = deputies.in_region(region)
        assignments = assignments.filter(subtree_q("station__region_path", region.path))
        seats = seats.filter(deputy__in=deputies)
        units = units.filter(subtree_q("region__path", region.path))

    by_level = dict(regions.values_list("level").annotate(n=Count("id")).values_list("level", "n"))
    kinds = Station.Kind
    site_counts = sites.aggregate(
        total=Count("id"),
        stations=Count("id", filter=Q(kind=kinds.STATION)),
        points=Count("id", filter=Q(kind=kinds.POINT)),
        active=Count("id", filter=Q(status=Station.Status.ACTIVE)),
        exemplary_stations=Count("id", filter=Q(kind=kinds.STATION, tier=Station.Tier.EXEMPLARY)),
        exemplary_points=Count("id", filter=Q(kind=kinds.POINT, tier=Station.Tier.EXEMPLARY)),
    )
    by_tier = dict(sites.values_list("tier").annotate(n=Count("id")).values_list("tier", "n"))
    seats_by_level = dict(seats.values_list("level").annotate(n=Count("id")).values_list("level", "n"))
    deputy_counts = deputies.aggregate(persons=Count("id"), active=Count("id", filter=Q(active=True)))
    multiple = seats.values("deputy").annotate(n=Count("id")).filter(n__gt=1).count()
    townships = regions.filter(level=Region.Level.TOWNSHIP)
    township_total = townships.count()

    return {
        "regions": {level.name.lower(): by_level.get(level.value, 0) for level in Region.Level},
        "sites": {
            "total": site_counts["total"],
            "stations": site_counts["stations"],
            "points": site_counts["points"],
            "active": site_counts["active"],
            "by_tier": {tier: by_tier.get(tier, 0) for tier in Station.Tier.values},
            "exemplary_stations": site_counts["exemplary_stations"],
            "exemplary_points": site_counts["exemplary_points"],
        },
        "townships": {
            "total": township_total,
            "covered": township_total - townships_without_station(townships).count(),
        },
        "deputies": {
            "persons": deputy_counts["persons"],
            "active": deputy_counts["active"],
            "with_multiple_seats": multiple,
        },
        "seats_by_level": {level: seats_by_level.get(level, 0) for level in Level.values},
        "assignments": {
            "current": assignments.count(),
            "leaders": assignments.filter(role=Assignment.Role.LEADER).count(),
        },
        "coverage": {
            "deputies_without_site": deputies_without_site(deputies).count(),
            "sites_without_deputies": sites_without_deputies(sites).count(),
            "sites_with_single_level": sites_with_single_level(sites).count(),
        },
        "handling_units": {
            "total": units.count(),
            "active": units.filter(active=True).count(),
        },
        "activities": activity_figures(region),
        "opinions": opinion_figures(region),
        "campaigns": campaign_figures(region),
    }


def activity_figures(region: Region | None = None) -> dict[str, int]:
    """Deputies' activities at the sites: held (closed with minutes and attendance), by kind, and attendance."""
    from lianxin.activities.models import Activity, Attendance, Kind
    from lianxin.activities.stats import held_activities

    held = Activity.objects.filter(status=Activity.Status.HELD)
    if region is not None:
        held = held.filter(subtree_q("region_path", region.path))
    by_kind = dict(held.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    presence = Attendance.objects.filter(activity__in=held).aggregate(
        expected=Count("id", filter=Q(expected=True)), attended=Count("id", filter=Q(attended=True)),
    )
    return {
        "held": held_activities(region),
        "by_kind": {kind: by_kind.get(kind, 0) for kind in Kind.values},
        "deputy_attendances": presence["attended"],
        "deputies_expected": presence["expected"],
    }


def campaign_figures(region: Region | None = None) -> dict[str, int]:
    """Exemplary-site campaigns: applications made (not drafts), applications audited (at least one
    submitted audit), and the sites holding a current exemplary designation, by kind."""
    from lianxin.campaigns.models import Application, AuditAssignment, Designation

    applications = Application.objects.exclude(status=Application.Status.DRAFT)
    designations = Designation.objects.current().filter(tier=Station.Tier.EXEMPLARY)
    if region is not None:
        applications = applications.filter(subtree_q("station__region_path", region.path))
        designations = designations.filter(subtree_q("station__region_path", region.path))
    audited = applications.filter(Exists(AuditAssignment.objects.filter(
        application=OuterRef("pk"), status=AuditAssignment.Status.SUBMITTED)))
    by_kind = dict(designations.values("station__kind").order_by().annotate(n=Count("station", distinct=True))
                   .values_list("station__kind", "n"))
    return {
        "applications": applications.count(),
        "audited": audited.count(),
        "designated_stations": by_kind.get(Station.Kind.STATION, 0),
        "designated_points": by_kind.get(Station.Kind.POINT, 0),
    }

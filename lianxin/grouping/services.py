"""Grouping runs: gather the input from the database, solve, store the proposal, apply it.

A run covers one area (a region subtree): the deputies whose allowed area lies inside it and the
active sites inside it. Deputies allowed wider (e.g. a municipal deputy in a district's run) are
left to the wider run; those already at a site of the area count against its size bounds.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from lianxin.accounts.audit import log_action
from lianxin.accounts.models import Role
from lianxin.core import clock
from lianxin.deputies import services as deputy_services
from lianxin.deputies.models import Assignment, Deputy, Seat
from lianxin.regions.models import Region, subtree_q
from lianxin.stations.models import Station

from . import solver
from .models import GroupingRun, Proposal

if TYPE_CHECKING:
    from django.http import HttpRequest

    from lianxin.accounts.models import User

RUN_ROLES = (Role.CITY_ADMIN, Role.DISTRICT_ADMIN)


# The solver's explanations (``solver.py`` has no Django, so no gettext there): listed here for the
# translation catalog; the run page shows ``_(msgid) % values``.
SOLVER_MESSAGES = (
    gettext_noop('The sites hold at most %(capacity)s deputies in total, but there are %(count)s deputies.'),
    gettext_noop("The sites' minimum sizes add up to %(minimum)s, but there are only %(count)s deputies."),
    gettext_noop('%(count)s deputies (%(deputies)s) may only go to %(sites_count)s sites (%(sites)s), which hold at most %(capacity)s together.'),
    gettext_noop('%(sites_count)s sites (%(sites)s) need at least %(need)s deputies together, but only %(count)s deputies may be placed there.'),
    gettext_noop('Site %(site)s: its minimum size %(min)s is above its maximum %(max)s.'),
    gettext_noop('Deputy %(deputy)s has no allowed site within reach.'),
    gettext_noop('Site %(site)s cannot reach its minimum of %(min)s: only %(count)s deputies may be placed there.'),
    gettext_noop('No assignment satisfies all the size bounds at once.'),
)


class GroupingError(Exception):
    """Bad input or a refused action; the message is shown to the user as is."""


def defaults() -> dict[str, Any]:
    conf = getattr(settings, "GROUPING", {})
    return {
        "k": int(conf.get("K", 12)),
        "min_size": int(conf.get("MIN_SIZE", 3)),
        "max_size": int(conf.get("MAX_SIZE", 20)),
        "distance_weight": float(conf.get("DISTANCE_WEIGHT", 1.0)),
        "level_reward": float(conf.get("LEVEL_REWARD", 5.0)),
        "move_penalty": float(conf.get("MOVE_PENALTY", 0.5)),
        "time_limit": float(conf.get("TIME_LIMIT", 30.0)),
    }


def area_rules() -> dict[str, int | None]:
    return dict(getattr(settings, "GROUPING", {}).get("AREA_BY_LEVEL", solver.DEFAULT_AREA_BY_LEVEL))


def can_run(user: User) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role in RUN_ROLES))


def runnable_areas(user: User) -> Any:
    if not can_run(user):
        return Region.objects.none()
    return Region.objects.visible_to(user).filter(level__lte=Region.Level.TOWNSHIP)


# --- input -----------------------------------------------------------------------------------


@dataclass
class Problem:
    deputies: list[solver.DeputyIn]
    sites: list[solver.SiteIn]
    current: dict[int, int | None]  # deputy id -> today's site id (inside the area)
    distance_to: dict[tuple[int, int], float]  # (deputy, site) -> km, for candidate and current sites
    out_of_reach: set[int]  # deputies whose current site is not among their candidates


def _point(lat: Any, lon: Any) -> tuple[float, float] | None:
    return (float(lat), float(lon)) if lat is not None and lon is not None else None


def build_problem(area: Region, params: dict[str, Any]) -> Problem:
    """Deputies and sites of ``area`` as solver input (a fixed number of queries)."""
    rules = area_rules()
    level_of_path = dict(Region.objects.values_list("path", "level"))
    stations = list(
        Station.objects.filter(subtree_q("region_path", area.path), status=Station.Status.ACTIVE)
        .values_list("id", "region_path", "latitude", "longitude", "code")
    )
    station_ids = {s[0] for s in stations}
    index = solver.SiteIndex([(s[0], s[1], float(s[2]), float(s[3])) for s in stations])
    seats: dict[int, list[str]] = defaultdict(list)
    levels: dict[int, set[str]] = defaultdict(set)
    for deputy_id, level, path in Seat.objects.current().filter(deputy__active=True).values_list(
        "deputy_id", "level", "constituency__path"
    ):
        seats[deputy_id].append(solver.seat_area(level, path, level_of_path, rules))
        levels[deputy_id].add(level)
    areas = {deputy_id: solver.deputy_area(paths) for deputy_id, paths in seats.items()}
    inside = {d for d, path in areas.items() if path.startswith(area.path)}
    current: dict[int, int | None] = {d: None for d in inside}
    fixed: Counter[int] = Counter()  # deputies of wider runs sitting at the area's sites today
    for deputy_id, station_id in (
        Assignment.objects.current().filter(station_id__in=station_ids).order_by("started_on", "id")
        .values_list("deputy_id", "station_id")
    ):
        if deputy_id in inside:
            if current[deputy_id] is None:
                current[deputy_id] = station_id
        elif deputy_id in areas:
            fixed[station_id] += 1
    points = {
        row[0]: [_point(row[1], row[2]), _point(row[3], row[4])]
        for row in Deputy.objects.filter(pk__in=inside).values_list(
            "id", "home_latitude", "home_longitude", "work_latitude", "work_longitude"
        )
    }
    names = dict(Deputy.objects.filter(pk__in=inside).values_list("id", "name"))
    problem = Problem([], [], current, {}, set())
    for deputy_id in sorted(inside):
        allowed, distances = index.nearest(areas[deputy_id], points[deputy_id], params["k"], current[deputy_id])
        if current[deputy_id] is not None and current[deputy_id] not in allowed:
            problem.out_of_reach.add(deputy_id)
        problem.distance_to.update({(deputy_id, s): d for s, d in zip(allowed, distances, strict=True)})
        problem.deputies.append(
            solver.DeputyIn(deputy_id, frozenset(levels[deputy_id]), allowed, distances, current[deputy_id],
                            names[deputy_id])
        )
    for station_id, _path, _lat, _lon, code in stations:
        taken = fixed[station_id]
        problem.sites.append(solver.SiteIn(
            station_id, max(0, params["min_size"] - taken), max(0, params["max_size"] - taken), code, _path
        ))
    # distance to today's site when it is outside the candidates (to show "before" in the diff)
    missing = [(d, s) for d, s in current.items() if s is not None and (d, s) not in problem.distance_to]
    if missing:
        coords = {s[0]: (float(s[2]), float(s[3])) for s in stations}
        for d, s in missing:
            found = [solver.distance_km(p[0], p[1], *coords[s]) for p in points[d] if p is not None]
            problem.distance_to[(d, s)] = round(min(found), 3) if found else 0.0
    return problem


# --- running ---------------------------------------------------------------------------------


def clean_params(data: dict[str, Any]) -> dict[str, Any]:
    """Parameters of a run: the defaults overridden by ``data``; bad values raise GroupingError."""
    params = defaults()
    for key, value in data.items():
        if key in params and value not in (None, ""):
            params[key] = type(params[key])(value)
    if params["k"] < 1 or params["min_size"] < 0 or params["max_size"] < 1:
        raise GroupingError(_("The number of candidate sites and the maximum size must be at least 1."))
    if params["min_size"] > params["max_size"]:
        raise GroupingError(_("The minimum size cannot be larger than the maximum size."))
    if params["time_limit"] <= 0 or params["time_limit"] > 600:
        raise GroupingError(_("The time limit must be between 1 and 600 seconds."))
    if min(params["distance_weight"], params["level_reward"], params["move_penalty"]) < 0:
        raise GroupingError(_("Weights cannot be negative."))
    return params


def start_run(actor: User, area: Region, data: dict[str, Any], request: HttpRequest | None = None) -> GroupingRun:
    """Create a run for ``area`` and queue it (the task solves and stores the proposal)."""
    if not runnable_areas(actor).filter(pk=area.pk).exists():
        raise PermissionDenied
    params = clean_params(data)
    run = GroupingRun.objects.create(area=area, created_by=actor, params=params)
    log_action(actor, "grouping.run", run, {"area": area.code, "params": params}, request)
    from .tasks import solve_run

    transaction.on_commit(lambda: solve_run(run.pk))
    return run


def _reason(problem: Problem, deputy_id: int, before: float | None, after: float | None) -> str:
    if deputy_id in problem.out_of_reach:
        return "area"  # today's site is outside the allowed area or far from home and work
    if before is not None and after is not None and after < before - 1e-6:
        return "nearer"
    return "mix"  # to mix levels or keep sites within their size bounds


REASONS = {
    "area": "today's site is outside the allowed area or not among the nearest",
    "nearer": "nearer to home or work",
    "mix": "to mix levels or keep sites within their sizes",
    "new": "had no site",
}


def execute_run(run: GroupingRun, progress: Callable[[int], None] | None = None) -> GroupingRun:
    """Solve ``run`` and store its proposal (called by the task; also usable directly)."""
    run.status = GroupingRun.Status.RUNNING
    run.progress = 5
    run.save(update_fields=["status", "progress"])
    params = run.params

    def report(percent: int, _note: str) -> None:
        if progress is not None:
            progress(percent)

    problem = build_problem(run.area, params)
    weights = solver.Weights(params["distance_weight"], params["level_reward"], params["move_penalty"])
    result = solver.solve(problem.deputies, problem.sites, weights, params["time_limit"], report,
                          min_levels=int(getattr(settings, "GROUPING", {}).get("MIN_LEVELS", 1)))
    run.solver_status = result.status
    run.objective, run.bound, run.gap = result.objective, result.bound, result.gap
    run.seconds = round(result.seconds, 3)
    run.explanation = [[msgid, values] for msgid, values in result.messages]
    run.finished_at = clock.now()
    run.progress = 100
    if not result.ok:
        run.status = GroupingRun.Status.INFEASIBLE
        run.save()
        return run
    rows = []
    for d in problem.deputies:
        to = result.assignment[d.key]
        before_site = problem.current[d.key]
        before = problem.distance_to.get((d.key, before_site)) if before_site else None
        after = problem.distance_to.get((d.key, to))
        if before_site is None:
            kind, reason = Proposal.Kind.NEW, "new"
        elif before_site == to:
            kind, reason = Proposal.Kind.STAY, ""
        else:
            kind, reason = Proposal.Kind.MOVE, _reason(problem, d.key, before, after)
        rows.append(Proposal(run=run, deputy_id=d.key, kind=kind, from_station_id=before_site, to_station_id=to,
                             distance_before=before, distance_after=after, reason=reason))
    with transaction.atomic():
        Proposal.objects.bulk_create(rows, batch_size=500)
        run.status = GroupingRun.Status.DONE
        run.save()
    return run


def counts(run: GroupingRun) -> dict[str, int]:
    found = dict(run.proposals.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    return {kind: found.get(kind, 0) for kind in Proposal.Kind.values}


# --- applying --------------------------------------------------------------------------------


def apply_run(
    actor: User, run: GroupingRun, proposal_ids: list[int] | None = None, request: HttpRequest | None = None
) -> int:
    """Apply the run's moves and new placements (all, or those in ``proposal_ids``): end today's
    assignments in the area and create the new ones through the deputies' services (history kept,
    each change audited). All or nothing. Returns the number of deputies changed."""
    if not can_run(actor) or not GroupingRun.objects.visible_to(actor).filter(pk=run.pk).exists():
        raise PermissionDenied
    if run.status != GroupingRun.Status.DONE:
        raise GroupingError(_("Only a finished run can be applied."))
    pending = run.proposals.exclude(kind=Proposal.Kind.STAY).filter(applied_at__isnull=True)
    if proposal_ids is not None:
        pending = pending.filter(pk__in=proposal_ids)
    pending = pending.select_related("deputy", "to_station")
    now = clock.now()
    changed = 0
    with transaction.atomic():
        items = list(pending)
        deputy_ids = [p.deputy_id for p in items]
        current = defaultdict(list)
        for assignment in Assignment.objects.current().filter(
            deputy_id__in=deputy_ids
        ).filter(subtree_q("station__region_path", run.area.path)).select_related("station"):
            current[assignment.deputy_id].append(assignment)
        for item in items:
            try:
                for assignment in current[item.deputy_id]:
                    deputy_services.end_assignment(actor, assignment, request)
                deputy_services.assign_deputy(actor, item.deputy, item.to_station, request=request)
            except deputy_services.AssignmentError as error:
                raise GroupingError(str(error)) from None
            item.applied_at = now
            changed += 1
        Proposal.objects.bulk_update(items, ["applied_at"])
        log_action(actor, "grouping.apply", run, {"applied": changed, "selected": proposal_ids is not None}, request)
    return changed

"""Mixed grouping (混合编组) as a mixed-integer programme, solved with OR-Tools (SCIP).

Plain Python, no Django: deputies and sites come in as small records, an assignment comes out.

Model. ``x[d, s]`` = 1 when deputy ``d`` goes to site ``s`` (only for the ``k`` nearest sites the
deputy's level allows, plus its current site when allowed); ``y[s, l]`` = 1 when level ``l`` is
present at site ``s`` (``y[s, l] <= sum of x[d, s] over deputies holding l``).

- every deputy at exactly one site; every site between its minimum and maximum size;
- minimise   distance_weight * km (home or work, whichever is nearer)
           + move_penalty    * [deputy leaves its current site]
           - level_reward    * levels present at each site.

Before solving, the input is checked; when no assignment can exist the result says which
constraint fails (a deputy without a site, a site that cannot reach its minimum, a group of
deputies that only a few sites can take — Hall's condition, found with a max-flow min-cut).
A min-cost flow without the level term gives a feasible start and the fallback when the MIP
finds nothing within its time limit.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

EARTH_KM = 6371.0

OPTIMAL = "optimal"
FEASIBLE = "feasible"  # a solution with a gap (time limit)
FALLBACK = "fallback"  # the min-cost flow's solution (the MIP found nothing in time)
INFEASIBLE = "infeasible"


@dataclass(frozen=True)
class DeputyIn:
    key: int
    levels: frozenset[str]
    # Site keys the deputy may go to (already limited to its allowed area, nearest first).
    allowed: tuple[int, ...]
    # Distance in km to each allowed site (same order as ``allowed``).
    distances: tuple[float, ...]
    current: int | None = None  # site key of today's assignment, if any
    label: str = ""

    def name(self) -> str:
        return self.label or f"#{self.key}"


@dataclass(frozen=True)
class SiteIn:
    key: int
    min_size: int = 3
    max_size: int = 20
    label: str = ""
    area: str = ""  # region path, for explanations per area

    def name(self) -> str:
        return self.label or f"#{self.key}"


@dataclass(frozen=True)
class Weights:
    distance: float = 1.0  # per km
    level_reward: float = 5.0  # per level present at a site
    move_penalty: float = 0.5  # per deputy moved away from its current site


@dataclass
class Result:
    status: str
    assignment: dict[int, int] = field(default_factory=dict)  # deputy key -> site key
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None  # relative, 0.0 at proven optimality
    seconds: float = 0.0  # solve time
    build_seconds: float = 0.0
    problems: list[str] = field(default_factory=list)  # why infeasible (English, for logs / CLI)
    messages: list[tuple[str, dict[str, object]]] = field(default_factory=list)  # (msgid, params) for the UI

    @property
    def ok(self) -> bool:
        return self.status in (OPTIMAL, FEASIBLE, FALLBACK)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


class SiteIndex:
    """Sites by region path, for "the k nearest sites within an area" (vectorised with numpy)."""

    def __init__(self, sites: Sequence[tuple[int, str, float, float]]):
        self.sites = sorted(sites, key=lambda s: (s[1], s[0]))  # (key, region path, lat, lon)
        self._areas: dict[str, tuple[list[int], Any, Any]] = {}

    def _area(self, area: str) -> tuple[list[int], Any, Any]:
        import numpy as np

        if area not in self._areas:
            inside = [s for s in self.sites if s[1].startswith(area)]
            self._areas[area] = (
                [s[0] for s in inside],
                np.radians(np.array([s[2] for s in inside], dtype=float)),
                np.radians(np.array([s[3] for s in inside], dtype=float)),
            )
        return self._areas[area]

    def nearest(
        self,
        area: str,
        points: Sequence[tuple[float, float] | None],
        k: int,
        current: int | None = None,
    ) -> tuple[tuple[int, ...], tuple[float, ...]]:
        """The ``k`` nearest sites in ``area`` to the nearest of ``points`` (home, work), in km,
        plus ``current`` when it lies in the area but not among them. Without any point every site
        is at distance 0 and the first ``k`` by region path are offered."""
        import numpy as np

        keys, lats, lons = self._area(area)
        if not keys:
            return (), ()
        best = np.zeros(len(keys))
        known = [p for p in points if p is not None]
        if known:
            best = np.full(len(keys), np.inf)
            for lat, lon in known:
                p1, l1 = math.radians(lat), math.radians(lon)
                a = np.sin((lats - p1) / 2) ** 2 + math.cos(p1) * np.cos(lats) * np.sin((lons - l1) / 2) ** 2
                best = np.minimum(best, 2 * EARTH_KM * np.arcsin(np.minimum(1.0, np.sqrt(a))))
        order = np.lexsort((np.array(keys), best))
        chosen = [int(i) for i in order[:k]]
        if current is not None and current in keys:
            index = keys.index(current)
            if index not in chosen:
                chosen.append(index)
        return tuple(keys[i] for i in chosen), tuple(round(float(best[i]), 3) for i in chosen)


# Allowed area by seat level: the constituency's ancestor at this region level (4 township,
# 3 county / district), or None for the constituency area itself.
DEFAULT_AREA_BY_LEVEL: dict[str, int | None] = {
    "township": 4, "county": 3, "municipal": None, "provincial": None, "national": None,
}


def seat_area(
    level: str, constituency_path: str, level_of_path: dict[str, int], rules: dict[str, int | None]
) -> str:
    """The region path a seat of ``level`` elected in ``constituency_path`` may be grouped within."""
    target = rules.get(level)
    if target is None:
        return constituency_path
    parts = [part for part in constituency_path.strip("/").split("/") if part]
    area = constituency_path
    for end in range(len(parts), 0, -1):  # walk up while the ancestor is at or below the target level
        path = "/" + "/".join(parts[:end]) + "/"
        if level_of_path.get(path, 99) < target:
            break
        area = path
        if level_of_path.get(path) == target:
            break
    return area


def deputy_area(areas: Sequence[str]) -> str:
    """One area for a deputy holding several seats: the narrowest (they nest: township in county…)."""
    return max(areas, key=lambda path: (path.count("/"), path))


# --- feasibility -----------------------------------------------------------------------------


def _add(result: Result, english: str, msgid: str, **params: object) -> None:
    result.problems.append(english)
    result.messages.append((msgid, params))


def _names(items: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" … (+{len(items) - limit})" if len(items) > limit else "")


def check(deputies: Sequence[DeputyIn], sites: Sequence[SiteIn]) -> Result:
    """Reasons why no assignment exists (an empty ``problems`` list when one does)."""
    from ortools.graph.python import max_flow

    result = Result(status=INFEASIBLE)
    site_by_key = {s.key: s for s in sites}
    for s in sites:
        if s.min_size > s.max_size:
            _add(result, f"site {s.name()}: minimum {s.min_size} is above maximum {s.max_size}",
                 "Site %(site)s: its minimum size %(min)s is above its maximum %(max)s.",
                 site=s.name(), min=s.min_size, max=s.max_size)
    reach: dict[int, list[DeputyIn]] = defaultdict(list)
    for d in deputies:
        allowed = [key for key in d.allowed if key in site_by_key]
        if not allowed:
            _add(result, f"deputy {d.name()} has no allowed site within reach",
                 "Deputy %(deputy)s has no allowed site within reach.", deputy=d.name())
        for key in allowed:
            reach[key].append(d)
    for s in sites:
        if len(reach[s.key]) < s.min_size:
            _add(result,
                 f"site {s.name()} cannot reach its minimum of {s.min_size}: "
                 f"only {len(reach[s.key])} deputies may be placed there",
                 "Site %(site)s cannot reach its minimum of %(min)s: only %(count)s deputies may be placed there.",
                 site=s.name(), min=s.min_size, count=len(reach[s.key]))
    capacity = sum(s.max_size for s in sites)
    if capacity < len(deputies):
        _add(result, f"total capacity {capacity} is below the {len(deputies)} deputies",
             "The sites hold at most %(capacity)s deputies in total, but there are %(count)s deputies.",
             capacity=capacity, count=len(deputies))
    minimum = sum(s.min_size for s in sites)
    if minimum > len(deputies):
        _add(result, f"the sites' minimums add up to {minimum}, above the {len(deputies)} deputies",
             "The sites' minimum sizes add up to %(minimum)s, but there are only %(count)s deputies.",
             minimum=minimum, count=len(deputies))
    if result.problems:
        return result

    # Hall's condition, both ways, by max-flow min-cut on the bipartite graph.
    n_d, sites_list = len(deputies), list(sites)
    site_index = {s.key: n_d + i for i, s in enumerate(sites_list)}
    source, sink = n_d + len(sites_list), n_d + len(sites_list) + 1

    # (a) every deputy placed within the maximum sizes
    flow = max_flow.SimpleMaxFlow()
    for i, d in enumerate(deputies):
        flow.add_arc_with_capacity(source, i, 1)
        for key in d.allowed:
            if key in site_index:
                flow.add_arc_with_capacity(i, site_index[key], n_d)
    for s in sites_list:
        flow.add_arc_with_capacity(site_index[s.key], sink, s.max_size)
    if flow.solve(source, sink) == flow.OPTIMAL and flow.optimal_flow() < n_d:
        side = set(flow.get_source_side_min_cut())
        group = [d for i, d in enumerate(deputies) if i in side]
        full = [s for s in sites_list if site_index[s.key] in side]
        _add(result,
             f"{len(group)} deputies ({_names([d.name() for d in group])}) may only go to "
             f"{len(full)} sites ({_names([s.name() for s in full])}), which hold at most "
             f"{sum(s.max_size for s in full)} together",
             "%(count)s deputies (%(deputies)s) may only go to %(sites_count)s sites (%(sites)s), "
             "which hold at most %(capacity)s together.",
             count=len(group), deputies=_names([d.name() for d in group]), sites_count=len(full),
             sites=_names([s.name() for s in full]), capacity=sum(s.max_size for s in full))

    # (b) every site reaches its minimum
    flow = max_flow.SimpleMaxFlow()
    need = 0
    for s in sites_list:
        flow.add_arc_with_capacity(source, site_index[s.key], s.min_size)
        need += s.min_size
    for i, d in enumerate(deputies):
        for key in d.allowed:
            if key in site_index:
                flow.add_arc_with_capacity(site_index[key], i, 1)
        flow.add_arc_with_capacity(i, sink, 1)
    if flow.solve(source, sink) == flow.OPTIMAL and flow.optimal_flow() < need:
        side = set(flow.get_source_side_min_cut())
        short = [s for s in sites_list if site_index[s.key] in side]
        pool = [d for i, d in enumerate(deputies) if i in side]
        _add(result,
             f"{len(short)} sites ({_names([s.name() for s in short])}) need at least "
             f"{sum(s.min_size for s in short)} deputies together, but only {len(pool)} may be placed there",
             "%(sites_count)s sites (%(sites)s) need at least %(need)s deputies together, "
             "but only %(count)s deputies may be placed there.",
             sites_count=len(short), sites=_names([s.name() for s in short]),
             need=sum(s.min_size for s in short), count=len(pool))
    return result


# --- solving ---------------------------------------------------------------------------------


def _cost(d: DeputyIn, key: int, dist: float, weights: Weights) -> float:
    moved = d.current is not None and key != d.current
    return weights.distance * dist + (weights.move_penalty if moved else 0.0)


def flow_start(deputies: Sequence[DeputyIn], sites: Sequence[SiteIn], weights: Weights) -> dict[int, int] | None:
    """Min-cost flow without the level term: nearest placement within size bounds (or None)."""
    from ortools.graph.python import min_cost_flow

    n_d = len(deputies)
    site_index = {s.key: n_d + i for i, s in enumerate(sites)}
    spill = n_d + len(sites)
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs: list[tuple[int, int, int]] = []
    for i, d in enumerate(deputies):
        flow.set_node_supply(i, 1)
        for key, dist in zip(d.allowed, d.distances, strict=True):
            if key in site_index:
                arc = flow.add_arc_with_capacity_and_unit_cost(
                    i, site_index[key], 1, int(round(_cost(d, key, dist, weights) * 1000))
                )
                arcs.append((arc, d.key, key))
    extra = n_d
    for s in sites:
        # a site absorbs its minimum itself; what it takes above that flows on to the spill node
        flow.set_node_supply(site_index[s.key], -s.min_size)
        extra -= s.min_size
        flow.add_arc_with_capacity_and_unit_cost(site_index[s.key], spill, s.max_size - s.min_size, 0)
    flow.set_node_supply(spill, -extra)
    if extra < 0 or flow.solve() != flow.OPTIMAL:
        return None
    return {d_key: s_key for arc, d_key, s_key in arcs if flow.flow(arc) > 0}


def evaluate(
    deputies: Sequence[DeputyIn], assignment: dict[int, int], weights: Weights
) -> float:
    """The objective of an assignment (same formula as the MIP)."""
    total = 0.0
    present: set[tuple[int, str]] = set()
    for d in deputies:
        key = assignment[d.key]
        total += _cost(d, key, d.distances[d.allowed.index(key)], weights)
        present.update((key, level) for level in d.levels)
    return total - weights.level_reward * len(present)


def solve(
    deputies: Sequence[DeputyIn],
    sites: Sequence[SiteIn],
    weights: Weights | None = None,
    time_limit: float = 30.0,
    progress: Callable[[int, str], None] | None = None,
    hint_start: bool = False,
    min_levels: int = 1,
) -> Result:
    """Solve on one thread within ``time_limit`` seconds; ``min_levels``: levels each site must mix (a
    hard rule when above 1, on top of the objective's reward per level present)."""
    from ortools.linear_solver import pywraplp

    weights = weights or Weights()
    report = progress or (lambda percent, note: None)
    started = time.perf_counter()
    report(5, "checking")
    problems = check(deputies, sites)
    if problems.problems:
        problems.build_seconds = time.perf_counter() - started
        return problems
    site_keys = {s.key for s in sites}
    # The min-cost flow (no level term) is only needed as a hint or when SCIP finds nothing in time.
    start = None
    if hint_start:
        report(15, "start")
        start = flow_start(deputies, sites, weights)

    report(25, "building")
    solver = pywraplp.Solver.CreateSolver("SCIP")
    if solver is None:  # pragma: no cover - SCIP ships with the ortools wheel
        raise RuntimeError("OR-Tools was built without SCIP")
    solver.SetNumThreads(1)
    solver.SetTimeLimit(int(time_limit * 1000))
    objective = solver.Objective()
    x: dict[tuple[int, int], Any] = {}
    at_site: dict[int, list[Any]] = defaultdict(list)
    with_level: dict[tuple[int, str], list[Any]] = defaultdict(list)
    for d in deputies:
        row = []
        for key, dist in zip(d.allowed, d.distances, strict=True):
            if key not in site_keys:
                continue
            var = solver.BoolVar("")
            x[d.key, key] = var
            objective.SetCoefficient(var, _cost(d, key, dist, weights))
            row.append(var)
            at_site[key].append(var)
            for level in d.levels:
                with_level[key, level].append(var)
        solver.Add(solver.Sum(row) == 1)
    for s in sites:
        total = solver.Sum(at_site[s.key])
        solver.Add(total >= s.min_size)
        solver.Add(total <= s.max_size)
    if weights.level_reward or min_levels > 1:
        present: dict[int, list[Any]] = defaultdict(list)
        for (site_key, _level), members in with_level.items():
            y = solver.BoolVar("")
            if weights.level_reward:
                objective.SetCoefficient(y, -weights.level_reward)
            solver.Add(y <= solver.Sum(members))
            present[site_key].append(y)
        if min_levels > 1:
            for s in sites:
                solver.Add(solver.Sum(present[s.key]) >= min_levels)
    objective.SetMinimization()
    if start is not None and hint_start:
        hint = [(var, 1.0 if start.get(d_key) == s_key else 0.0) for (d_key, s_key), var in x.items()]
        solver.SetHint([v for v, _ in hint], [value for _, value in hint])
    build = time.perf_counter() - started

    report(40, "solving")
    solve_started = time.perf_counter()
    status = solver.Solve()
    seconds = time.perf_counter() - solve_started
    result = Result(status=INFEASIBLE, seconds=seconds, build_seconds=build)
    if status in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        result.status = OPTIMAL if status == pywraplp.Solver.OPTIMAL else FEASIBLE
        result.assignment = {d_key: s_key for (d_key, s_key), var in x.items() if var.solution_value() > 0.5}
        result.objective = evaluate(deputies, result.assignment, weights)
        result.bound = objective.BestBound()
        if result.status == OPTIMAL:
            result.bound = min(result.bound, result.objective)
        denominator = max(abs(result.objective), 1e-9)
        result.gap = max(0.0, (result.objective - result.bound) / denominator)
        if result.status == OPTIMAL and result.gap < 1e-4:
            result.gap = 0.0
    elif (start := start or flow_start(deputies, sites, weights)) is not None:
        result.status = FALLBACK
        result.assignment = start
        result.objective = evaluate(deputies, start, weights)
    else:  # pragma: no cover - check() found nothing wrong, so the flow should have succeeded
        _add(result, "no assignment satisfies all size bounds at once",
             "No assignment satisfies all the size bounds at once.")
    report(100, result.status)
    return result

"""Mixed grouping at Taiyuan's size on one core: build seconds, solve seconds, objective, bound, gap.

Usage:

    .venv/bin/python bench/grouping.py [--k 12] [--min 3] [--max 20] [--time-limit 60] [--stability]

The input is the demo's plan (``lianxin.demo.generator.build_plan``: 4,906 deputies with their seats,
home and work points, and 546 sites — the same figures the demo database holds), built in memory,
without a database. ``--stability`` treats the demo's own greedy assignment as "today's" sites, so
the move penalty counts. Prints figures and asserts nothing (target: under 5 s to optimality).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=12)
    parser.add_argument("--min", type=int, default=3)
    parser.add_argument("--max", type=int, default=20)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--level-reward", type=float, default=5.0)
    parser.add_argument("--move-penalty", type=float, default=0.5)
    parser.add_argument("--stability", action="store_true")
    parser.add_argument("--min-levels", type=int, default=1, help="levels every site must mix (the demo uses 2)")
    args = parser.parse_args()

    from lianxin.demo.generator import build_plan
    from lianxin.grouping import solver

    t0 = time.perf_counter()
    plan = build_plan()
    t_plan = time.perf_counter() - t0

    t0 = time.perf_counter()
    level_of_path = {r.path: r.level for r in plan.regions}
    index = solver.SiteIndex([(i, s.region.path, s.lat, s.lon) for i, s in enumerate(plan.sites)])
    site_key = {id(s): i for i, s in enumerate(plan.sites)}
    deputies = []
    for p in plan.persons:
        area = solver.deputy_area(
            [solver.seat_area(s.level, s.constituency.path, level_of_path, solver.DEFAULT_AREA_BY_LEVEL)
             for s in p.seats]
        )
        current = site_key[id(p.site)] if args.stability and p.site is not None else None
        allowed, distances = index.nearest(
            area, [(p.home_lat, p.home_lon), (p.work_lat, p.work_lon)], args.k, current
        )
        deputies.append(solver.DeputyIn(p.key, frozenset(s.level for s in p.seats), allowed, distances, current))
    sites = [solver.SiteIn(i, args.min, args.max, s.code, s.region.path) for i, s in enumerate(plan.sites)]
    t_candidates = time.perf_counter() - t0

    weights = solver.Weights(level_reward=args.level_reward, move_penalty=args.move_penalty)
    result = solver.solve(deputies, sites, weights, time_limit=args.time_limit, min_levels=args.min_levels)
    levels_mixed: dict[int | None, set[str]] = {}
    for d in deputies:
        levels_mixed.setdefault(result.assignment.get(d.key), set()).update(d.levels)
    sizes: dict[int, int] = {}
    for key in result.assignment.values():
        sizes[key] = sizes.get(key, 0) + 1
    print(f"deputies {len(deputies)}, sites {len(sites)}, k {args.k}, sizes {args.min}-{args.max}, "
          f"min levels {args.min_levels}, "
          f"variables x {sum(len(d.allowed) for d in deputies)}")
    print(f"plan (demo generator)     {t_plan:8.2f} s")
    print(f"candidates (k nearest)    {t_candidates:8.2f} s")
    print(f"build (checks+model)      {result.build_seconds:8.2f} s")
    print(f"solve (SCIP, 1 thread)    {result.seconds:8.2f} s")
    print(f"status                    {result.status}")
    if result.objective is not None:
        print(f"objective                 {result.objective:12.3f}")
    if result.bound is not None:
        print(f"bound                     {result.bound:12.3f}")
    if result.gap is not None:
        print(f"gap                       {result.gap:12.6f}")
    if result.assignment:
        total_km = sum(d.distances[d.allowed.index(result.assignment[d.key])] for d in deputies)
        mixed = [len(v) for v in levels_mixed.values()]
        print(f"mean distance             {total_km / len(deputies):12.3f} km")
        print(f"levels per site           mean {sum(mixed) / len(mixed):.2f}, min {min(mixed)}, max {max(mixed)}")
        print(f"site sizes                min {min(sizes.values())}, max {max(sizes.values())}")
    for problem in result.problems:
        print("problem:", problem)


if __name__ == "__main__":
    main()

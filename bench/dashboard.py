"""The staff dashboard at 100× the demo on PostgreSQL: roll-up refresh time and page response times.

Usage (a database with the demo: ``createdb … bench_dash``, ``lianxin migrate && lianxin demo``):

    DATABASE_URL=postgres://postgres@127.0.0.1:55432/bench_dash .venv/bin/python bench/dashboard.py \
        [--factor 100] [-n 30] [--users city-admin,xiaodian-admin] [--no-scale] [--no-refresh]

Steps: (1) unless ``--no-scale``, multiply the opinions (``scale_opinions.py``) and the activities with
their attendance (``scale_activities.py``) to ``--factor`` × the demo (both idempotent: a scaled database
is left as it is); (2) unless ``--no-refresh``, rebuild the roll-ups in full (the nightly task) and the
last two months (the hourly task), timed; (3) request the dashboard page (the real view, through Django's
test ``Client`` in-process: middleware, session, view, templates) logged in as each user, two warm-up
requests, then ``-n`` timed ones; prints p50 / p95 / max in ms, the SQL queries of one request and their
time. The requirement is p95 < 300 ms for the city and for a district. Timings are never asserted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianxin.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

TARGET_P95_MS = 300.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def figures_breakdown(username: str, rounds: int) -> dict[str, float]:
    """The figures the dashboard reads, each timed alone (p50 over ``rounds``), as the page calls them."""
    import datetime

    from lianxin.accounts.models import User
    from lianxin.core import clock
    from lianxin.dashboard import effectiveness, figures
    from lianxin.dashboard.coverage import scope_for

    user = User.objects.get(username=username)
    today = clock.today()
    start = figures.months_of(datetime.date(today.year - 1, today.month, 1), today)[1]
    calls = {
        "headline": lambda s: figures.headline(s, datetime.date(2020, 1, 1)),
        "effectiveness": lambda s: figures.effectiveness(s, start, today),
        "districts": lambda s: figures.districts(s, start, today),
        "trends": lambda s: figures.trends(s, 24),
        "categories": lambda s: figures.categories(s, start, today),
        "quiet_sites": lambda s: figures.quiet_sites(s),
        "quiet_deputies": lambda s: figures.quiet_deputies(s),
        "overdue": lambda s: figures.overdue(s),
        "map_points": lambda s: figures.map_points(s),
        "formula": lambda s: effectiveness.formula_text(),
    }
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        scope = scope_for(user)
        for name, call in calls.items():
            started = time.perf_counter()
            call(scope)
            times[name].append((time.perf_counter() - started) * 1000)
    return {name: percentile(values, 0.5) for name, values in times.items()}


def run_script(name: str, factor: int) -> None:
    started = time.perf_counter()
    print(f"== {name} --factor {factor}", flush=True)
    subprocess.run([sys.executable, str(ROOT / "bench" / name), "--factor", str(factor)], check=True)  # noqa: S603
    print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--factor", type=int, default=100)
    parser.add_argument("-n", type=int, default=30, help="timed requests per user (after 2 warm-up requests)")
    parser.add_argument("--users", default="city-admin,xiaodian-admin")
    parser.add_argument("--no-scale", action="store_true")
    parser.add_argument("--no-refresh", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        print("dashboard.py needs PostgreSQL: set DATABASE_URL=postgres://…", file=sys.stderr)
        return 2
    if not args.no_scale:
        connection.close()
        run_script("scale_opinions.py", args.factor)
        run_script("scale_activities.py", args.factor)

    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from lianxin.accounts.models import User
    from lianxin.activities.models import Activity, Attendance
    from lianxin.dashboard import rollups
    from lianxin.dashboard.models import CategoryMonth, SiteMonth
    from lianxin.opinions.models import Opinion

    print(f"== data: {Opinion.objects.count():,} opinions, {Activity.objects.count():,} activities, "
          f"{Attendance.objects.count():,} attendance rows", flush=True)
    if not args.no_refresh:
        started = time.perf_counter()
        state = rollups.refresh()
        full = time.perf_counter() - started
        started = time.perf_counter()
        rollups.refresh(rollups.recent_months())
        recent = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE dashboard_sitemonth, dashboard_categorymonth, dashboard_sitelatest, "
                           "dashboard_deputylatest")
        print(f"== roll-ups: full refresh {full:.1f} s ({state.rows:,} rows: {SiteMonth.objects.count():,} "
              f"site-months, {CategoryMonth.objects.count():,} category-months); "
              f"last two months {recent:.1f} s", flush=True)

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    url = reverse("dashboard:board")
    print(f"== {url}: 2 warm-up + {args.n} timed requests per user", flush=True)
    print(f"{'user':18} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8} {'sql ms':>8}  verdict")
    worst = 0.0
    figures_ms: list[tuple[str, dict[str, float]]] = []
    for username in [u.strip() for u in args.users.split(",") if u.strip()]:
        client = Client()
        client.force_login(User.objects.get(username=username))
        for _warm in range(2):
            response = client.get(url)
            if response.status_code != 200:
                print(f"{username}: HTTP {response.status_code}", file=sys.stderr)
                return 1
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        # read now: the next request's request_started signal resets the connection's query log
        queries = len(captured.captured_queries)
        sql_ms = sum(float(q["time"]) for q in captured.captured_queries) * 1000
        times = []
        for _ in range(args.n):
            started = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        p95 = percentile(times, 0.95)
        worst = max(worst, p95)
        verdict = "ok" if p95 < TARGET_P95_MS else f"over {TARGET_P95_MS:.0f} ms"
        print(f"{username:18} {percentile(times, 0.5):8.1f} {p95:8.1f} {max(times):8.1f} {queries:8} "
              f"{sql_ms:8.1f}  {verdict}", flush=True)
        figures_ms.append((username, figures_breakdown(username, max(5, args.n // 3))))
    for username, parts in figures_ms:
        total = sum(parts.values())
        print(f"   figures for {username} (p50 ms each, fresh scope per round; {total:.1f} ms in all): "
              + ", ".join(f"{name} {ms:.1f}" for name, ms in parts.items()))
    print(f"== worst p95 {worst:.1f} ms (requirement < {TARGET_P95_MS:.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

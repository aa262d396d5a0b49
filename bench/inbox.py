"""Staff case list and handling-unit inbox: latency and query counts per page, at any data size.

Usage (PostgreSQL holding the demo, optionally multiplied by bench/scale_opinions.py):

    DATABASE_URL=postgres://postgres@127.0.0.1:55432/bench_inbox .venv/bin/python bench/inbox.py
    # both sizes side by side (each database measured by its own child process):
    .venv/bin/python bench/inbox.py --compare postgres://…/demo_db postgres://…/scaled_db

Requests go through Django's test ``Client`` in-process (middleware, session, view, template: all
of the request but the HTTP server), logged in with ``force_login`` as the demo accounts
(``city-admin``, ``xiaodian-admin``, ``site-manager``, ``unit-staff``). For each page: a warm-up,
then ``-n`` timed requests (fewer when a page uses up its time budget); p50 / p95 / max in ms; the
number of SQL queries of one request and their time (``CaptureQueriesContext``); the rows on the
page and the total the page shows (1000: "more than 1,000"). Filter values are chosen from the data the same way at every size (the
site, unit, deputy … with the most cases in the user's scope), so the two columns compare.
It prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianxin.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")  # no JSON line per request on stderr

USERS = ("city-admin", "xiaodian-admin", "site-manager", "unit-staff")
QUEUES = ("new", "mine", "due_soon", "overdue", "returned", "unsatisfied")
INBOX_TABS = ("all", "new", "in_progress", "due_soon", "overdue", "reopened", "replied")
# Two-character words of the demo texts, from rare to very common (希望 is in over half the cases),
# one absent word, and a two-word query.
WORDS = ("噪音", "路灯", "停车", "小区", "希望", "地铁", "小区 停车")
DEEP = 50  # the deep page: follow the "next page" cursor to this page


@dataclass
class Result:
    user: str
    page: str
    url: str
    n: int
    p50: float
    p95: float
    max: float
    queries: int
    sql_ms: float
    rows: int
    total: Any


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


class Recorder:
    """Catches the context the list views render (page rows, total), without the test signals."""

    def __init__(self) -> None:
        self.context: dict[str, Any] = {}

    def install(self) -> None:
        from lianxin.opinions import unit_views, views

        for module in (views, unit_views):
            original = module.render

            def render(request: Any, template: str, context: Any = None, *args: Any,
                       _original: Any = original, **kwargs: Any) -> Any:
                self.context = context or {}
                return _original(request, template, context, *args, **kwargs)

            module.render = render  # type: ignore[assignment]


def run(n: int, budget: float, only: str | None, users: tuple[str, ...]) -> list[Result]:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from lianxin.accounts.models import User
    from lianxin.opinions.models import Category, Opinion
    from lianxin.regions.models import Region

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    recorder = Recorder()
    recorder.install()
    results: list[Result] = []
    today = datetime.date.today()

    def most_common(user: User, column: str) -> int | None:
        row = (Opinion.objects.visible_to(user).exclude(**{f"{column}__isnull": True}).values(column)
               .annotate(n=Count("pk")).order_by("-n", column).first())
        return row[column] if row else None

    def measure(client: Client, user: str, page: str, url: str, params: dict[str, Any]) -> None:
        label = f"{user} {page}"
        if only and only not in label:
            return
        for _warm in range(2):
            response = client.get(url, params)
            assert response.status_code == 200, (label, response.status_code)
        with CaptureQueriesContext(connection) as captured:
            client.get(url, params)
        queries = len(captured)
        sql_ms = sum(float(q["time"]) for q in captured.captured_queries) * 1000
        context = recorder.context
        rows = len(context["page"].rows) if "page" in context else 0
        total = context.get("total")
        times: list[float] = []
        spent_from = time.perf_counter()
        while len(times) < n and (len(times) < 5 or time.perf_counter() - spent_from < budget):
            start = time.perf_counter()
            client.get(url, params)
            times.append((time.perf_counter() - start) * 1000)
        query = "&".join(f"{k}={v}" for k, v in params.items() if k != "cursor") + ("&cursor=…" if "cursor" in params else "")
        result = Result(user, page, f"{url}?{query}" if query else url, len(times), statistics.median(times),
                        percentile(times, 0.95), max(times), queries, sql_ms, rows, total)
        results.append(result)
        print(f"  {label:42} p50 {result.p50:7.1f}  p95 {result.p95:7.1f}  q {queries:3}  sql {sql_ms:6.1f}  rows {rows:3}  "
              f"total {total}", file=sys.stderr, flush=True)

    def deep_cursor(client: Client, url: str, params: dict[str, Any]) -> tuple[str | None, int]:
        cursor, depth = None, 1
        while depth < DEEP:
            client.get(url, {**params, **({"cursor": cursor} if cursor else {})})
            following = recorder.context["page"].next_cursor
            if not following:
                break
            cursor, depth = following, depth + 1
        return cursor, depth

    for username in users:
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        staff = "/staff/opinions/"
        measure(client, username, "list: first page", staff, {})
        cursor, depth = deep_cursor(client, staff, {})
        if cursor:
            measure(client, username, f"list: page {depth}", staff, {"cursor": cursor})
        for queue in QUEUES:
            measure(client, username, f"queue {queue}", staff, {"queue": queue})
        filters: dict[str, dict[str, Any]] = {
            "status": {"status": "transferred"},
            "urgency": {"urgency": "urgent"},
            "channel": {"channel": "phone"},
            "dates": {"created_from": (today - datetime.timedelta(days=60)).isoformat(),
                      "created_to": (today - datetime.timedelta(days=30)).isoformat()},
        }
        category = most_common(user, "category")
        if category:
            filters["category"] = {"category": category}
        for name, column in (("site", "station"), ("unit", "unit"), ("deputy", "deputy")):
            value = most_common(user, column)
            if value:
                filters[name] = {name: value}
        region = most_common(user, "region")
        if region and Region.objects.filter(pk=region, level__in=[Region.Level.COUNTY, Region.Level.TOWNSHIP]).exists():
            filters["region"] = {"region": region}
        if not Category.objects.exists():
            filters.pop("category", None)
        for name, params in filters.items():
            measure(client, username, f"filter {name}", staff, params)
        for word in WORDS:
            measure(client, username, f"search {word}", staff, {"q": word})
        if user.role == "unit_staff":
            inbox = "/staff/opinions/inbox/"
            for tab in INBOX_TABS:
                measure(client, username, f"inbox {tab}", inbox, {"tab": tab})
            for tab in ("all", "replied"):
                cursor, depth = deep_cursor(client, inbox, {"tab": tab})
                if cursor:
                    measure(client, username, f"inbox {tab} page {depth}", inbox, {"tab": tab, "cursor": cursor})
            for word in ("路灯", "小区 停车"):
                measure(client, username, f"inbox search {word}", inbox, {"q": word})
    return results


def database_label() -> str:
    import django

    django.setup()
    from lianxin.opinions.models import Opinion

    return f"{Opinion.objects.count():,} opinions"


def print_table(title: str, results: list[dict[str, Any]]) -> None:
    print(title)
    print(f"{'page':44} {'p50':>7} {'p95':>7} {'max':>7} {'n':>3} {'queries':>7} {'sql ms':>7} {'rows':>4} {'total':>8}")
    for r in results:
        print(f"{r['user'] + ' ' + r['page']:44} {r['p50']:7.1f} {r['p95']:7.1f} {r['max']:7.1f} {r['n']:3} "
              f"{r['queries']:7} {r['sql_ms']:7.1f} {r['rows']:4} {str(r['total']):>8}")


def print_compare(labels: list[str], runs: list[list[dict[str, Any]]]) -> None:
    # a deep page is as deep as the data allows (page 11 of a small scope, page 50 of a large one)
    keyed = [{(r["user"], re.sub(r":? page \d+$", " deep page", r["page"])): r for r in results} for results in runs]
    head = f"{'page':40}"
    for label in labels:
        head += f" | {label[:30]:^30}"
    print(head)
    print(f"{'':40}" + f" | {'p50':>6} {'p95':>6} {'q':>3} {'rows':>4} {'total':>6}" * len(labels) + "  same q?")
    for key in dict.fromkeys(key for table in keyed for key in table):
        line = f"{key[0] + ' ' + key[1]:40}"
        counts = []
        for table in keyed:
            r = table.get(key)
            if r is None:
                line += f" | {'—':>30}"
                continue
            counts.append(r["queries"])
            line += f" | {r['p50']:6.1f} {r['p95']:6.1f} {r['queries']:3} {r['rows']:4} {str(r['total']):>6}"
        print(line + ("  yes" if len(set(counts)) == 1 else "  NO"))
    for label, results in zip(labels, runs, strict=True):
        worst = max(results, key=lambda r: r["p95"])
        over = [r for r in results if r["p95"] >= 150]
        print(f"{label}: worst p95 {worst['p95']:.1f} ms ({worst['user']} {worst['page']}); "
              f"{len(over)} of {len(results)} pages at or over 150 ms p95")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=30, help="timed requests per page (default 30)")
    parser.add_argument("--budget", type=float, default=6.0, help="seconds per page before stopping early (min 5 requests)")
    parser.add_argument("--only", help="only pages whose 'user page' label contains this text")
    parser.add_argument("--users", default=",".join(USERS), help="comma-separated demo accounts")
    parser.add_argument("--json", help="write the results to this file as well")
    parser.add_argument("--compare", nargs="+", metavar="DATABASE_URL",
                        help="measure each database in a child process and print them side by side")
    args = parser.parse_args()
    users = tuple(u for u in args.users.split(",") if u)
    if args.compare:
        labels, runs = [], []
        for url in args.compare:
            with tempfile.NamedTemporaryFile(suffix=".json") as out:
                command = [sys.executable, __file__, "-n", str(args.n), "--budget", str(args.budget),
                           "--users", ",".join(users), "--json", out.name] + (["--only", args.only] if args.only else [])
                print(f"== {url}", file=sys.stderr, flush=True)
                subprocess.run(command, env={**os.environ, "DATABASE_URL": url}, check=True,  # noqa: S603
                               stdout=subprocess.DEVNULL)
                data = json.loads(Path(out.name).read_text())
            labels.append(data["label"])
            runs.append(data["results"])
        print_compare(labels, runs)
        return 0
    label = database_label()
    started = time.perf_counter()
    results = [asdict(r) for r in run(args.n, args.budget, args.only, users)]
    print_table(f"{label}, in-process Client, {time.perf_counter() - started:.0f} s", results)
    if args.json:
        Path(args.json).write_text(json.dumps({"label": label, "results": results}, ensure_ascii=False, default=str))
    counts = Counter(r["p95"] >= 150 for r in results)
    print(f"{counts[True]} of {len(results)} pages at or over 150 ms p95")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Issue 3: public submission through the real stack, against a bare Django view inserting one row.

usage: DATABASE_URL=postgres://… .venv/bin/python bench/submit.py [--duration 15] [--connections 8]
           [--threads 2] [--rounds 1] [--replay 200] [--worker-class sync|gthread] [--no-redis]

gunicorn (2 workers) serves Lianxin with the bench settings (``bench/bench_settings.py``: Lianxin's own
settings plus ``/bench/insert``); a private redis-server (huey's queue and the cache, as in production;
``--no-redis``: huey on SQLite, cache in process memory) and wrk on loopback. Each round drives, with the
same threads, connections and duration: the floor (``POST /bench/insert``: one INSERT in autocommit);
then the public API (``POST /api/v1/public/opinions``, every request with its own Idempotency-Key and
phone) twice:

(a) no consumer during wrk — afterwards a real huey consumer (``lianxin run_huey``, 2 threads) drains the
    queue: registrations per second and the time to drain;
(b) the consumer running during wrk — submit req/s with registration competing for the CPU, and how long
    after wrk stopped the last intake was registered.

It prints the requests/s, ratios to the floor (the requirement: submit at least 60% of the floor), wrk's
latency percentiles, the non-2xx answers, then checks exactly-once: every acknowledged tracking code has
one ``OpinionIntake`` and, once registered, one ``Opinion`` with that code, one ``submit`` event and a
bigram index; and it replays a sample of keys already sent (the same tracking codes, no new rows).

It sets up the database itself (migrate; the demo's sites and categories if missing, without the demo
opinions), lifts only the per-address submit limit (``OPINION_API_SUBMIT_RATE_IP``: every request comes
from 127.0.0.1; both limits are still counted, in ``opinions_submitcounter``, emptied before each submission
run because wrk's phones repeat from run to run), and removes what it made — its intakes and opinions, its table, its queue — and stops
gunicorn, the consumer and redis even on Ctrl-C or an error. PostgreSQL only; wrk is ``apt-get install wrk``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "lua" / "submit.lua"
SUBMIT_PATH = "/api/v1/public/opinions"
FLOOR_PATH = "/bench/insert"
TITLE_MARK = "bench-submit-"  # every title this bench stores starts with it (cleanup removes them all)
WARMUP_SECONDS = 3
CONSUMER_THREADS = 2
DRAIN_TIMEOUT = 300  # seconds the consumer gets to register what one submit run received
GUNICORN_LOG = Path(tempfile.gettempdir()) / "bench-submit-gunicorn.log"
CONSUMER_LOG = Path(tempfile.gettempdir()) / "bench-submit-consumer.log"


def fail(message: str, code: int = 2) -> NoReturn:
    print(f"bench/submit.py: {message}", file=sys.stderr)
    raise SystemExit(code)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=15, help="seconds of wrk per run (default 15, max 120)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8, max 256)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2, max 9)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2: the requirement)")
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync",
                        help="gunicorn worker class (default sync; see bench/README.md)")
    parser.add_argument("--worker-threads", type=int, default=4, help="threads per gthread worker (default 4)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="floor, submit (a), submit (b), this many times (default 1; 3 evens out a shared machine)")
    parser.add_argument("--replay", type=int, default=200, help="acknowledged keys replayed afterwards (default 200)")
    parser.add_argument("--no-redis", action="store_true",
                        help="no redis-server: huey queues to SQLite, the cache is per-process memory")
    args = parser.parse_args()
    if not 1 <= args.duration <= 120:
        parser.error("--duration must be 1..120 seconds")
    if not 1 <= args.rounds <= 5:
        parser.error("--rounds must be 1..5")
    if not 1 <= args.threads <= 9:
        parser.error("--threads must be 1..9 (the thread number is one digit of the phone)")
    if not args.threads <= args.connections <= 256:
        parser.error("--connections must be at least --threads and at most 256")
    if not 1 <= args.workers <= 8:
        parser.error("--workers must be 1..8")
    return args


def check_prerequisites(args: argparse.Namespace) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        fail("the requirement is measured on PostgreSQL: set DATABASE_URL=postgres://user@host:port/db "
             "(SQLite is refused)." + (f" Got: {url.split(':', 1)[0]}://…" if url else ""))
    if shutil.which("wrk") is None:
        fail("wrk is not installed: apt-get install wrk")
    if not (Path(sys.executable).parent / "gunicorn").exists():
        fail(f"gunicorn is not installed next to {sys.executable}: pip install -r requirements.lock")
    if not args.no_redis and shutil.which("redis-server") is None:
        fail("redis-server is not installed (apt-get install redis-server), or run with --no-redis")
    if os.environ.get("REDIS_URL"):
        fail("REDIS_URL is set: this bench starts a redis-server of its own (or --no-redis); unset it")
    return url


def configure_environment(var_dir: Path, redis_url: str) -> None:
    """The environment shared by this process (setup, checks), gunicorn and the consumer: the real configuration."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    os.environ["LIANXIN_VAR_DIR"] = str(var_dir)  # huey's SQLite queue (without REDIS_URL) lives here
    os.environ["DEBUG"] = "0"
    os.environ["LOG_LEVEL"] = "WARNING"  # no log line per request
    os.environ.pop("HUEY_IMMEDIATE", None)  # tasks are queued, as in production, never run inline
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
    # Every request comes from 127.0.0.1: lift the per-address limits only (phones are all distinct).
    os.environ["OPINION_API_SUBMIT_RATE_IP"] = "100000000/60"
    os.environ["OPINION_RATE_IP"] = "100000000/60"
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))
    sys.path.insert(0, str(ROOT))


# ---- redis ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A private redis-server on a free loopback port, no persistence, in the bench's temporary directory."""
    port = free_port()
    directory = workdir / "redis"
    directory.mkdir()
    command = [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1",
               "--save", "", "--appendonly", "no", "--dir", str(directory), "--daemonize", "no",
               "--logfile", str(directory / "redis.log")]
    server = subprocess.Popen(command, start_new_session=True, stdin=subprocess.DEVNULL,  # noqa: S603
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if server.poll() is not None:
            fail(f"redis-server exited with {server.returncode}", 1)
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            if sock.recv(16).startswith(b"+PONG"):
                return server, f"redis://127.0.0.1:{port}/0"
        time.sleep(0.1)
    stop_process(server)
    fail("redis-server did not answer PING within 15 s", 1)


def stop_process(process: subprocess.Popen[bytes] | None, timeout: float = 15) -> None:
    """Stop a process this script started in a session of its own (SIGTERM, then SIGKILL to its group)."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # the group of the process this script started
        process.wait(timeout=5)


# ---- database ---------------------------------------------------------------------------------------


def prepare_database() -> tuple[str, str, str]:
    """Migrate, make sure sites and categories exist, create the floor table; returns (site, category, db)."""
    import io

    from django.core.management import call_command
    from django.db import connection

    from bench.bench_urls import FLOOR_TABLE
    from lianxin.opinions.models import Category
    from lianxin.stations.models import Station

    call_command("migrate", verbosity=0)
    if not Station.objects.active().exists():
        print("loading the demo sites and categories (lianxin demo --without-opinions; minutes on a fresh database)…")
        call_command("demo", without_opinions=True, stdout=io.StringIO())
    if not Category.objects.filter(active=True).exists():
        from lianxin.demo.opinions import ensure_categories

        ensure_categories()
    site = Station.objects.active().order_by("code").values_list("code", flat=True).first()
    category = Category.objects.filter(active=True).order_by("sort_order", "code").values_list("code", flat=True).first()
    if site is None or category is None:
        fail("no open site or no active category after loading the demo")
    remove_rows()  # a run killed hard may have left some
    from lianxin.opinions.models import OpinionIntake

    pending = OpinionIntake.objects.filter(registered_at__isnull=True).count()
    if pending:
        # The consumer registers every pending intake, oldest first: the drains would wait for these.
        fail(f"{pending} submissions in this database are not registered yet and are not this bench's; its "
             "drains would register them first. Register them (lianxin shell -c \"from lianxin.opinions "
             "import services; services.register_new(limit=10**9)\") or use another database.")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")
        cursor.execute(f"CREATE TABLE {FLOOR_TABLE} (id bigserial PRIMARY KEY, key text NOT NULL, "
                       "created_at timestamptz NOT NULL)")
    settings_db = connection.settings_dict
    where = f"{settings_db['HOST'] or 'socket'}:{settings_db['PORT'] or 5432}/{settings_db['NAME']}"
    version = connection.cursor().connection.info.server_version
    connection.close()
    return str(site), str(category), f"PostgreSQL {version // 10000}.{version % 10000} at {where}"


def remove_rows() -> tuple[int, int]:
    """Delete the bench's opinions (their events, bigrams, notifications and intakes cascade), then any
    intake left unregistered; returns (opinions, intakes)."""
    from lianxin.opinions.models import Opinion, OpinionIntake

    _total, by_model = Opinion.objects.filter(title__startswith=TITLE_MARK, channel="api").delete()
    _total, left = OpinionIntake.objects.filter(title__startswith=TITLE_MARK, channel="api").delete()
    intakes = by_model.get("opinions.OpinionIntake", 0) + left.get("opinions.OpinionIntake", 0)
    return by_model.get("opinions.Opinion", 0), intakes


def drop_floor_table() -> None:
    from django.db import connection

    from bench.bench_urls import FLOOR_TABLE

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")


def intakes_of(prefix: str) -> Any:
    from lianxin.opinions.models import OpinionIntake

    return OpinionIntake.objects.filter(title__startswith=prefix)


def count_intakes(tag: str) -> int:
    return int(intakes_of(f"{tag} ").count())


def unregistered(prefix: str) -> int:
    return int(intakes_of(prefix).filter(registered_at__isnull=True).count())


def queued_tasks() -> int:
    from huey.contrib.djhuey import HUEY

    return int(HUEY.pending_count())


def huey_mode() -> str:
    from django.conf import settings

    huey = settings.HUEY
    kind = str(huey["huey_class"]).rsplit(".", 1)[-1]
    where = f"private redis-server {settings.REDIS_URL}" if settings.REDIS_URL else "SQLite in a temporary directory"
    if huey.get("immediate"):
        return f"{kind} ({where}), immediate mode: tasks run inline in the web worker"
    return f"{kind} ({where}), tasks queued on commit; consumer `lianxin run_huey -w {CONSUMER_THREADS} -k thread`"


# ---- gunicorn and the consumer ---------------------------------------------------------------------


def start_gunicorn(args: argparse.Namespace, port: int) -> subprocess.Popen[bytes]:
    command = [
        str(Path(sys.executable).parent / "gunicorn"), "lianxin.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers), "--worker-class", args.worker_class,
        "--pythonpath", str(ROOT), "--chdir", str(ROOT),
        "--log-level", "warning", "--error-logfile", str(GUNICORN_LOG), "--timeout", "60",
    ]
    if args.worker_class == "gthread":
        command += ["--threads", str(args.worker_threads)]
    GUNICORN_LOG.write_text("")  # gunicorn appends: keep only this run's log
    # Its own session: a Ctrl-C in the terminal reaches this script, which then stops gunicorn itself.
    return subprocess.Popen(command, start_new_session=True, stdin=subprocess.DEVNULL,  # noqa: S603
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_ready(server: subprocess.Popen[bytes], port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            fail(f"gunicorn exited with {server.returncode}; see {GUNICORN_LOG}:\n{log_tail(GUNICORN_LOG)}", 1)
        with contextlib.suppress(OSError), urllib.request.urlopen(  # noqa: S310
            f"http://127.0.0.1:{port}/healthz", timeout=2
        ) as answer:
            if answer.status == 200:
                return
        time.sleep(0.3)
    fail(f"gunicorn did not answer /healthz within {timeout:.0f} s; see {GUNICORN_LOG}", 1)


def start_consumer() -> subprocess.Popen[bytes]:
    """The real huey consumer (``lianxin run_huey``), same environment as gunicorn, its log to a file."""
    command = [str(Path(sys.executable).parent / "lianxin"), "run_huey", "--workers", str(CONSUMER_THREADS),
               "--worker-type", "thread"]
    log = CONSUMER_LOG.open("ab")
    try:
        return subprocess.Popen(command, start_new_session=True, stdin=subprocess.DEVNULL,  # noqa: S603
                                stdout=log, stderr=log, cwd=ROOT)
    finally:
        log.close()


def log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_registered(prefix: str, consumer: subprocess.Popen[bytes], timeout: float = DRAIN_TIMEOUT) -> bool:
    """Wait until every intake whose title starts with prefix is registered; False on timeout."""
    deadline = time.monotonic() + timeout
    while unregistered(prefix):
        if consumer.poll() is not None:
            fail(f"the huey consumer exited with {consumer.returncode}; see {CONSUMER_LOG}:\n{log_tail(CONSUMER_LOG)}",
                 1)
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def registration_span(tag: str) -> tuple[datetime.datetime | None, datetime.datetime | None, int]:
    from django.db.models import Count, Max, Min

    span = intakes_of(f"{tag} ").aggregate(first=Min("registered_at"), last=Max("registered_at"), n=Count("id"))
    return span["first"], span["last"], int(span["n"])


# ---- wrk --------------------------------------------------------------------------------------------


@dataclass
class WrkResult:
    label: str
    path: str
    data: dict[str, Any]
    codes: list[str] = field(default_factory=list)
    ended: datetime.datetime | None = None  # wall clock when wrk returned (compared with registered_at)

    @property
    def rps(self) -> float:
        return self.data["requests"] / (self.data["duration_us"] / 1e6)

    def ms(self, name: str) -> float:
        return float(self.data["latency_us"][name]) / 1000

    @property
    def errors(self) -> int:
        e = self.data["errors"]
        return int(e["connect"] + e["read"] + e["write"] + e["timeout"])


def run_wrk(label: str, port: int, path: str, args: argparse.Namespace, seconds: int, env: dict[str, str],
            workdir: Path) -> WrkResult:
    from django.utils import timezone

    codes_file = workdir / f"codes-{label}.txt"
    if path == SUBMIT_PATH:
        reset_rate_counters()
    command = [
        shutil.which("wrk") or "wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{seconds}s",
        "--timeout", "10s", "-s", str(LUA), f"http://127.0.0.1:{port}{path}",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,  # noqa: S603
                               env={**os.environ, **env, "BENCH_CODES_FILE": str(codes_file)})
    try:
        out, err = process.communicate(timeout=seconds + 60)
    except BaseException:  # interrupted (or hung): never leave wrk running
        process.kill()
        process.wait()
        raise
    ended = timezone.now()
    text = out.decode(errors="replace")
    line = next((ln for ln in text.splitlines() if ln.startswith("BENCH-RESULT ")), None)
    if process.returncode != 0 or line is None:
        fail(f"wrk failed ({process.returncode}):\n{text}\n{err.decode(errors='replace')}", 1)
    assert line is not None
    codes = codes_file.read_text().split() if codes_file.exists() else []
    return WrkResult(label, path, json.loads(line.removeprefix("BENCH-RESULT ")), codes, ended)


def reset_rate_counters() -> None:
    """Every submission run starts without rate-limit counters: wrk's script numbers its phones from 1 in
    each run, so the per-phone limit (counted in ``opinions_submitcounter`` on PostgreSQL) would refuse the
    repeats of earlier runs. Only the bench's own database is touched (as a fresh Redis per bench did)."""
    from lianxin.opinions.models import SubmitCounter

    SubmitCounter.objects.all().delete()


# ---- checks -----------------------------------------------------------------------------------------


def request_of(title: str) -> tuple[str, str]:
    """(Idempotency-Key, phone) of the request that stored a title "<tag> <thread>-<n> …" (see submit.lua)."""
    tag, request_id = title.split(" ", 2)[:2]
    thread, n = request_id.split("-")
    return f"{tag}-{request_id}", f"13{int(thread)}{int(n):08d}"


def settle(tag: str, timeout: float = 10) -> int:
    """Intakes of the run once gunicorn has finished what was in flight when wrk stopped."""
    previous, deadline = -1, time.monotonic() + timeout
    while True:
        now = count_intakes(tag)
        if now == previous or time.monotonic() > deadline:
            return now
        previous = now
        time.sleep(0.5)


def exactly_once(tag: str, result: WrkResult) -> dict[str, Any]:
    from django.db.models import Count

    from lianxin.api.opinions_public import _stored_key
    from lianxin.opinions.models import Opinion, OpinionEvent, OpinionGram

    intakes = list(intakes_of(f"{tag} ").values_list("title", "tracking_code", "idempotency_key", "opinion_id"))
    codes = {code for _title, code, _key, _opinion in intakes}
    acked = result.codes
    twice = intakes_of(f"{tag} ").values("title").annotate(n=Count("id")).filter(n__gt=1).count()
    wrong_key = sum(1 for title, _code, key, _opinion in intakes if _stored_key(*request_of(title)) != key)
    opinions = list(Opinion.objects.filter(title__startswith=f"{tag} ").values_list("id", "tracking_code", "title"))
    by_code = {code: (opinion_id, title) for opinion_id, code, title in opinions}
    linked = sum(1 for title, code, _key, opinion in intakes
                 if opinion is not None and by_code.get(code) == (opinion, title))
    ids = [opinion_id for opinion_id, _code, _title in opinions]
    events = dict(OpinionEvent.objects.filter(opinion_id__in=ids, action="submit").values("opinion_id")
                  .annotate(n=Count("id")).values_list("opinion_id", "n"))
    with_grams = OpinionGram.objects.filter(opinion_id__in=ids).values("opinion_id").distinct().count()
    answered = result.data["acked"] + result.data["non2xx"]
    return {
        "acked": len(acked),
        "acked_without_code": result.data["acked"] - len(acked),
        "acked_twice": len(acked) - len(set(acked)),
        "intakes": len(intakes),
        "lost": len(set(acked) - codes),
        "intake_twice": twice,
        "in_flight": len(codes - set(acked)),
        "unanswered": result.data["sent"] - answered,
        "wrong_key": wrong_key,
        "opinions": len(opinions),
        "opinion_codes_twice": len(opinions) - len(by_code),
        "without_opinion": len(codes - set(by_code)),
        "opinion_without_intake": len(set(by_code) - codes),
        "acked_without_opinion": len(set(acked) - set(by_code)),
        "linked": linked,
        "one_submit_event": sum(1 for opinion_id in ids if events.get(opinion_id) == 1),
        "without_grams": len(opinions) - with_grams,
        "rows": intakes,
    }


def replay(port: int, rows: list[tuple[str, str, str, int | None]], acked: set[str], sample: int,
           site: str, category: str) -> dict[str, Any]:
    from lianxin.opinions.models import Opinion, OpinionIntake

    def counts() -> tuple[int, int, int]:
        return OpinionIntake.objects.count(), Opinion.objects.count(), queued_tasks()

    candidates = [row for row in rows if row[1] in acked]
    chosen = random.sample(candidates, min(sample, len(candidates)))
    before = counts()
    same = 0
    statuses: dict[str, int] = {}
    for title, code, _key, _opinion in chosen:
        key, phone = request_of(title)
        body = {"category": category, "station": site, "title": title, "text": "replay", "name": "王小二",
                "phone": phone, "consent": True}
        request = urllib.request.Request(  # noqa: S310
            f"http://127.0.0.1:{port}{SUBMIT_PATH}", data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "Idempotency-Key": key},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                status, data = answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            status, data = error.code, {}
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        if status == 200 and data.get("tracking_code") == code:
            same += 1
    return {"replayed": len(chosen), "same": same, "statuses": statuses, "before": before, "after": counts()}


# ---- report -----------------------------------------------------------------------------------------


def print_table(results: list[WrkResult]) -> None:
    print(f"  {'':12}{'path':27}{'req/s':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'errors':>8}")
    for r in results:
        print(f"  {r.label:12}{r.path:27}{r.rps:9.1f}{r.ms('p50'):9.1f}{r.ms('p90'):9.1f}{r.ms('p99'):9.1f}"
              f"{r.data['non2xx']:9d}{r.errors:8d}")
        if r.data["statuses"]:
            print(f"  {'':12}non-2xx by status: {r.data['statuses']}")


def overall_rps(results: list[WrkResult]) -> float:
    seconds = sum(r.data["duration_us"] / 1e6 for r in results)
    return sum(r.data["requests"] for r in results) / seconds if seconds else 0.0


def interrupted(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


@dataclass
class Round:
    floor: WrkResult
    tag_a: str
    submit_a: WrkResult
    tag_b: str = ""
    submit_b: WrkResult | None = None
    queued_a: int = 0  # tasks queued by run (a) (queue length after it, minus before)
    intakes_a: int = 0
    drain_seconds: float | None = None  # consumer start -> last intake of (a) registered
    drain_rate: float | None = None  # registrations/s of (a), first to last registration
    drain_first: float | None = None  # consumer start -> first intake of (a) registered (start-up, earlier tasks)
    backlog_b: int = 0  # intakes of (b) not yet registered when wrk stopped
    lag_b: float | None = None  # wrk stopped -> last intake of (b) registered
    notes: list[str] = field(default_factory=list)


def wait_queue_empty(timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while (left := queued_tasks()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def run_round(round_no: int, args: argparse.Namespace, port: int, run: str, common: dict[str, str],
              workdir: Path, processes: dict[str, subprocess.Popen[bytes] | None]) -> Round:
    from django.utils import timezone

    label = "" if args.rounds == 1 else f" {round_no}"
    tag = f"{TITLE_MARK}{run}r{round_no}"
    time.sleep(1)
    floor = run_wrk(f"floor{label}", port, FLOOR_PATH, args, args.duration, {**common, "BENCH_TAG": f"{tag}f"},
                    workdir)
    # (a) no consumer: the queue grows during wrk, a consumer drains it afterwards.
    time.sleep(1)
    queued_before = queued_tasks()
    tag_a = f"{tag}a"
    submit_a = run_wrk(f"submit a{label}", port, SUBMIT_PATH, args, args.duration, {**common, "BENCH_TAG": tag_a},
                       workdir)
    this = Round(floor, tag_a, submit_a, intakes_a=settle(tag_a))
    this.queued_a = queued_tasks() - queued_before
    started = timezone.now()
    processes["consumer"] = consumer = start_consumer()
    if wait_registered(f"{tag_a} ", consumer):
        first, last, n = registration_span(tag_a)
        if first is not None and last is not None:
            this.drain_seconds = (last - started).total_seconds()
            this.drain_first = (first - started).total_seconds()
            span = (last - first).total_seconds()
            this.drain_rate = (n - 1) / span if span > 0 else None
    else:
        this.notes.append(f"(a) not drained within {DRAIN_TIMEOUT} s: {unregistered(f'{tag_a} ')} left")
    if left := wait_queue_empty():
        this.notes.append(f"{left} tasks still queued before (b)")
    # (b) the consumer (already running, idle) registers during wrk.
    time.sleep(1)
    this.tag_b = f"{tag}b"
    this.submit_b = run_wrk(f"submit b{label}", port, SUBMIT_PATH, args, args.duration,
                            {**common, "BENCH_TAG": this.tag_b}, workdir)
    this.backlog_b = unregistered(f"{this.tag_b} ")
    settle(this.tag_b)
    if wait_registered(f"{this.tag_b} ", consumer):
        _first, last, _n = registration_span(this.tag_b)
        if last is not None and this.submit_b.ended is not None:
            this.lag_b = (last - this.submit_b.ended).total_seconds()
    else:
        this.notes.append(f"(b) not registered within {DRAIN_TIMEOUT} s: {unregistered(f'{this.tag_b} ')} left")
    wait_queue_empty(30)  # the notifications the registrations queued, before the consumer stops
    stop_process(consumer)
    processes["consumer"] = None
    return this


def print_header(args: argparse.Namespace, port: int, database: str, site: str, category: str) -> None:
    from django.conf import settings

    threads = f", {args.worker_threads} threads each" if args.worker_class == "gthread" else ""
    cache = ("the database (opinions_submitcounter, upserted in the INSERT's statement; emptied before each "
             "submission run)")
    mode = "Redis (production configuration)" if settings.REDIS_URL else "no Redis (--no-redis: huey on SQLite)"
    print(f"Public submission vs a bare insert (issue 3: submit >= 60% of the floor) — mode: {mode}")
    print(f"  server    gunicorn {args.workers} workers ({args.worker_class}{threads}), DEBUG off, "
          f"127.0.0.1:{port}; log {GUNICORN_LOG}")
    print(f"  database  {database}")
    print(f"  counters  the submission's rate limits counted in {cache}")
    print(f"  huey      {huey_mode()}; log {CONSUMER_LOG}")
    rounds = f", {args.rounds} rounds" if args.rounds > 1 else ""
    print(f"  load      wrk {args.threads} threads, {args.connections} connections, {args.duration} s per run "
          f"(floor, submit a, submit b{rounds}), after {WARMUP_SECONDS} s of warm-up each; loopback")
    print("  modes     (a) no consumer during wrk, the queue drained afterwards; (b) the consumer running during wrk")
    print(f"  payload   site {site}, category {category}, Chinese title and text (~70 characters), "
          "a new Idempotency-Key and phone per request")
    print(f"  limits    per address lifted (OPINION_API_SUBMIT_RATE_IP={os.environ['OPINION_API_SUBMIT_RATE_IP']}), "
          "per phone as configured")
    print(f"  machine   {os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at start")
    sys.stdout.flush()


def report(rounds: list[Round], args: argparse.Namespace) -> None:
    print()
    table: list[WrkResult] = []
    for r in rounds:
        table += [r.floor, r.submit_a] + ([r.submit_b] if r.submit_b else [])
    print_table(table)
    floor = overall_rps([r.floor for r in rounds])
    a = overall_rps([r.submit_a for r in rounds])
    b = overall_rps([r.submit_b for r in rounds if r.submit_b])
    if args.rounds > 1:
        print("  ratio per round (a / floor, b / floor): " + ", ".join(
            f"{100 * r.submit_a.rps / r.floor.rps:.1f} % / "
            f"{100 * r.submit_b.rps / r.floor.rps if r.submit_b else 0:.1f} %" for r in rounds))
    for name, rps in (("(a) no consumer during wrk", a), ("(b) consumer during wrk", b)):
        ratio = 100 * rps / floor if floor else 0.0
        print(f"  ratio {name:28} submit / floor = {rps:.1f} / {floor:.1f} = {ratio:.1f} %  "
              f"(requirement >= 60 %: {'met' if ratio >= 60 else 'NOT met'} in this run)")
    print()
    print(f"Registration by the huey consumer ({CONSUMER_THREADS} threads, same machine)")
    for i, r in enumerate(rounds, 1):
        prefix = f"  round {i}: " if len(rounds) > 1 else "  "
        drain = (f"{r.drain_seconds:.1f} s from consumer start to the last of {r.intakes_a} (the first after "
                 f"{r.drain_first:.1f} s: start-up, earlier tasks)" if r.drain_seconds is not None else "not drained")
        rate = f"{r.drain_rate:.1f} registrations/s (first to last)" if r.drain_rate else "-"
        print(f"{prefix}(a) queue drained after the load: {drain}; {rate}; "
              f"{r.intakes_a / r.submit_a.data['duration_us'] * 1e6:.1f} intakes/s received")
        if r.submit_b is not None:
            lag = f"{r.lag_b:.1f} s" if r.lag_b is not None else "not registered"
            print(f"{prefix}(b) consumer during the load: {r.backlog_b} intakes unregistered when wrk stopped; "
                  f"the last registered {lag} after wrk stopped")
        for note in r.notes:
            print(f"{prefix}NOTE {note}")


def check_all(rounds: list[Round], args: argparse.Namespace) -> tuple[bool, list[tuple[str, str, str, int | None]]]:
    ok = True
    runs = [(r.tag_a, r.submit_a) for r in rounds] + [(r.tag_b, r.submit_b) for r in rounds if r.submit_b]
    checks = [exactly_once(tag, result) for tag, result in runs]
    total = {name: sum(c[name] for c in checks) for name in checks[0] if name != "rows"}
    print()
    print("Exactly once (the measured submit runs, after registration)")
    lines = [
        ("acknowledged: 2xx with a tracking code", total["acked"], None),
        ("intake rows (OpinionIntake)", total["intakes"], None),
        ("acknowledged without an intake", total["lost"], 0),
        ("acknowledged twice (same tracking code)", total["acked_twice"], 0),
        ("2xx without a tracking code", total["acked_without_code"], 0),
        ("intakes twice for one request", total["intake_twice"], 0),
        ("intakes whose stored key is not their request's", total["wrong_key"], 0),
        ("intakes not acknowledged (in flight at stop)", total["in_flight"], None),
        ("  requests wrk wrote without an answer", total["unanswered"], None),
        ("intakes of the (a) runs", sum(r.intakes_a for r in rounds), None),
        ("registration drains queued by the (a) runs", sum(r.queued_a for r in rounds), None),
        ("opinions (registered cases)", total["opinions"], total["intakes"]),
        ("intakes without an opinion of their code", total["without_opinion"], 0),
        ("acknowledged without an opinion", total["acked_without_opinion"], 0),
        ("opinions without an intake of their code", total["opinion_without_intake"], 0),
        ("tracking codes on two opinions", total["opinion_codes_twice"], 0),
        ("intakes linked to their opinion", total["linked"], total["intakes"]),
        ("opinions with exactly one submit event", total["one_submit_event"], total["opinions"]),
        ("opinions without a bigram index", total["without_grams"], 0),
    ]
    for text, value, expected in lines:
        verdict = "" if expected is None else ("  ok" if value == expected else f"  FAILED (expected {expected})")
        ok &= not verdict.strip().startswith("FAILED")
        print(f"  {text:50}{value:8d}{verdict}")
    from lianxin.opinions.services import KICK_SECONDS

    # The queue gets a drain from the first submission of each second in each web process (the kick): at
    # least one per run, at most one per second of the run (plus one for the second it started in) and worker.
    for r in rounds:
        most = args.workers * (int(r.submit_a.data["duration_us"] / 1e6 / KICK_SECONDS) + 1)
        if not 1 <= r.queued_a <= most:
            ok = False
            print(f"  FAILED ({r.tag_a}): {r.queued_a} drains queued, expected 1 to {most}")
    for (tag, _result), check in zip(runs, checks, strict=True):
        if check["in_flight"] > check["unanswered"] or check["in_flight"] > args.connections:
            ok = False
            print(f"  FAILED ({tag}): {check['in_flight']} intakes without an answer, more than the requests "
                  f"in flight ({check['unanswered']}) or the connections ({args.connections})")
    return ok, [row for check in checks for row in check["rows"]]


def main() -> int:
    args = parse_args()
    check_prerequisites(args)
    workdir = Path(tempfile.mkdtemp(prefix="bench-submit-"))
    processes: dict[str, subprocess.Popen[bytes] | None] = {"redis": None, "gunicorn": None, "consumer": None}
    # Ctrl-C, kill and a closed terminal all stop what this script started and clean up (set explicitly:
    # a shell starts background commands with SIGINT ignored).
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupted)
    ok = True
    django_ready = False
    try:
        redis_url = ""
        if not args.no_redis:
            processes["redis"], redis_url = start_redis(workdir)
        configure_environment(workdir / "var", redis_url)
        CONSUMER_LOG.write_text("")

        import django

        django.setup()
        django_ready = True
        site, category, database = prepare_database()
        run = secrets.token_hex(3)
        warm_tag = f"{TITLE_MARK}{run}w"
        port = free_port()
        processes["gunicorn"] = server = start_gunicorn(args, port)
        wait_ready(server, port)
        print_header(args, port, database, site, category)

        common = {"BENCH_SITE": site, "BENCH_CATEGORY": category}
        run_wrk("warm", port, FLOOR_PATH, args, WARMUP_SECONDS, {**common, "BENCH_TAG": warm_tag}, workdir)
        run_wrk("warm", port, SUBMIT_PATH, args, WARMUP_SECONDS, {**common, "BENCH_TAG": warm_tag}, workdir)
        rounds = [run_round(n, args, port, run, common, workdir, processes) for n in range(1, args.rounds + 1)]
        report(rounds, args)
        checked, rows = check_all(rounds, args)
        ok &= checked

        acked = {code for r in rounds for res in (r.submit_a, r.submit_b) if res for code in res.codes}
        again = replay(port, rows, acked, args.replay, site, category)
        print()
        print(f"Replay of {again['replayed']} acknowledged keys (urllib, one at a time, same key and phone; "
              "no consumer running)")
        replay_ok = again["same"] == again["replayed"]
        print(f"  answered 200 with the first tracking code        {again['same']:5d} / {again['replayed']}"
              f"{'  ok' if replay_ok else '  FAILED ' + str(again['statuses'])}")
        for i, name in enumerate(("intake rows", "opinion rows", "tasks queued")):
            same = again["before"][i] == again["after"][i]
            ok &= same
            print(f"  {name + ' before / after':49} {again['before'][i]} / {again['after'][i]}"
                  f"{'  ok' if same else '  FAILED'}")
        ok &= replay_ok
        print()
        print("exactly-once checks: " + ("all ok" if ok else "FAILED"))
    except KeyboardInterrupt:
        print("\ninterrupted: cleaning up", file=sys.stderr)
        ok = False
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)  # let the cleanup finish
        try:
            stop_process(processes["consumer"])
            stop_process(processes["gunicorn"])
            if django_ready:
                opinions, intakes = remove_rows()
                drop_floor_table()
                print(f"cleaned up: {opinions} opinions (with their events, bigrams, notifications) and {intakes} "
                      "intakes of this bench removed, the floor table dropped, gunicorn and the consumer stopped")
        finally:
            stop_process(processes["redis"])
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

# ruff: noqa: S608 - the SQL is built from constants of this file and the models' column names only
"""Multiply the demo's activities and their attendance on PostgreSQL (default 100×), fast, in SQL.

Usage (on a database that holds the demo: ``lianxin migrate && lianxin demo``):

    DATABASE_URL=postgres://postgres@127.0.0.1:55432/bench_dash .venv/bin/python bench/scale_activities.py [--factor 100]

The companion of ``scale_opinions.py``, same style. Every activity of the demo is copied ``factor - 1``
times; copy ``k`` of activity ``id`` gets id ``id + k * OFFSET`` and every time stamp moved ``k × 3``
minutes into the past (so the copies fall in the same months, nothing lands in the future); the same site,
kind, status, title, minutes and citizens received. Its deputies' attendance rows are copied with it.
Reception slots, appointments and files are not.

Idempotent: a database that already holds copies (ids at or above OFFSET) is left as it is. One
transaction; foreign-key triggers skipped while copying (needs a superuser connection); secondary indexes
dropped and rebuilt once; then vacuum + analyse.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianxin.settings")

OFFSET = 1_000_000
SHIFT_MINUTES = 3
TABLES = ("activities_activity", "activities_attendance")


def scale(factor: int) -> int:
    import django

    django.setup()
    from django.db import connection, models, transaction

    from bench.scale_opinions import drop_secondary_indexes, print_counts
    from lianxin.activities.models import Activity, Attendance

    def counts(cursor) -> dict[str, int]:  # type: ignore[no-untyped-def]
        found = {}
        for table in TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")
            found[table] = cursor.fetchone()[0]
        return found

    if connection.vendor != "postgresql":
        print("scale_activities.py needs PostgreSQL: set DATABASE_URL=postgres://…", file=sys.stderr)
        return 2
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), coalesce(max(id), 0), count(*) FILTER (WHERE id >= %s) "
                       "FROM activities_activity", [OFFSET])
        total, max_id, copies = cursor.fetchone()
        if copies:
            print_counts(f"Already scaled ({copies:,} copies present): nothing done.", counts(cursor))
            return 0
        if total == 0:
            print("No activities: load the demo first (lianxin migrate && lianxin demo).", file=sys.stderr)
            return 2
        if max_id >= OFFSET:
            print(f"Activity ids reach {max_id:,}: this script needs them below {OFFSET:,}.", file=sys.stderr)
            return 2
        if not 2 <= factor <= 1000:
            print("--factor must be between 2 and 1000.", file=sys.stderr)
            return 2
        print_counts("Before:", counts(cursor))

    def columns(model: type[models.Model]) -> tuple[list[str], list[str]]:
        plain: list[str] = []
        times: list[str] = []
        for f in model._meta.concrete_fields:
            if f.primary_key:
                continue
            (times if isinstance(f, models.DateTimeField) else plain).append(f.column)
        return plain, times

    a_plain, a_times = columns(Activity)
    t_plain, t_times = columns(Attendance)
    t_plain.remove("activity_id")
    shift = f"(k.k * interval '{SHIFT_MINUTES} minutes')"
    ks = f"generate_series(1, {factor - 1}) AS k(k)"
    steps = [
        ("activities", f"""
            INSERT INTO activities_activity (id, {", ".join(a_plain)}, {", ".join(a_times)})
            SELECT a.id + k.k * {OFFSET}, {", ".join("a." + c for c in a_plain)},
                   {", ".join(f"a.{c} - {shift}" for c in a_times)}
            FROM activities_activity a CROSS JOIN {ks}
            ORDER BY k.k, a.id
        """),
        ("attendance", f"""
            INSERT INTO activities_attendance (activity_id, {", ".join(t_plain)}, {", ".join(t_times)})
            SELECT t.activity_id + k.k * {OFFSET}, {", ".join("t." + c for c in t_plain)},
                   {", ".join(f"t.{c} - {shift}" for c in t_times)}
            FROM activities_attendance t CROSS JOIN {ks}
            WHERE t.activity_id < {OFFSET}
            ORDER BY k.k, t.id
        """),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        step = time.perf_counter()
        recreate = drop_secondary_indexes(cursor, TABLES)
        print(f"  dropped {len(recreate)} secondary indexes and unique constraints {time.perf_counter() - step:7.1f} s")
        for label, sql in steps:
            step = time.perf_counter()
            cursor.execute(sql)
            print(f"  copied {label:20} {cursor.rowcount:>12,} rows  {time.perf_counter() - step:7.1f} s", flush=True)
        step = time.perf_counter()
        for statement in recreate:
            cursor.execute(statement)
        print(f"  rebuilt the indexes {time.perf_counter() - step:24.1f} s", flush=True)
        for table in TABLES:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"(SELECT coalesce(max(id), 1) FROM {table}))")
    step = time.perf_counter()
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        print(f"  vacuum + analyze {time.perf_counter() - step:27.1f} s")
        print_counts(f"After (×{factor}):", counts(cursor))
    print(f"Scaled in {time.perf_counter() - started:.1f} s.")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--factor", type=int, default=100, help="total size as a multiple of the demo (default 100)")
    args = parser.parse_args()
    return scale(args.factor)


if __name__ == "__main__":
    sys.exit(main())

# ruff: noqa: S608 - the SQL is built from constants of this file only
"""Multiply the demo's opinions on PostgreSQL (default 100×: 5,161 → 516,100), fast, in SQL.

Usage (on a database that holds the demo with its opinions: ``lianxin migrate && lianxin demo``):

    DATABASE_URL=postgres://postgres@127.0.0.1:55432/bench_inbox .venv/bin/python bench/scale_opinions.py [--factor 100]

Every opinion of the demo is copied ``factor - 1`` times. Copy ``k`` (1 … factor-1) of opinion ``id``:

* gets id ``id + k * OFFSET`` (OFFSET = 1,000,000; the demo's ids must stay below it),
* a unique tracking code: the original 10 characters plus two of the tracking alphabet for ``k``,
* every time stamp (submitted, accepted, due …) moved ``k × 3`` minutes into the past, so nothing
  lands in the future and the deadline queues keep roughly their share,
* the same site, deputy, unit, category, texts and encrypted citizen fields (ciphertext as it is),
  ``merged_into`` pointing to the same copy of its target, no idempotency key.

Its case events (``OpinionEvent``), bigram search rows (``OpinionGram``), extension requests and
"me too" rows are copied with it. Attachments (files) and notifications are not. Then the id
sequences are reset and the tables vacuumed and analysed.

Idempotent: a database that already holds copies (ids at or above OFFSET) is left as it is, with
its counts printed. Everything is one transaction, so an interrupted run leaves the demo unchanged.
Foreign-key triggers are skipped while copying (``session_replication_role = replica``; the copies
reference rows that exist by construction), which needs a superuser connection.
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
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # lianxin.opinions.models.TRACKING_ALPHABET
TABLES = ("opinions_opinion", "opinions_opinionevent", "opinions_opiniongram",
          "opinions_extensionrequest", "opinions_supporter")

OPINION_COLUMNS = [
    "status", "outcome", "channel", "urgency", "title", "text", "latitude", "longitude", "citizen_name",
    "citizen_phone", "phone_hash", "language", "region_path", "escalation_count", "reopen_count",
    "returned_count", "reply", "satisfaction", "citizen_says_resolved", "supporters", "version",
    "assignee_id", "category_id", "deputy_id", "region_id", "station_id", "unit_id", "suggestion_id",
]
OPINION_TIMES = [
    "consent_at", "created_at", "updated_at", "accepted_at", "transferred_at", "acknowledged_at",
    "replied_at", "closed_at", "due_at", "warned_at", "escalated_at", "rated_at",
]


def counts(cursor) -> dict[str, int]:
    found = {}
    for table in TABLES:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed table names
        found[table] = cursor.fetchone()[0]
    return found


def print_counts(title: str, found: dict[str, int]) -> None:
    print(title)
    for table, count in found.items():
        print(f"  {table:28} {count:>12,}")


def drop_secondary_indexes(cursor, tables: tuple[str, ...]) -> list[str]:
    """Drop every index but the primary keys of ``tables``; return the statements that rebuild them.

    Building an index once over the copied rows is several times faster than updating it row by
    row. Unique constraints are dropped and added back as constraints, under their own names.
    """
    rebuild: list[str] = []
    for table in tables:
        cursor.execute("""
            SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
            WHERE c.conrelid = %s::regclass AND c.contype = 'u'""", [table])
        for name, definition in cursor.fetchall():
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cursor.execute("""
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
            WHERE i.indrelid = %s::regclass AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""", [table])
        for name, definition in cursor.fetchall():
            cursor.execute(f"DROP INDEX {name}")
            rebuild.append(definition)
    return rebuild


def scale(factor: int) -> int:
    import django

    django.setup()
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        print("scale_opinions.py needs PostgreSQL: set DATABASE_URL=postgres://…", file=sys.stderr)
        return 2
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), coalesce(max(id), 0), count(*) FILTER (WHERE id >= %s), "
                       "count(*) FILTER (WHERE length(tracking_code) <> 10) FROM opinions_opinion", [OFFSET])
        total, max_id, copies, odd_codes = cursor.fetchone()
        if copies:
            print_counts(f"Already scaled ({copies:,} copies present): nothing done.", counts(cursor))
            return 0
        if total == 0:
            print("No opinions: load the demo first (lianxin migrate && lianxin demo).", file=sys.stderr)
            return 2
        if odd_codes:
            print(f"{odd_codes:,} tracking codes are not 10 characters long: copies could collide.", file=sys.stderr)
            return 2
        if max_id >= OFFSET:
            print(f"Opinion ids reach {max_id:,}: this script needs them below {OFFSET:,}.", file=sys.stderr)
            return 2
        if not 2 <= factor <= len(ALPHABET) ** 2:
            print(f"--factor must be between 2 and {len(ALPHABET) ** 2}.", file=sys.stderr)
            return 2
        print_counts("Before:", counts(cursor))

    shift = f"(k.k * interval '{SHIFT_MINUTES} minutes')"
    ks = f"generate_series(1, {factor - 1}) AS k(k)"
    code_suffix = (f"substr('{ALPHABET}', k.k / {len(ALPHABET)} + 1, 1) || "
                   f"substr('{ALPHABET}', k.k % {len(ALPHABET)} + 1, 1)")
    steps = [
        ("opinions", f"""
            INSERT INTO opinions_opinion (id, tracking_code, idempotency_key, merged_into_id,
                                          {", ".join(OPINION_COLUMNS)}, {", ".join(OPINION_TIMES)})
            SELECT o.id + k.k * {OFFSET}, left(o.tracking_code, 10) || {code_suffix}, NULL,
                   o.merged_into_id + k.k * {OFFSET},
                   {", ".join("o." + c for c in OPINION_COLUMNS)},
                   {", ".join(f"o.{c} - {shift}" for c in OPINION_TIMES)}
            FROM opinions_opinion o CROSS JOIN {ks}
            ORDER BY k.k, o.id
        """),
        ("case events", f"""
            INSERT INTO opinions_opinionevent (opinion_id, created_at, actor_id, actor_kind, action, from_status,
                                               to_status, public_note, internal_note, unit_id, data)
            SELECT e.opinion_id + k.k * {OFFSET}, e.created_at - {shift}, e.actor_id, e.actor_kind, e.action,
                   e.from_status, e.to_status, e.public_note, e.internal_note, e.unit_id, e.data
            FROM opinions_opinionevent e CROSS JOIN {ks}
            WHERE e.opinion_id < {OFFSET}
            ORDER BY k.k, e.id
        """),
        ("search bigrams", f"""
            INSERT INTO opinions_opiniongram (gram, opinion_id)
            SELECT g.gram, g.opinion_id + k.k * {OFFSET}
            FROM opinions_opiniongram g CROSS JOIN {ks}
            WHERE g.opinion_id < {OFFSET}
            ORDER BY k.k, g.opinion_id, g.gram
        """),
        ("extension requests", f"""
            INSERT INTO opinions_extensionrequest (opinion_id, unit_id, requested_by_id, working_days, reason, state,
                                                   decided_by_id, decided_at, created_at)
            SELECT x.opinion_id + k.k * {OFFSET}, x.unit_id, x.requested_by_id, x.working_days, x.reason, x.state,
                   x.decided_by_id, x.decided_at - {shift}, x.created_at - {shift}
            FROM opinions_extensionrequest x CROSS JOIN {ks}
            WHERE x.opinion_id < {OFFSET}
        """),
        ("me-too rows", f"""
            INSERT INTO opinions_supporter (opinion_id, phone_hash, created_at)
            SELECT s.opinion_id + k.k * {OFFSET}, s.phone_hash, s.created_at - {shift}
            FROM opinions_supporter s CROSS JOIN {ks}
            WHERE s.opinion_id < {OFFSET}
        """),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        step = time.perf_counter()
        recreate = drop_secondary_indexes(cursor, TABLES[:3])
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
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                           f"(SELECT coalesce(max(id), 1) FROM {table}))")
    step = time.perf_counter()
    with connection.cursor() as cursor:  # outside the transaction: VACUUM cannot run in one
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

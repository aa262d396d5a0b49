"""Roster import at 5,000 rows on PostgreSQL: seconds to read, check (the preview) and apply, and peak memory.

Usage (a scratch database of your own; it is migrated, filled and cleaned up):

    DATABASE_URL=postgres://postgres@127.0.0.1:55432/<db> .venv/bin/python bench/roster_import.py [--rows 5000]

Generates a roster of new people (one in four holds a second seat) in 10 districts × 10 streets,
then times ``roster.read_rows`` + ``roster.check_rows`` (what the preview task does) and
``roster.apply_import`` (re-read, re-check and write in one transaction), and a second check of the
same file against the applied data (everything unchanged). Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianxin.settings")


def build_file(rows: int) -> bytes:
    from openpyxl import Workbook

    from lianxin.deputies.roster import COLUMNS

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([str(c.label) for c in COLUMNS])
    written, person = 0, 0
    while written < rows:
        d, s = person % 10, (person // 10) % 10
        street = f"1401{90 + d:02d}{s + 1:03d}"
        base = [None, f"基准代表{person:05d}", "男" if person % 2 else "女", 1960 + person % 40, "汉族", "",
                f"单位{person}", f"139{person:08d}", street]
        sheet.append([*base, "county", 17, street, f"第{s + 1}选区", None])
        written += 1
        if person % 4 == 0 and written < rows:
            sheet.append([*base, "township", 8, street, "", None])
            written += 1
        person += 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def memory(traced: bool) -> str:
    """Peak RSS of the process so far, and (with --trace) the peak of traced Python allocations since the last call."""
    text = f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    if traced:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        text += f", traced peak {peak / 2**20:.0f} MiB"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--trace", action="store_true", help="also trace Python allocations (slower)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL scratch database.")

    import django

    django.setup()
    from django.core.files.base import ContentFile
    from django.core.management import call_command

    from lianxin.accounts.models import User
    from lianxin.deputies import roster
    from lianxin.deputies.models import Deputy, RosterImport, Seat
    from lianxin.regions.models import Region

    call_command("migrate", verbosity=0)
    L = Region.Level
    province, _ = Region.objects.get_or_create(code="149000", defaults={"name": "基准省", "level": L.PROVINCE})
    city, _ = Region.objects.get_or_create(code="149001", defaults={"name": "基准市", "level": L.CITY,
                                                                      "parent": province})
    for d in range(10):
        district, _ = Region.objects.get_or_create(code=f"1401{90 + d:02d}", defaults={
            "name": f"基准区{d}", "level": L.COUNTY, "parent": city})
        for s in range(10):
            Region.objects.get_or_create(code=f"1401{90 + d:02d}{s + 1:03d}", defaults={
                "name": f"基准街道{d}-{s}", "level": L.TOWNSHIP, "parent": district})
    user = User.objects.filter(username="bench-roster").first() or User.objects.create_superuser(
        "bench-roster", "bench@example.org", "x")

    content = build_file(args.rows)
    print(f"rows: {args.rows}, file: {len(content) / 1024:.0f} KiB")
    if args.trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    raw = roster.read_rows(io.BytesIO(content))
    t_read = time.perf_counter() - t0
    t0 = time.perf_counter()
    plan = roster.check_rows(user, raw)
    t_check = time.perf_counter() - t0
    print(f"read: {t_read:.2f} s, check (preview): {t_check:.2f} s, errors: {len(plan.errors)}, "
          f"to create: {len(plan.create)} seats / {len(plan.new_people)} people, {memory(args.trace)}")

    imp = RosterImport(created_by=user, filename="bench.xlsx", language="zh-hans", rows_total=len(raw),
                       status=RosterImport.Status.APPLYING, applied_by=user)
    imp.file.save("bench.xlsx", ContentFile(content), save=False)
    imp.save()
    try:
        t0 = time.perf_counter()
        ok = roster.apply_import(imp.pk)
        t_apply = time.perf_counter() - t0
        print(f"apply (re-read + re-check + write, one transaction): {t_apply:.2f} s, applied: {ok}, "
              f"{memory(args.trace)}")
        t0 = time.perf_counter()
        again = roster.check_rows(user, roster.read_rows(io.BytesIO(content)))
        t_again = time.perf_counter() - t0
        print(f"check again (all unchanged): {t_again:.2f} s, unchanged: {again.unchanged}, "
              f"changes: {len(again.change)}, errors: {len(again.errors)}")
    finally:
        if args.trace:
            tracemalloc.stop()
        Seat.objects.filter(deputy__name__startswith="基准代表").delete()
        Deputy.objects.filter(name__startswith="基准代表").delete()
        imp.file.delete(save=False)
        RosterImport.objects.filter(pk=imp.pk).delete()



if __name__ == "__main__":
    main()

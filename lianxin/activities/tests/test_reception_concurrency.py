"""Two citizens book the last place of a slot at once: exactly one gets it, the slot is never overfilled.

Each thread has its own connection; both start together (a barrier). The place is taken by a
conditional UPDATE (booked < capacity) inside the booking's transaction: PostgreSQL makes the
second UPDATE wait for the first and re-check the condition, which then fails. SQLite's in-memory
test database fails a second writer at once, so this runs on PostgreSQL (or a file database).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.db import connection

from lianxin.activities import reception
from lianxin.activities.models import Appointment, ReceptionSlot

from .test_reception_common import NOW, published_day


@pytest.fixture
def real_locking(transactional_db: Any) -> None:
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "SQLite's shared-cache in-memory test database fails a second writer at once (SQLITE_LOCKED) "
            "instead of queueing it; run with SQLITE_TEST_NAME=/tmp/lx-test.sqlite3 or on PostgreSQL."
        )


def race(*calls: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as error:  # noqa: BLE001 - checked by the assertions
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.parametrize("rounds", [5])
def test_last_place_exactly_one_wins(real_locking: None, world: Any, rounds: int) -> None:
    with time_machine.travel(NOW, tick=False):
        day = published_day(world)
    slots = list(ReceptionSlot.objects.filter(activity=day).order_by("starts_at"))
    for n, slot in enumerate(slots[:rounds] if len(slots) >= rounds else slots):
        ReceptionSlot.objects.filter(pk=slot.pk).update(capacity=1)

        def attempt(phone: str, slot_id: int = slot.pk) -> Any:
            return reception.book(slot_id, name="王五", phone=phone, topic="物业收费", now=NOW)

        results = race(lambda: attempt(f"1370000{n}001"), lambda: attempt(f"1370000{n}002"))
        winners = [r for r in results if isinstance(r, tuple)]
        losers = [r for r in results if isinstance(r, reception.BookingError)]
        assert len(winners) == 1 and len(losers) == 1, results
        assert losers[0].code == "full"
        slot.refresh_from_db()
        assert slot.booked == 1
        assert Appointment.objects.filter(slot=slot).count() == 1

"""Two transitions of the same case at once: exactly one wins, the other is refused, one event row.

Each thread has its own database connection (Django opens one per thread) and both start their
transaction together (a barrier). PostgreSQL serialises them on the row lock (SELECT … FOR
UPDATE); SQLite on the write lock that BEGIN IMMEDIATE takes — the loser then reads the new state.
SQLite's in-memory test database (shared cache) answers a second writer "table is locked" at
once instead of waiting, so there the threaded tests need a file database (SQLITE_TEST_NAME).
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from lianxin.accounts.models import Role
from lianxin.opinions import services
from lianxin.opinions.errors import CaseError
from lianxin.opinions.models import Category, Opinion, OpinionEvent, Status

NOW = timezone.make_aware(datetime.datetime(2027, 3, 1, 10, 0))



@pytest.fixture
def real_locking(transactional_db: Any) -> None:
    # Checked once the test database exists (its name is only known then).
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "SQLite's shared-cache in-memory test database fails a second writer at once (SQLITE_LOCKED) "
            "instead of queueing it; run with SQLITE_TEST_NAME=/tmp/lx-test.sqlite3 or on PostgreSQL."
        )


@pytest.fixture
def case(transactional_db: Any, world: Any) -> Opinion:
    category = Category.objects.create(code="urban", name="城乡建设")
    with time_machine.travel(NOW, tick=False):
        opinion, _ = services.submit_opinion(
            category=category, title="小区路灯不亮", text="3号楼前路灯坏了", channel="portal",
            station=world.station_a, citizen_phone="13900001111",
        )
    return opinion


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together; return each one's result or CaseError."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except CaseError as error:
            results[i] = error
        except Exception as error:  # noqa: BLE001 - surfaced by the assertions below
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def _one_winner(results: list[Any]) -> tuple[Any, CaseError]:
    errors = [r for r in results if isinstance(r, CaseError)]
    others = [r for r in results if isinstance(r, Exception) and not isinstance(r, CaseError)]
    assert not others, others
    winners = [r for r in results if isinstance(r, Opinion)]
    assert len(winners) == 1 and len(errors) == 1, results
    return winners[0], errors[0]


@pytest.mark.usefixtures("real_locking")
def test_two_accepts_at_once_one_wins_the_other_sees_the_new_state(case: Opinion, world: Any) -> None:
    admin, manager = world.users[Role.DISTRICT_ADMIN], world.users[Role.SITE_MANAGER]
    results = race(lambda: services.accept(case.pk, admin), lambda: services.accept(case.pk, manager))
    _winner, loser = _one_winner(results)
    assert loser.code in {"wrong_state", "conflict"}
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED and case.version == 1
    assert OpinionEvent.objects.filter(opinion=case, action="accept").count() == 1


@pytest.mark.usefixtures("real_locking")
def test_accept_against_reject_at_once_exactly_one_happens(case: Opinion, world: Any) -> None:
    admin, manager = world.users[Role.DISTRICT_ADMIN], world.users[Role.SITE_MANAGER]
    results = race(
        lambda: services.accept(case.pk, admin, expected_version=0),
        lambda: services.reject(case.pk, manager, reason="petition", expected_version=0),
    )
    winner, loser = _one_winner(results)
    assert loser.code in {"wrong_state", "conflict"}
    case.refresh_from_db()
    assert case.status == winner.status and case.status in {Status.ACCEPTED, Status.REJECTED}
    assert case.version == 1
    assert OpinionEvent.objects.filter(opinion=case).exclude(action="submit").count() == 1


def test_a_stale_expected_version_is_a_conflict_and_changes_nothing(case: Opinion, world: Any) -> None:
    admin = world.users[Role.DISTRICT_ADMIN]
    services.escalate(case.pk, admin)  # version 0 -> 1, status unchanged
    with pytest.raises(CaseError) as refused:
        services.accept(case.pk, world.users[Role.SITE_MANAGER], expected_version=0)
    assert refused.value.code == "conflict"
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED and case.version == 1
    assert OpinionEvent.objects.filter(opinion=case).count() == 2
    services.accept(case.pk, world.users[Role.SITE_MANAGER], expected_version=1)
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED and case.version == 2

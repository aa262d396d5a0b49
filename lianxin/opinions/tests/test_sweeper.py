"""The deadline sweeper across the 2026 Spring Festival (holiday 15–23 Feb, make-up working day Sat 14 Feb).

A case transferred on Thu 12 Feb with three working days is due at the end of Tue 24 Feb:
Fri 13, Sat 14 (make-up day), then the holiday, then Tue 24.
"""

import datetime
import io
import json
import logging

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from lianxin.opinions import services, sweeper
from lianxin.opinions.errors import CaseError
from lianxin.opinions.models import (
    Category,
    DeadlineRule,
    Notification,
    Opinion,
    OpinionEvent,
    Outcome,
    Status,
)


def at(day, hour=10, month=2):
    return timezone.make_aware(datetime.datetime(2026, month, day, hour, 0))


@pytest.fixture
def category(db):
    return Category.objects.create(code="urban", name="城乡建设", name_en="Urban construction")


@pytest.fixture
def transferred(world, category):
    """A case transferred to world.unit_a on Thu 12 Feb 2026, three working days."""
    opinion, _ = services.submit_opinion(category=category, title="小区路灯不亮", text="3号楼前路灯坏了",
                                         channel="portal", station=world.station_a, now=at(11))
    admin = world.users["district_admin"]
    services.accept(opinion, admin, now=at(11, 11))
    return services.transfer(opinion, admin, unit=world.unit_a, working_days=3, now=at(12))


def sweep(when):
    with time_machine.travel(when, tick=False):
        return sweeper.sweep()


def test_deadline_counts_the_make_up_day_and_skips_the_holiday(transferred):
    assert timezone.localtime(transferred.due_at).date() == datetime.date(2026, 2, 24)


def test_warns_once_within_the_warning_period_even_when_run_twice(world, transferred):
    unit_user = world.users["unit_staff"]
    assert sweep(at(12, 15))["warned"] == 0  # three working days left; the default warns at two
    first = sweep(at(13))
    second = sweep(at(13, 10))
    assert first["warned"] == 1 and second["warned"] == 0
    notices = Notification.objects.filter(user=unit_user, opinion=transferred)
    assert notices.count() == 1
    assert "2026-02-24" in notices.get().message
    transferred.refresh_from_db()
    assert transferred.warned_at == at(13)
    assert sweep(at(16))["warned"] == 0  # during the holiday: already warned


def test_warning_period_follows_the_deadline_rule(world, category, transferred):
    DeadlineRule.objects.create(category=category, urgency="normal", warn_days=3)
    assert sweep(at(12, 15))["warned"] == 1


def test_no_escalation_during_the_holiday_then_once_when_overdue(world, transferred,
                                                                django_capture_on_commit_callbacks):
    assert sweep(at(20))["escalated"] == 0  # Spring Festival: still within the deadline
    assert sweep(at(24, 23))["escalated"] == 0  # the last working day itself
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(at(25, 9))["escalated"] == 1
    assert sweep(at(25, 9) + datetime.timedelta(minutes=5))["escalated"] == 0
    transferred.refresh_from_db()
    assert transferred.status == Status.TRANSFERRED and transferred.escalation_count == 1
    event = OpinionEvent.objects.filter(opinion=transferred, action="escalate").get()
    assert event.actor_id is None and event.actor_kind == "system"
    assert "2026-02-24" in event.internal_note
    # The unit hears about it (in-app), and so do the admins above it.
    for user in (world.users["unit_staff"], world.users["district_admin"], world.users["city_admin"]):
        assert Notification.objects.filter(user=user, opinion=transferred).exists()
    assert not Notification.objects.filter(user=world.outsider).exists()


def test_a_new_overdue_period_after_an_extension_is_escalated_again(world, transferred):
    sweep(at(25))
    unit_user, admin = world.users["unit_staff"], world.users["district_admin"]
    services.request_extension(transferred, unit_user, working_days=2, reason="需协调", now=at(25, 11))
    services.decide_extension(transferred, admin, approve=True, now=at(25, 12))
    transferred.refresh_from_db()
    assert timezone.localtime(transferred.due_at).date() == datetime.date(2026, 2, 27)
    assert sweep(at(26))["escalated"] == 0
    assert sweep(at(28))["escalated"] == 1  # Sat 28 Feb: a make-up working day, but past the deadline
    transferred.refresh_from_db()
    assert transferred.escalation_count == 2


def test_lapsed_rating_window_closes_as_resolved(world, transferred):
    replied = services.reply(transferred, world.users["unit_staff"], text="已更换路灯。", now=at(13))
    due = timezone.localtime(replied.due_at).date()
    # ten working days: Sat 14 Feb, 24–27 Feb, Sat 28 Feb (make-up day), 2–5 Mar
    assert due == datetime.date(2026, 3, 5)
    assert sweep(at(5, 20, month=3))["closed"] == 0
    assert sweep(at(6, 0, month=3) + datetime.timedelta(minutes=5))["closed"] == 1
    replied.refresh_from_db()
    assert replied.status == Status.CLOSED and replied.outcome == Outcome.RESOLVED
    assert OpinionEvent.objects.filter(opinion=replied).last().action == "close_lapsed"
    assert sweep(at(9, month=3)) == {"warned": 0, "escalated": 0, "closed": 0, "skipped": 0}


def test_a_case_changed_since_it_was_read_is_skipped(world, transferred):
    replied = services.reply(transferred, world.users["unit_staff"], text="已更换路灯。", now=at(13))
    seen_version = replied.version
    services.rate(replied, satisfaction="unsatisfied", resolved=False, now=at(14))  # reopened meanwhile
    counts = {"warned": 0, "escalated": 0, "closed": 0, "skipped": 0}
    sweeper._claimed(replied.pk, seen_version, "close_lapsed", counts, "closed",
                     lambda: services.close_lapsed(replied.pk, now=at(5, month=3)))
    assert counts == {"warned": 0, "escalated": 0, "closed": 0, "skipped": 1}
    replied.refresh_from_db()
    assert replied.status == Status.TRANSFERRED and replied.reopen_count == 1


def test_a_case_error_from_the_service_is_skipped_and_logged(world, transferred, monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise CaseError("wrong_state", "changed")

    monkeypatch.setattr(services, "escalate", refuse)
    with caplog.at_level(logging.WARNING, logger="lianxin.sweeper"):
        counts = sweep(at(26))
    assert counts["escalated"] == 0 and counts["skipped"] == 1
    assert any(r.message == "deadlines.skipped" and r.code == "wrong_state" for r in caplog.records)
    transferred.refresh_from_db()
    assert transferred.escalated_at is None  # the claim was rolled back with the failure


def test_overdue_submitted_and_accepted_cases_are_escalated(world, category):
    fresh, _ = services.submit_opinion(category=category, title="噪音扰民", text="夜间施工", channel="portal",
                                       station=world.station_a, now=at(2))
    accepted, _ = services.submit_opinion(category=category, title="停车难", text="车位不足", channel="portal",
                                          station=world.station_a, now=at(2))
    services.accept(accepted, world.users["site_manager"], now=at(2, 11))
    counts = sweep(at(10, month=3))
    assert counts["escalated"] == 2
    assert set(Opinion.objects.filter(escalation_count=1).values_list("pk", flat=True)) == {fresh.pk, accepted.pk}


def test_many_due_cases_are_processed_in_batches(world, category, monkeypatch):
    monkeypatch.setattr(sweeper, "BATCH_SIZE", 3)
    for i in range(7):
        services.submit_opinion(category=category, title=f"意见{i}", text="内容", channel="portal",
                                station=world.station_a, now=at(2))
    assert sweep(at(10, month=3))["escalated"] == 7


def test_sweep_logs_structured_counts(world, transferred, caplog):
    with caplog.at_level(logging.INFO, logger="lianxin.sweeper"):
        sweep(at(25))
    record = next(r for r in caplog.records if r.message == "deadlines.sweep")
    assert (record.warned, record.escalated, record.closed, record.skipped) == (0, 1, 0, 0)


def test_management_command_runs_one_pass(world, transferred):
    out = io.StringIO()
    with time_machine.travel(at(25), tick=False):
        call_command("sweep_deadlines", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"warned": 0, "escalated": 1, "closed": 0, "skipped": 0}


def test_periodic_task_runs_the_sweeper(world, transferred):
    from lianxin.opinions.tasks import sweep_deadlines

    with time_machine.travel(at(25), tick=False):
        sweep_deadlines.call_local()
    transferred.refresh_from_db()
    assert transferred.escalation_count == 1


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_at_once_warn_and_escalate_each_case_once():
    """On PostgreSQL (real concurrency): two workers sweep the same rows at the same moment."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    from lianxin.testing import build_world

    world = build_world()
    category = Category.objects.create(code="urban", name="城乡建设")
    admin = world.users["district_admin"]
    for i in range(12):
        opinion, _ = services.submit_opinion(category=category, title=f"意见{i}", text="内容", channel="portal",
                                             station=world.station_a, now=at(11))
        services.accept(opinion, admin, now=at(11, 11))
        services.transfer(opinion, admin, unit=world.unit_a, working_days=3 if i % 2 else 10, now=at(12))
    barrier = threading.Barrier(2)
    results = []

    def worker(when):
        try:
            barrier.wait()
            results.append(sweeper.sweep(when))
        finally:
            connections.close_all()

    def sweep_twice_at_once(when):
        threads = [threading.Thread(target=worker, args=(when,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    notices = Notification.objects.filter(user=world.users["unit_staff"])
    before = notices.count()
    sweep_twice_at_once(at(13))  # half the cases are due within two working days
    assert sum(r["warned"] for r in results) == 6
    assert notices.count() == before + 6
    sweep_twice_at_once(at(25))  # and now overdue
    assert sum(r["escalated"] for r in results) == 6
    assert list(Opinion.objects.order_by("pk").values_list("escalation_count", flat=True)) == [0, 1] * 6
    assert OpinionEvent.objects.filter(action="escalate").count() == 6

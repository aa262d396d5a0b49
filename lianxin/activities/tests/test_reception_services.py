"""Reception days: recurrence across holidays, generating days, the publishing rule, the rota, bookings, the door."""

from __future__ import annotations

import datetime
import logging
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone, translation

from lianxin.accounts.models import AuditEntry, Role
from lianxin.activities import reception, tasks
from lianxin.activities.models import Activity, Appointment, Attendance, ReceptionSchedule, ReceptionSlot
from lianxin.activities.services import ActivityError
from lianxin.core import sms
from lianxin.opinions.deadlines import is_working_day
from lianxin.opinions.models import Opinion

from .test_reception_common import (
    NOW,
    add_deputies,
    at,
    book,
    category,
    make_schedule,
    manager,
    published_day,
)

D = datetime.date
NEW_YEAR = at(2026, 1, 1, 0)  # a rota planned before the year begins: every day is to come


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def outbox(settings: Any) -> Any:
    settings.SMS_BACKEND = "lianxin.core.sms.LocmemBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


# ---- recurrence ------------------------------------------------------------------------------------


def test_nth_weekday() -> None:
    assert reception.nth_weekday(2026, 10, 4, 1) == D(2026, 10, 2)
    assert reception.nth_weekday(2026, 10, 4, -1) == D(2026, 10, 30)
    assert reception.nth_weekday(2026, 10, 4, 3) == D(2026, 10, 16)


def test_first_friday_on_national_day_moves_to_next_working_day(world: Any) -> None:
    assert not is_working_day(D(2026, 10, 2))  # the premise: 2 October is a statutory holiday
    schedule = make_schedule(world.station_a)
    found = reception.occurrences(schedule, D(2026, 9, 1), D(2026, 11, 30))
    assert [(o.nominal, o.day) for o in found] == [
        (D(2026, 9, 4), D(2026, 9, 4)), (D(2026, 10, 2), D(2026, 10, 8)), (D(2026, 11, 6), D(2026, 11, 6)),
    ]
    assert found[1].moved and not found[0].moved
    # the next working day is the first one after the whole holiday week, not 3 October
    assert all(not is_working_day(D(2026, 10, n)) for n in range(3, 8))


def test_previous_and_skip_rules(world: Any) -> None:
    previous = make_schedule(world.station_a, holiday_rule=ReceptionSchedule.HolidayRule.PREVIOUS)
    skip = make_schedule(world.station_a, holiday_rule=ReceptionSchedule.HolidayRule.SKIP)
    moved = reception.occurrences(previous, D(2026, 10, 1), D(2026, 10, 31))
    assert moved == []  # moved back into September: outside the range
    moved = reception.occurrences(previous, D(2026, 9, 20), D(2026, 10, 31))
    assert [(o.nominal, o.day) for o in moved] == [(D(2026, 10, 2), D(2026, 9, 30))]
    skipped = reception.occurrences(skip, D(2026, 10, 1), D(2026, 10, 31))
    assert len(skipped) == 1 and skipped[0].skipped and skipped[0].nominal == D(2026, 10, 2)


def test_make_up_saturday_is_a_working_day(world: Any) -> None:
    assert is_working_day(D(2026, 2, 14))  # 调休: Saturday before the Spring Festival holiday
    schedule = make_schedule(world.station_a, weekday=5, nth=2)
    found = reception.occurrences(schedule, D(2026, 2, 1), D(2026, 3, 31))
    assert found[0].nominal == D(2026, 2, 14) and found[0].day == D(2026, 2, 14) and not found[0].moved
    # an ordinary second Saturday (14 March) is not a working day and moves to Monday
    assert (found[1].nominal, found[1].day) == (D(2026, 3, 14), D(2026, 3, 16))


def test_weekly_schedule_across_the_holiday_week(world: Any) -> None:
    schedule = make_schedule(world.station_a, frequency=ReceptionSchedule.Frequency.WEEKLY)
    days = [o.day for o in reception.occurrences(schedule, D(2026, 9, 25), D(2026, 10, 16))]
    # 25 Sep 2026 is the Mid-Autumn Festival: Monday 28 Sep; 2 Oct (National Day) moves to 8 Oct
    assert days == [D(2026, 9, 28), D(2026, 10, 8), D(2026, 10, 9), D(2026, 10, 16)]


def test_validity_period(world: Any) -> None:
    schedule = make_schedule(world.station_a, valid_from=D(2026, 11, 1), valid_until=D(2026, 12, 31))
    days = [o.day for o in reception.occurrences(schedule, D(2026, 9, 1), D(2027, 2, 28))]
    assert days == [D(2026, 11, 6), D(2026, 12, 4)]


def test_validate_schedule(world: Any) -> None:
    bad = ReceptionSchedule(station=world.station_a, weekday=4, nth=1, start_time=datetime.time(17),
                            end_time=datetime.time(15))
    with pytest.raises(ActivityError):
        reception.validate_schedule(bad)
    assert reception.rule_label(make_schedule(world.station_a))


# ---- generating days -------------------------------------------------------------------------------


def test_generate_days_is_idempotent(world: Any) -> None:
    add_deputies(world.station_a, 3)
    schedule = make_schedule(world.station_a)
    first = reception.generate_days(manager(world), schedule, D(2026, 10, 1), D(2026, 11, 30))
    assert [a.starts_at for a in first.created] == [at(2026, 10, 8, 15), at(2026, 11, 6, 15)]
    day = first.created[0]
    assert day.kind == "reception" and day.schedule_id == schedule.pk and day.station_id == world.station_a.pk
    slots = list(day.slots.order_by("starts_at"))
    assert [timezone.localtime(s.starts_at).strftime("%H:%M") for s in slots] == ["15:00", "15:30", "16:00", "16:30"]
    assert all(s.capacity == 3 and s.booked == 0 for s in slots)
    assert Attendance.objects.filter(activity=day, on_duty=True).count() == 2
    second = reception.generate_days(manager(world), schedule, D(2026, 10, 1), D(2026, 11, 30))
    assert second.created == [] and second.existing == 2
    assert Activity.objects.filter(schedule=schedule).count() == 2
    assert ReceptionSlot.objects.count() == 8
    assert AuditEntry.objects.filter(action="reception.generate").count() == 2


def test_generate_skips_past_days_and_publishes_due_ones(world: Any) -> None:
    schedule = make_schedule(world.station_a, frequency=ReceptionSchedule.Frequency.WEEKLY, weekday=0)
    with time_machine.travel(at(2026, 10, 12, 16), tick=False):  # a Monday afternoon, after its reception
        made = reception.generate_days(manager(world), schedule, D(2026, 10, 5), D(2026, 10, 31))
    assert [a.starts_at.date() for a in made.created] == [D(2026, 10, 19), D(2026, 10, 26)]
    assert [a.status for a in made.created] == ["planned", "planned"]
    with time_machine.travel(at(2026, 10, 17, 9), tick=False):
        later = reception.generate_days(manager(world), schedule, D(2026, 10, 5), D(2026, 11, 2))
    assert [(a.starts_at.date(), a.status) for a in later.created] == [(D(2026, 11, 2), "planned")]
    assert later.existing == 2
    tuesday = make_schedule(world.station_a, frequency=ReceptionSchedule.Frequency.WEEKLY, weekday=1)
    with time_machine.travel(at(2026, 10, 17, 9), tick=False):
        made = reception.generate_days(manager(world), tuesday, D(2026, 10, 17), D(2026, 10, 31))
    assert [a.status for a in made.created] == ["published", "planned"]  # 20 Oct is due (3 days ahead)


def test_generate_refused_for_a_deputy_and_outsider(world: Any) -> None:
    schedule = make_schedule(world.station_a)
    for user in (world.users[Role.DEPUTY], world.outsider, world.users[Role.AUDITOR]):
        with pytest.raises(ActivityError):
            reception.generate_days(user, schedule, D(2026, 10, 1), D(2026, 10, 31))
    assert Activity.objects.count() == 0 and ReceptionSlot.objects.count() == 0


def test_generate_refuses_bad_periods(world: Any) -> None:
    schedule = make_schedule(world.station_a)
    with pytest.raises(ActivityError):
        reception.generate_days(manager(world), schedule, D(2026, 10, 31), D(2026, 10, 1))
    schedule.active = False
    with pytest.raises(ActivityError):
        reception.generate_days(manager(world), schedule, D(2026, 10, 1), D(2026, 10, 31))
    assert Activity.objects.count() == 0


# ---- the publishing rule ---------------------------------------------------------------------------


def test_publishing_rule(world: Any) -> None:
    schedule = make_schedule(world.station_a)
    day = reception.generate_days(manager(world), schedule, D(2026, 10, 1), D(2026, 10, 31)).created[0]
    assert day.status == "planned"
    assert reception.publish_due(at(2026, 10, 4, 23, 59)) == 0  # 8 Oct minus 3 days = 5 Oct
    assert reception.publish_due(at(2026, 10, 5, 0, 30)) == 1
    day.refresh_from_db()
    assert day.status == "published" and day.published_at == at(2026, 10, 5, 0, 30)
    assert reception.publish_due(at(2026, 10, 5, 1, 30)) == 0
    entry = AuditEntry.objects.get(action="activity.publish")
    assert entry.actor is None and entry.target_id == str(day.pk)


def test_publish_days_per_schedule_and_setting(world: Any, settings: Any) -> None:
    schedule = make_schedule(world.station_a, publish_days=7)
    day = reception.generate_days(manager(world), schedule, D(2026, 10, 1), D(2026, 10, 31)).created[0]
    assert reception.due_for_publishing(at(2026, 9, 30, 12)) == []
    assert reception.due_for_publishing(at(2026, 10, 1, 0, 1)) == [day]
    schedule.publish_days = None
    schedule.save()
    settings.RECEPTION_PUBLISH_DAYS = 1
    assert reception.due_for_publishing(at(2026, 10, 6, 23)) == []
    assert reception.due_for_publishing(at(2026, 10, 7, 0, 1)) == [day]


def test_publishing_command_and_task(world: Any) -> None:
    schedule = make_schedule(world.station_a)
    reception.generate_days(manager(world), schedule, D(2026, 10, 1), D(2026, 11, 30))
    with time_machine.travel(at(2026, 10, 7, 8), tick=False):
        out = __import__("io").StringIO()
        call_command("publish_reception_days", stdout=out)
        assert "1" in out.getvalue()
    with time_machine.travel(at(2026, 11, 3, 8), tick=False):
        tasks.publish_reception_days.call_local()
    assert list(Activity.objects.order_by("starts_at").values_list("status", flat=True)) == ["published", "published"]


def test_a_cancelled_day_is_not_published(world: Any) -> None:
    schedule = make_schedule(world.station_a)
    day = reception.generate_days(manager(world), schedule, D(2026, 10, 1), D(2026, 10, 31)).created[0]
    reception.cancel_day(manager(world), day, reason="场地维修")
    assert reception.publish_due(at(2026, 10, 7, 8)) == 0


def test_publish_by_hand(world: Any) -> None:
    schedule = make_schedule(world.station_a)
    day = reception.generate_days(manager(world), schedule, D(2026, 10, 1), D(2026, 10, 31)).created[0]
    with pytest.raises(ActivityError):
        reception.publish_by_hand(world.users[Role.DEPUTY], day)
    reception.publish_by_hand(manager(world), day)
    day.refresh_from_db()
    assert day.status == "published"
    with pytest.raises(ActivityError):
        reception.publish_by_hand(manager(world), day)


# ---- the rota --------------------------------------------------------------------------------------


def test_rota_reaches_the_minimum(world: Any) -> None:
    add_deputies(world.station_a, 4)  # with deputy_a: five deputies, 12 days × 2 = 24 duties
    make_schedule(world.station_a)
    rota = reception.build_rota(world.station_a, 2026, now=NEW_YEAR)
    assert len(rota.days) == 12
    assert sorted(rota.counts.values()) == [4, 5, 5, 5, 5]
    assert rota.short == []
    assert all(len(set(d.pk for d in deputies)) == 2 for _day, _s, deputies in rota.days)


def test_rota_warns_about_deputies_under_the_minimum(world: Any, settings: Any) -> None:
    add_deputies(world.station_a, 14)  # fifteen deputies, 24 duties: nine get two, six get one
    make_schedule(world.station_a)
    rota = reception.build_rota(world.station_a, 2026, now=NEW_YEAR)
    assert len(rota.short) == 6 and all(count == 1 for _d, count in rota.short)
    settings.RECEPTION_MIN_DUTIES_PER_YEAR = 1
    assert reception.build_rota(world.station_a, 2026, now=NEW_YEAR).short == []


def test_rota_without_days_warns_everyone(world: Any) -> None:
    rota = reception.build_rota(world.station_a, 2026)
    assert rota.days == [] and [d for d, _c in rota.short] == [world.deputy_a]


def test_rota_keeps_past_days_and_puts_who_missed_them_on_duty_first(world: Any) -> None:
    """Days already past keep who was on duty (none when never held); the coming days favour the
    deputies with the fewest duties so far, so everyone still can reach the minimum."""
    extra = add_deputies(world.station_a, 3, prefix="丁")  # 丁00..02 sort before 李明华 (deputy_a)
    schedule = make_schedule(world.station_a, deputies_per_day=1, valid_from=D(2026, 6, 1))
    with time_machine.travel(at(2026, 5, 20, 10), tick=False):
        days = reception.generate_days(manager(world), schedule, D(2026, 6, 1), D(2026, 8, 31)).created
    assert len(days) == 3  # the first Fridays of June, July, August (NOW is 25 September)
    # June and July were held by 丁02 and 李明华; August's day was cancelled.
    for day, deputy in ((days[0], extra[2]), (days[1], world.deputy_a)):
        day.attendances.all().delete()
        day.attendances.create(deputy=deputy, expected=True, on_duty=True)
    days[2].attendances.create(deputy=extra[0], expected=True, on_duty=True)
    Activity.objects.filter(pk=days[2].pk).update(status=Activity.Status.CANCELLED)

    rota = reception.build_rota(world.station_a, 2026)
    assert [(day, [d.pk for d in deps]) for day, _s, deps in rota.days[:3]] == [
        (D(2026, 6, 5), [extra[2].pk]), (D(2026, 7, 3), [world.deputy_a.pk]), (D(2026, 8, 7), []),
    ]
    assert rota.days[3][:1] == (D(2026, 9, 4),) and rota.days[3][2] == []  # past too, never held
    # Oct, Nov, Dec: the two without a duty first (by name), then the one whose duty is longest ago.
    assert [deps[0].pk for _day, _s, deps in rota.days[4:]] == [extra[0].pk, extra[1].pk, extra[2].pk]
    assert rota.counts == {extra[2].pk: 2, world.deputy_a.pk: 1, extra[0].pk: 1, extra[1].pk: 1}
    assert [d.pk for d, _count in rota.short] == [extra[0].pk, extra[1].pk, world.deputy_a.pk]


def test_apply_rota(world: Any) -> None:
    schedule = make_schedule(world.station_a, deputies_per_day=1)
    day = reception.generate_days(manager(world), schedule, D(2026, 10, 1), D(2026, 10, 31)).created[0]
    assert [a.deputy_id for a in day.attendances.filter(on_duty=True)] == [world.deputy_a.pk]
    extra = add_deputies(world.station_a, 3, prefix="丁")  # sorted before 李明华: the rota changes
    changed = reception.apply_rota(manager(world), world.station_a, 2026)
    assert changed == 1
    expected = reception.build_rota(world.station_a, 2026).on_duty(schedule, D(2026, 10, 8))
    assert [a.deputy_id for a in day.attendances.filter(on_duty=True)] == [d.pk for d in expected]
    assert expected[0] in extra
    assert reception.apply_rota(manager(world), world.station_a, 2026) == 0
    with pytest.raises(ActivityError):
        reception.apply_rota(world.outsider, world.station_a, 2026)


# ---- bookings --------------------------------------------------------------------------------------


def test_book_and_cancel(world: Any) -> None:
    day = published_day(world)
    appointment = book(day, key=KEY if (KEY := "a" * 20) else None)
    slot = appointment.slot
    slot.refresh_from_db()
    assert slot.booked == 1 and appointment.status == "booked" and len(appointment.code) == 8
    assert appointment.citizen_phone == "13811112222" and appointment.masked_phone == "138****2222"
    again = book(day, key="a" * 20)
    assert again.pk == appointment.pk and Appointment.objects.count() == 1
    assert reception.verify(appointment.code, "2223") is None
    assert reception.verify("ZZZZZZZZ", "2222") is None
    found = reception.verify(appointment.code.lower(), "2222")
    assert found is not None and found.pk == appointment.pk
    reception.cancel_booking(found)
    slot.refresh_from_db()
    assert slot.booked == 0
    with pytest.raises(ActivityError):
        reception.cancel_booking(found)


def _unchanged(day: Activity) -> tuple[int, list[int]]:
    return Appointment.objects.count(), list(day.slots.order_by("starts_at").values_list("booked", flat=True))


def test_a_full_slot_is_refused(world: Any) -> None:
    day = published_day(world)
    for n in range(3):
        book(day, phone=f"1380000000{n}")
    before = _unchanged(day)
    with pytest.raises(reception.BookingError) as error:
        book(day, phone="13800000009")
    assert error.value.code == "full"
    assert _unchanged(day) == before


def test_booking_twice_on_one_day_is_refused(world: Any) -> None:
    day = published_day(world)
    book(day)
    before = _unchanged(day)
    with pytest.raises(reception.BookingError) as error:
        book(day, slot=1)
    assert error.value.code == "twice" and _unchanged(day) == before


def test_past_cancelled_unpublished_days_are_refused(world: Any) -> None:
    day = published_day(world)
    before = _unchanged(day)
    with pytest.raises(reception.BookingError) as error:
        book(day, now=at(2026, 10, 8, 15, 10))
    assert error.value.code == "past" and _unchanged(day) == before
    schedule = day.schedule
    planned = reception.generate_days(manager(world), schedule, D(2026, 11, 1), D(2026, 11, 30)).created[0]
    assert planned.status == "planned"
    with pytest.raises(reception.BookingError) as error:
        book(planned)
    assert error.value.code == "unpublished"
    reception.cancel_day(manager(world), day, reason="场地维修")
    with pytest.raises(reception.BookingError) as error:
        book(day)
    assert error.value.code == "cancelled" and Appointment.objects.count() == 0
    with pytest.raises(reception.BookingError) as error:
        reception.book(999999, name="张三", phone="13811112222", topic="x")
    assert error.value.code == "not_found"


def test_cancel_after_the_start_is_refused(world: Any) -> None:
    appointment = book(published_day(world))
    with pytest.raises(reception.BookingError):
        reception.cancel_booking(appointment, now=at(2026, 10, 8, 15, 0))
    appointment.refresh_from_db()
    assert appointment.status == "booked"


# ---- the door --------------------------------------------------------------------------------------


def test_arrive_turns_the_booking_into_an_opinion(world: Any) -> None:
    day = published_day(world)
    appointment = book(day)
    staff = manager(world)
    with time_machine.travel(at(2026, 10, 8, 15, 5), tick=False):
        done = reception.arrive(staff, appointment, category=category(), note="车位被占")
    assert done.status == "arrived" and done.opinion is not None
    opinion = Opinion.objects.get(pk=done.opinion_id)
    assert opinion.channel == "walk_in" and opinion.station_id == world.station_a.pk
    assert opinion.activity_id == appointment.slot.activity_id  # taken during the reception day
    assert opinion.deputy_id == world.deputy_a.pk  # the deputy on duty
    assert opinion.citizen_name == "张三" and opinion.citizen_phone == "13811112222"
    assert opinion.title == "小区停车难" and "车位被占" in opinion.text
    event = opinion.events.first()
    assert event is not None and event.actor_id == staff.pk
    assert AuditEntry.objects.filter(action="reception.arrived", actor=staff).exists()
    with pytest.raises(ActivityError):
        reception.arrive(staff, appointment, category=category())
    assert Opinion.objects.count() == 1


def test_door_is_scoped_and_no_show(world: Any) -> None:
    appointment = book(published_day(world))
    for user in (world.outsider, world.users[Role.DEPUTY], world.users[Role.UNIT_STAFF]):
        with pytest.raises(ActivityError):
            reception.arrive(user, appointment, category=category())
    assert Opinion.objects.count() == 0
    reception.no_show(manager(world), appointment)
    appointment.refresh_from_db()
    assert appointment.status == "no_show"


def test_arrive_with_a_deputy_not_on_duty_is_refused(world: Any) -> None:
    appointment = book(published_day(world))
    with pytest.raises(ActivityError):
        reception.arrive(manager(world), appointment, category=category(), deputy=world.deputy_b)
    appointment.refresh_from_db()
    assert appointment.status == "booked" and Opinion.objects.count() == 0


# ---- messages to citizens --------------------------------------------------------------------------


def test_reminder_the_day_before(world: Any, outbox: Any, caplog: Any, monkeypatch: Any) -> None:
    # the message is made in the booking's language (shown here without the catalogue: language|msgid)
    monkeypatch.setattr(reception, "gettext", lambda message: f"{translation.get_language()}|{message}")
    day = published_day(world)
    zh = book(day)
    en = book(day, phone="13922223333", slot=1, language="en")
    assert reception.due_reminders(at(2026, 10, 6, 20)) == []
    with caplog.at_level(logging.INFO), time_machine.travel(at(2026, 10, 7, 9, 20), tick=False):
        tasks.queue_reception_reminders.call_local()
    assert sorted(m.to for m in outbox) == ["13811112222", "13922223333"]
    texts = {m.to: m.text for m in outbox}
    assert zh.code in texts["13811112222"] and texts["13811112222"].startswith("zh-hans|Reminder")
    assert en.code in texts["13922223333"] and texts["13922223333"].startswith("en|Reminder")
    assert "2026-10-08 15:00" in texts["13811112222"] and "坞城街道人大代表联络站" in texts["13811112222"]
    assert all("13811112222" not in str(vars(record)) for record in caplog.records)
    assert "138****2222" in [getattr(record, "to", "") for record in caplog.records]
    assert reception.due_reminders(at(2026, 10, 7, 10, 20)) == []  # reminded once


def test_cancelled_day_tells_the_citizens(world: Any, outbox: Any, django_capture_on_commit_callbacks: Any) -> None:
    day = published_day(world)
    appointment = book(day)
    with django_capture_on_commit_callbacks(execute=True):
        reception.cancel_day(manager(world), day, reason="场地维修")
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert [m.to for m in outbox] == ["13811112222"] and "场地维修" in outbox[0].text
    assert not any(s.booked for s in day.slots.all())


def test_rota_counts_reception_activities_held_outside_the_schedule(world: Any) -> None:
    """A reception held at the site without a schedule (a special day) counts towards the minimum."""
    from lianxin.activities.models import Kind

    make_schedule(world.station_a, deputies_per_day=1)
    special = Activity.objects.create(
        station=world.station_a, kind=Kind.RECEPTION, title="专题接待", status=Activity.Status.HELD,
        starts_at=at(2026, 3, 10, 9), ends_at=at(2026, 3, 10, 11), minutes="接待群众 12 人")
    special.attendances.create(deputy=world.deputy_a, expected=True, attended=True)
    rota = reception.build_rota(world.station_a, 2026)
    # one duty done in March, then the coming days (October to December) all go to the only deputy
    assert rota.counts[world.deputy_a.pk] == 4

"""Staff pages of reception days (scoping, schedule forms, generate, rota, bookings, the door, "mine")
and the citizens' pages (site page, booking, every bad booking, cancelling, the calendar feed), with query counts."""

from __future__ import annotations

import datetime
from typing import Any

import icalendar
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianxin.accounts.models import AuditEntry, Role
from lianxin.activities import reception
from lianxin.activities.models import Activity, Appointment, ReceptionSchedule
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
KEY = "x" * 24


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def _cache() -> Any:
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _form(**extra: Any) -> dict[str, Any]:
    data = {"frequency": "monthly", "weekday": "4", "nth": "1", "start_time": "15:00", "end_time": "17:00",
            "holiday_rule": "next", "slot_minutes": "30", "slot_capacity": "3", "deputies_per_day": "2",
            "publish_days": "", "valid_from": "2026-09-01", "valid_until": ""}
    data.update(extra)
    return data


# ---- staff: schedules ------------------------------------------------------------------------------


def test_create_edit_deactivate_schedule(world: Any, client_for: Any) -> None:
    client = client_for(manager(world))
    url = reverse("reception:schedule_new") + f"?site={world.station_a.pk}"
    assert client.get(url).status_code == 200
    response = client.post(url, _form())
    schedule = ReceptionSchedule.objects.get()
    assert response.status_code == 302 and schedule.station_id == world.station_a.pk and schedule.weekday == 4
    page = client.get(reverse("reception:schedule", args=[schedule.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "2026-10-08" in text and "2026-10-02" in text  # the holiday move is shown
    response = client.post(reverse("reception:schedule_edit", args=[schedule.pk]), _form(slot_capacity="5"))
    schedule.refresh_from_db()
    assert response.status_code == 302 and schedule.slot_capacity == 5
    client.post(reverse("reception:schedule_active", args=[schedule.pk]), {"active": "0"})
    schedule.refresh_from_db()
    assert not schedule.active
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"reception.schedule.create", "reception.schedule.update", "reception.schedule.deactivate"} <= actions


@pytest.mark.parametrize("bad", [
    {"weekday": "7"}, {"weekday": ""}, {"nth": "5"}, {"nth": "0"}, {"nth": ""},
    {"start_time": "17:00", "end_time": "15:00"}, {"start_time": "15:00", "end_time": "15:00"},
    {"slot_capacity": "0"}, {"slot_capacity": "-1"}, {"slot_minutes": "2"}, {"deputies_per_day": "0"},
    {"valid_from": "2026-09-01", "valid_until": "2026-08-01"}, {"end_time": "nonsense"},
])
def test_bad_schedule_changes_nothing(world: Any, client_for: Any, bad: dict[str, str]) -> None:
    client = client_for(manager(world))
    response = client.post(reverse("reception:schedule_new") + f"?site={world.station_a.pk}", _form(**bad))
    assert response.status_code == 200 and "is-invalid" in response.content.decode() or \
        "alert-danger" in response.content.decode()
    assert ReceptionSchedule.objects.count() == 0


def test_schedule_pages_are_scoped(world: Any, client_for: Any) -> None:
    schedule = make_schedule(world.station_a)
    day = published_day(world, schedule)
    appointment = book(day)
    outsider = client_for(world.outsider)
    for url in (reverse("reception:schedule", args=[schedule.pk]),
                reverse("reception:schedule_edit", args=[schedule.pk]),
                reverse("reception:rota", args=[world.station_a.pk]),
                reverse("reception:day", args=[day.pk]),
                reverse("reception:schedule_new") + f"?site={world.station_a.pk}"):
        assert outsider.get(url).status_code == 404, url
    for url in (reverse("reception:generate", args=[schedule.pk]), reverse("reception:publish", args=[day.pk]),
                reverse("reception:cancel", args=[day.pk]), reverse("reception:reveal", args=[day.pk]),
                reverse("reception:arrive", args=[appointment.pk]),
                reverse("reception:no_show", args=[appointment.pk])):
        assert outsider.post(url, {"reason": "x", "start": "2026-10-01", "end": "2026-12-31"}).status_code == 404, url
    response = outsider.get(reverse("reception:door") + f"?code={appointment.code}")
    assert response.status_code == 404 and "138****2222" not in response.content.decode()
    index = outsider.get(reverse("reception:index")).content.decode()
    assert world.station_a.name not in index
    unit = client_for(world.users[Role.UNIT_STAFF])
    assert unit.get(reverse("reception:day", args=[day.pk])).status_code == 404
    assert client_for(world.users[Role.CITY_ADMIN]).get(reverse("reception:day", args=[day.pk])).status_code == 200
    assert Activity.objects.get(pk=day.pk).status == "published"
    assert Appointment.objects.get(pk=appointment.pk).status == "booked"


def test_deputy_reads_but_cannot_organise(world: Any, client_for: Any) -> None:
    schedule = make_schedule(world.station_a)
    client = client_for(world.users[Role.DEPUTY])
    assert client.get(reverse("reception:index")).status_code == 302
    assert client.get(reverse("reception:schedule", args=[schedule.pk])).status_code == 200
    assert client.get(reverse("reception:schedule_edit", args=[schedule.pk])).status_code == 403
    response = client.post(reverse("reception:generate", args=[schedule.pk]),
                           {"start": "2026-10-01", "end": "2026-12-31"})
    assert response.status_code == 403 and Activity.objects.count() == 0
    assert client.post(reverse("reception:rota", args=[world.station_a.pk]), {"year": "2026"}).status_code == 403


def test_generate_and_rota_pages(world: Any, client_for: Any) -> None:
    add_deputies(world.station_a, 14)
    schedule = make_schedule(world.station_a)
    client = client_for(manager(world))
    response = client.post(reverse("reception:generate", args=[schedule.pk]),
                           {"start": "2026-10-01", "end": "2026-12-31"}, follow=True)
    assert Activity.objects.filter(schedule=schedule).count() == 3
    assert "3" in response.content.decode()
    client.post(reverse("reception:generate", args=[schedule.pk]), {"start": "2026-10-01", "end": "2026-12-31"})
    assert Activity.objects.filter(schedule=schedule).count() == 3
    response = client.post(reverse("reception:generate", args=[schedule.pk]),
                           {"start": "2026-12-31", "end": "2026-10-01"}, follow=True)
    assert Activity.objects.filter(schedule=schedule).count() == 3
    assert "alert" in response.content.decode()
    rota = client.get(reverse("reception:rota", args=[world.station_a.pk]) + "?year=2026")
    # 25 September: the year's past days were never held, so the three coming ones (2 deputies each)
    # cannot bring any of the fifteen deputies to the minimum of two.
    assert rota.status_code == 200 and rota.content.decode().count("lx-short") == 15
    assert client.post(reverse("reception:rota", args=[world.station_a.pk]), {"year": "2026"}).status_code == 302
    assert AuditEntry.objects.filter(action="reception.rota").exists()


# ---- staff: bookings of a day and the door ---------------------------------------------------------


def test_day_bookings_masked_and_reveal_audited(world: Any, client_for: Any) -> None:
    day = published_day(world)
    book(day)
    client = client_for(manager(world))
    text = client.get(reverse("reception:day", args=[day.pk])).content.decode()
    assert "138****2222" in text and "13811112222" not in text and "张三" not in text
    text = client.post(reverse("reception:reveal", args=[day.pk])).content.decode()
    assert "13811112222" in text
    assert AuditEntry.objects.filter(action="pii.view", actor=manager(world)).count() == 1
    deputy = client_for(world.users[Role.DEPUTY])
    assert deputy.post(reverse("reception:reveal", args=[day.pk])).status_code == 403


def test_the_door(world: Any, client_for: Any) -> None:
    day = published_day(world)
    appointment = book(day)
    cat = category()
    client = client_for(manager(world))
    found = client.get(reverse("reception:door") + f"?code={appointment.code.lower()}")
    assert found.status_code == 200 and "138****2222" in found.content.decode()
    assert client.get(reverse("reception:door") + "?code=ZZZZZZZZ").status_code == 404
    bad = client.post(reverse("reception:arrive", args=[appointment.pk]), {"category": ""})
    assert bad.status_code == 400 and Opinion.objects.count() == 0
    with time_machine.travel(at(2026, 10, 8, 15, 2), tick=False):
        response = client.post(reverse("reception:arrive", args=[appointment.pk]),
                               {"category": cat.pk, "note": "车位被占"})
    appointment.refresh_from_db()
    assert response.status_code == 302 and appointment.status == "arrived"
    opinion = Opinion.objects.get()
    assert response["Location"] == reverse("opinions:detail", args=[opinion.pk])
    assert opinion.channel == "walk_in" and appointment.opinion_id == opinion.pk
    again = client.post(reverse("reception:arrive", args=[appointment.pk]), {"category": cat.pk})
    assert again.status_code == 400 and Opinion.objects.count() == 1
    other = book(day, phone="13900001111", slot=1)
    client.post(reverse("reception:no_show", args=[other.pk]))
    other.refresh_from_db()
    assert other.status == "no_show"


def test_cancel_day_page(world: Any, client_for: Any) -> None:
    day = published_day(world)
    client = client_for(manager(world))
    client.post(reverse("reception:cancel", args=[day.pk]), {"reason": ""})
    day.refresh_from_db()
    assert day.status == "published"
    client.post(reverse("reception:cancel", args=[day.pk]), {"reason": "停电"})
    day.refresh_from_db()
    assert day.status == "cancelled" and day.cancel_reason == "停电"


def test_my_reception_days_for_a_deputy(world: Any, client_for: Any) -> None:
    day = published_day(world)
    book(day)
    client = client_for(world.users[Role.DEPUTY])
    text = client.get(reverse("reception:mine")).content.decode()
    assert "2026-10-08" in text and "138****2222" in text and "13811112222" not in text
    assert f'href="{reverse("reception:day", args=[day.pk])}"' in text  # the day's page, one click away
    assert client.get(reverse("reception:day", args=[day.pk])).status_code == 200
    assert client_for(manager(world)).get(reverse("reception:mine")).status_code == 403


def test_staff_lists_query_count_does_not_grow(world: Any, client_for: Any) -> None:
    add_deputies(world.station_a, 4)
    schedule = make_schedule(world.station_a, frequency=ReceptionSchedule.Frequency.WEEKLY)
    reception.generate_days(manager(world), schedule, D(2026, 10, 1), D(2026, 10, 10))
    client = client_for(manager(world))

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    index_few = count(reverse("reception:index"))
    day = Activity.objects.order_by("starts_at").first()
    assert day is not None
    reception.publish_by_hand(manager(world), day)
    book(day)
    day_few = count(reverse("reception:day", args=[day.pk]))
    reception.generate_days(manager(world), schedule, D(2026, 10, 11), D(2026, 12, 31))
    for n in range(6):
        book(day, phone=f"1370000000{n}", slot=n % 4)
    assert count(reverse("reception:index")) <= index_few
    assert count(reverse("reception:day", args=[day.pk])) <= day_few


# ---- citizens ---------------------------------------------------------------------------------------


def _booking(target: Any, **extra: Any) -> dict[str, Any]:
    data = {"slot": target.pk, "name": "张三", "phone": "138 1111 2222", "topic": "小区停车难", "consent": "on",
            "key": KEY}
    data.update(extra)
    return data


def test_site_page_shows_published_days_with_deputies(world: Any, client: Any) -> None:
    day = published_day(world)
    reception.generate_days(manager(world), day.schedule, D(2026, 11, 1), D(2026, 11, 30))  # planned: hidden
    text = client.get(reverse("public:site", args=[world.station_a.code])).content.decode()
    assert "2026-10-08" in text and world.deputy_a.name in text and "2026-11-06" not in text
    text = client.get(reverse("reception_public:site", args=[world.station_a.code])).content.decode()
    assert reverse("reception_public:book", args=[day.pk]) in text and "2026-11-06" not in text


def test_book_a_slot(world: Any, client: Any) -> None:
    day = published_day(world)
    slot = day.slots.order_by("starts_at").first()
    url = reverse("reception_public:book", args=[day.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'name="key"' in page.content.decode()
    response = client.post(url, _booking(slot))
    assert response.status_code == 302 and response["Location"] == reverse("reception_public:booked")
    appointment = Appointment.objects.get()
    assert appointment.citizen_phone == "13811112222" and appointment.topic == "小区停车难"
    assert appointment.code in client.get(reverse("reception_public:booked")).content.decode()
    again = client.post(url, _booking(slot))  # double click: same booking
    assert again.status_code == 302 and Appointment.objects.count() == 1
    slot.refresh_from_db()
    assert slot.booked == 1


@pytest.mark.parametrize("bad", [
    {"name": ""}, {"phone": ""}, {"phone": "12345"}, {"topic": "   "}, {"consent": ""}, {"key": "short"},
    {"slot": ""}, {"slot": "999999"},
])
def test_bad_bookings_change_nothing(world: Any, client: Any, bad: dict[str, str]) -> None:
    day = published_day(world)
    slot = day.slots.order_by("starts_at").first()
    data = {k: v for k, v in _booking(slot, **bad).items() if v != ""}
    response = client.post(reverse("reception_public:book", args=[day.pk]), data)
    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode() or "alert-danger" in response.content.decode()
    assert Appointment.objects.count() == 0 and not any(s.booked for s in day.slots.all())


def test_full_past_cancelled_unpublished_bookings_refused(world: Any, client: Any) -> None:
    day = published_day(world)
    slot = day.slots.order_by("starts_at").first()
    for n in range(3):
        book(day, phone=f"1390000000{n}")
    url = reverse("reception_public:book", args=[day.pk])
    full = client.post(url, _booking(slot))
    assert full.status_code == 409 and Appointment.objects.count() == 3
    second = day.slots.order_by("starts_at")[1]
    with time_machine.travel(at(2026, 10, 8, 15, 40), tick=False):
        past = client.post(url, _booking(second, key="y" * 24))
    assert past.status_code == 409 and Appointment.objects.count() == 3
    planned = reception.generate_days(manager(world), day.schedule, D(2026, 11, 1), D(2026, 11, 30)).created[0]
    assert client.get(reverse("reception_public:book", args=[planned.pk])).status_code == 404
    reception.cancel_day(manager(world), day, reason="停电")
    cancelled = client.post(url, _booking(second, key="z" * 24))
    assert cancelled.status_code == 409 and "停电" not in cancelled.content.decode()
    assert Appointment.objects.filter(status="booked").count() == 0
    # a slot of another day posted to this day's page is not among the choices
    other = published_day(world, day=D(2026, 11, 6))
    wrong = client.post(reverse("reception_public:book", args=[other.pk]), _booking(second, key="w" * 24))
    assert wrong.status_code == 400


def test_booking_rate_limits(world: Any, client: Any, settings: Any) -> None:
    settings.BOOKING_RATE_IP = (2, 600)
    day = published_day(world)
    slots = list(day.slots.order_by("starts_at"))
    url = reverse("reception_public:book", args=[day.pk])
    for n in range(2):
        assert client.post(url, _booking(slots[n], phone=f"1390000000{n}", key=f"{n}" * 24)).status_code == 302
    assert client.post(url, _booking(slots[2], phone="13900000009", key="9" * 24)).status_code == 429
    assert Appointment.objects.count() == 2
    settings.BOOKING_RATE_IP = (100, 600)
    settings.BOOKING_RATE_PHONE = (1, 3600)
    other = published_day(world, day=D(2026, 11, 6))
    other_url = reverse("reception_public:book", args=[other.pk])
    slot = other.slots.order_by("starts_at").first()
    assert client.post(other_url, _booking(slot, phone="13700000000", key="a" * 24)).status_code == 302
    assert client.post(other_url, _booking(slot, phone="13700000000", key="b" * 24)).status_code == 429


def test_cancel_by_code_and_digits(world: Any, client: Any) -> None:
    appointment = book(published_day(world))
    url = reverse("reception_public:cancel")
    assert client.post(url, {"code": appointment.code, "digits": "9999"}).status_code == 404
    assert client.post(url, {"code": appointment.code, "digits": "12"}).status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    response = client.post(url, {"code": appointment.code.lower(), "digits": "2222"})
    appointment.refresh_from_db()
    assert response.status_code == 302 and appointment.status == "cancelled"
    assert appointment.slot.booked == 0
    assert client.post(url, {"code": appointment.code, "digits": "2222"}).status_code == 409


def test_ical_feed(world: Any, client: Any) -> None:
    day = published_day(world)
    reception.generate_days(manager(world), day.schedule, D(2026, 11, 1), D(2026, 11, 30))  # planned: not in
    response = client.get(reverse("reception_public:feed", args=[world.station_a.code]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(response.content)
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) == 1
    event = events[0]
    assert event.decoded("dtstart") == day.starts_at and event.decoded("dtend") == day.ends_at
    assert str(event["uid"]) == f"reception-{day.pk}@lianxin"
    assert world.deputy_a.name in str(event["description"]) and world.station_a.name in str(event["summary"])
    assert client.get("/r/NO-SUCH-SITE.ics").status_code == 404


def test_public_pages_query_count_does_not_grow(world: Any, client: Any) -> None:
    add_deputies(world.station_a, 3)
    schedule = make_schedule(world.station_a, frequency=ReceptionSchedule.Frequency.WEEKLY)
    reception.generate_days(manager(world), schedule, D(2026, 10, 1), D(2026, 10, 8))
    Activity.objects.filter(kind="reception").update(status="published")

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    urls = [reverse("reception_public:site", args=[world.station_a.code]),
            reverse("reception_public:feed", args=[world.station_a.code]),
            reverse("public:site", args=[world.station_a.code])]
    few = [count(u) for u in urls]
    reception.generate_days(manager(world), schedule, D(2026, 10, 9), D(2026, 12, 31))
    Activity.objects.filter(kind="reception").update(status="published")
    assert [count(u) for u in urls] == few


def test_my_days_query_count_does_not_grow(world: Any, client_for: Any) -> None:
    schedule = make_schedule(world.station_a, frequency=ReceptionSchedule.Frequency.WEEKLY)
    reception.generate_days(manager(world), schedule, D(2026, 10, 1), D(2026, 10, 8))
    client = client_for(world.users[Role.DEPUTY])

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("reception:mine")).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    reception.generate_days(manager(world), schedule, D(2026, 10, 9), D(2026, 12, 31))
    for day in Activity.objects.filter(kind="reception", status="planned")[:4]:
        reception.publish_by_hand(manager(world), day)
        book(day)
    assert count() <= few


def test_index_searches_sites_by_name(english: Any, world: Any, client_for: Any) -> None:
    make_schedule(world.station_a)
    make_schedule(world.station_b)
    client = client_for(world.users[Role.CITY_ADMIN])
    both = client.get(reverse("reception:index")).content.decode()
    assert world.station_a.name in both and world.station_b.name in both
    found = client.get(reverse("reception:index"), {"q": world.station_b.name[:2]}).content.decode()
    schedules = found.split("<h2", 2)[1]
    assert world.station_b.name in schedules and world.station_a.name not in schedules
    none = client.get(reverse("reception:index"), {"q": "无此站点"}).content.decode()
    assert "No reception schedule at a site of this name." in none
    # the search never widens the scope
    outsider = client_for(world.outsider).get(reverse("reception:index"), {"q": world.station_a.name}).content.decode()
    assert world.station_a.name not in outsider.split("<h2", 1)[1]

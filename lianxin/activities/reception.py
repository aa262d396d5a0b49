"""Reception days (接待日): recurrence, the rota, publishing, bookings, the door.

A site's ``ReceptionSchedule`` yields dates (the nth weekday of each month, or every week); a
date that is not a working day (China's statutory holidays, make-up working days count as
working days) moves by the schedule's ``holiday_rule``. Each date becomes an ``Activity`` of kind
reception through ``services.create_activity``, with its ``ReceptionSlot``s and the deputies on
duty from the site's rota. A day is published ``publish_days`` ahead (a periodic task); citizens
then book slots (capacity kept by a conditional UPDATE, so concurrent bookings never overfill a
slot), cancel with the code and the last four phone digits, and are reminded the day before. At
the door the staff turn a booking into an opinion (channel walk-in) in one step.
"""

from __future__ import annotations

import calendar
import datetime
import hmac
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Prefetch, Q
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from lianxin.accounts.audit import log_action
from lianxin.accounts.models import User
from lianxin.core import clock
from lianxin.core.crypto import lookup_hash
from lianxin.core.masking import mask_phone
from lianxin.deputies.models import Deputy
from lianxin.opinions.deadlines import is_working_day
from lianxin.stations.models import Station

from . import services
from .models import Activity, Appointment, Attendance, Kind, ReceptionSchedule, ReceptionSlot
from .services import ActivityError

logger = logging.getLogger("lianxin.reception")

ONE_DAY = datetime.timedelta(days=1)


def publish_days_default() -> int:
    return int(getattr(settings, "RECEPTION_PUBLISH_DAYS", 3))


def min_duties_per_year() -> int:
    return int(getattr(settings, "RECEPTION_MIN_DUTIES_PER_YEAR", 2))


def publish_days_of(schedule: ReceptionSchedule | None) -> int:
    if schedule is not None and schedule.publish_days is not None:
        return int(schedule.publish_days)
    return publish_days_default()


# ---- recurrence -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    """A date the rule names (``nominal``) and where it is held (``day``; None when skipped)."""

    nominal: datetime.date
    day: datetime.date | None

    @property
    def moved(self) -> bool:
        return self.day is not None and self.day != self.nominal

    @property
    def skipped(self) -> bool:
        return self.day is None


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> datetime.date | None:
    """The ``nth`` (1…4, or -1 for the last) ``weekday`` (0 = Monday) of the month."""
    days = [d for d in calendar.Calendar().itermonthdates(year, month) if d.month == month and d.weekday() == weekday]
    if nth == -1:
        return days[-1]
    return days[nth - 1] if 1 <= nth <= len(days) else None


def _move(day: datetime.date, rule: str) -> datetime.date | None:
    if is_working_day(day):
        return day
    if rule == ReceptionSchedule.HolidayRule.SKIP:
        return None
    step = -ONE_DAY if rule == ReceptionSchedule.HolidayRule.PREVIOUS else ONE_DAY
    for _i in range(31):
        day += step
        if is_working_day(day):
            return day
    return None


def _nominal_dates(schedule: ReceptionSchedule, start: datetime.date, end: datetime.date) -> list[datetime.date]:
    if schedule.frequency == ReceptionSchedule.Frequency.WEEKLY:
        first = start + datetime.timedelta(days=(schedule.weekday - start.weekday()) % 7)
        return [first + datetime.timedelta(weeks=i) for i in range(((end - first).days // 7) + 1)] if first <= end else []
    found = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        day = nth_weekday(year, month, schedule.weekday, schedule.nth)
        if day is not None:
            found.append(day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def occurrences(schedule: ReceptionSchedule, start: datetime.date, end: datetime.date) -> list[Occurrence]:
    """The schedule's dates whose reception day falls in [start, end], holiday moves applied, in order.

    A nominal date just outside the range may move into it (and one inside out of it); the rule's
    validity (``valid_from`` … ``valid_until``) applies to the nominal date.
    """
    margin = datetime.timedelta(days=31)
    seen: set[datetime.date] = set()
    found: list[Occurrence] = []
    for nominal in _nominal_dates(schedule, start - margin, end + margin):
        if nominal < schedule.valid_from or (schedule.valid_until and nominal > schedule.valid_until):
            continue
        day = _move(nominal, schedule.holiday_rule)
        if day is None:
            if start <= nominal <= end:
                found.append(Occurrence(nominal, None))
            continue
        if start <= day <= end and day not in seen:
            seen.add(day)
            found.append(Occurrence(nominal, day))
    return sorted(found, key=lambda o: (o.day or o.nominal, o.nominal))


def day_times(schedule: ReceptionSchedule, day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(day, schedule.start_time))
    end = timezone.make_aware(datetime.datetime.combine(day, schedule.end_time))
    return start, end


def slot_times(schedule: ReceptionSchedule, day: datetime.date) -> list[tuple[datetime.datetime, datetime.datetime]]:
    start, end = day_times(schedule, day)
    step = datetime.timedelta(minutes=max(5, int(schedule.slot_minutes)))
    slots = []
    at = start
    while at + step <= end:
        slots.append((at, at + step))
        at += step
    return slots or [(start, end)]


WEEKDAY_NAMES = [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]
NTH_NAMES = {1: _("first"), 2: _("second"), 3: _("third"), 4: _("fourth"), -1: _("last")}


def rule_label(schedule: ReceptionSchedule) -> str:
    """"The first Friday of the month" / "Every Tuesday", in the user's language."""
    day = WEEKDAY_NAMES[schedule.weekday] if 0 <= schedule.weekday <= 6 else "?"
    if schedule.frequency == ReceptionSchedule.Frequency.WEEKLY:
        return gettext("Every %(day)s") % {"day": day}
    return gettext("The %(nth)s %(day)s of the month") % {"nth": NTH_NAMES.get(schedule.nth, "?"), "day": day}


def validate_schedule(schedule: ReceptionSchedule) -> None:
    """The rule's own checks (the form shows them next to the fields; services call this too)."""
    if not 0 <= schedule.weekday <= 6:
        raise ActivityError("invalid", _("Choose a weekday."))
    if schedule.frequency == ReceptionSchedule.Frequency.MONTHLY and schedule.nth not in (1, 2, 3, 4, -1):
        raise ActivityError("invalid", _("Choose which weekday of the month: first to fourth, or the last."))
    if schedule.end_time <= schedule.start_time:
        raise ActivityError("invalid", _("The reception must end after it starts."))
    if schedule.slot_capacity < 1:
        raise ActivityError("invalid", _("A slot must take at least one citizen."))
    if schedule.slot_minutes < 5:
        raise ActivityError("invalid", _("A slot lasts at least five minutes."))
    if schedule.deputies_per_day < 1:
        raise ActivityError("invalid", _("At least one deputy must be on duty."))
    if schedule.valid_until and schedule.valid_until < schedule.valid_from:
        raise ActivityError("invalid", _("The end of validity must not be before its start."))


# ---- the rota -------------------------------------------------------------------------------------


@dataclass
class Rota:
    station: Station
    year: int
    minimum: int
    deputies: list[Deputy]
    days: list[tuple[datetime.date, ReceptionSchedule, list[Deputy]]] = field(default_factory=list)
    counts: dict[int, int] = field(default_factory=dict)

    @property
    def short(self) -> list[tuple[Deputy, int]]:
        """Deputies who will not reach the yearly minimum, with their number of duties."""
        return [(d, self.counts.get(d.pk, 0)) for d in self.deputies if self.counts.get(d.pk, 0) < self.minimum]

    @property
    def rows(self) -> list[tuple[Deputy, int]]:
        return [(d, self.counts.get(d.pk, 0)) for d in self.deputies]

    def on_duty(self, schedule: ReceptionSchedule, day: datetime.date) -> list[Deputy]:
        for when, sched, deputies in self.days:
            if when == day and sched.pk == schedule.pk:
                return deputies
        return []


def site_schedules(station: Station) -> list[ReceptionSchedule]:
    return list(ReceptionSchedule.objects.filter(station=station, active=True).order_by("id"))


def build_rota(station: Station, year: int, minimum: int | None = None,
               schedules: list[ReceptionSchedule] | None = None, now: datetime.datetime | None = None) -> Rota:
    """Spread the site's group deputies over the year's reception days, ``deputies_per_day`` each.

    Duties already done this year count: every past reception activity at the site, not cancelled,
    where the deputy was on duty or came (a past scheduled day shows them; none if it was never held or was cancelled).
    Each coming day takes the deputies with the fewest duties so far in the year,
    then those whose last duty is longest ago, then by name: from an empty year this is a round
    robin (every deputy gets ⌊duties ÷ deputies⌋ or one more, the fairest spread there is), and a
    deputy who missed earlier days is put on duty sooner. A deputy who still stays under the yearly
    minimum can only be helped by more reception days or more deputies per day, and is listed as a
    warning.
    """
    minimum = min_duties_per_year() if minimum is None else minimum
    today = timezone.localdate(now or clock.now())
    deputies = services.group_deputies(station)
    rota = Rota(station=station, year=year, minimum=minimum, deputies=deputies)
    schedules = site_schedules(station) if schedules is None else schedules
    days = []
    for schedule in schedules:
        for occ in occurrences(schedule, datetime.date(year, 1, 1), datetime.date(year, 12, 31)):
            if occ.day is not None:
                days.append((occ.day, schedule))
    days.sort(key=lambda pair: (pair[0], pair[1].pk))
    # Duties already done this year at this site: any past reception activity here, not cancelled (a
    # scheduled day or not), where the deputy was on duty or came.
    held: dict[tuple[int, datetime.date], list[int]] = defaultdict(list)
    last: dict[int, datetime.date] = {}
    done = (Attendance.objects.filter(
        activity__station=station, activity__kind=Kind.RECEPTION, activity__starts_at__date__gte=datetime.date(year, 1, 1),
        activity__starts_at__date__lt=min(today, datetime.date(year + 1, 1, 1)), deputy__in=deputies,
    ).exclude(activity__status=Activity.Status.CANCELLED).filter(Q(on_duty=True) | Q(attended=True))
        .values_list("activity__schedule_id", "activity__starts_at", "deputy_id").order_by("deputy__name", "deputy_id"))
    for schedule_id, starts_at, deputy_id in done:
        day = timezone.localtime(starts_at).date()
        rota.counts[deputy_id] = rota.counts.get(deputy_id, 0) + 1
        last[deputy_id] = max(day, last.get(deputy_id, day))
        if schedule_id is not None:
            held[(schedule_id, day)].append(deputy_id)
    by_pk = {d.pk: d for d in deputies}
    order = {d.pk: i for i, d in enumerate(deputies)}
    for day, schedule in days:
        if day < today:  # past: who was there (already counted above)
            rota.days.append((day, schedule, [by_pk[pk] for pk in held.get((schedule.pk, day), [])]))
            continue
        chosen = sorted(deputies, key=lambda d: (rota.counts.get(d.pk, 0), last.get(d.pk, datetime.date.min),
                                                 order[d.pk]))[:schedule.deputies_per_day]
        for deputy in chosen:
            rota.counts[deputy.pk] = rota.counts.get(deputy.pk, 0) + 1
            last[deputy.pk] = day
        rota.days.append((day, schedule, chosen))
    return rota


def apply_rota(user: User, station: Station, year: int, *, request: Any = None,
               now: datetime.datetime | None = None) -> int:
    """Set the deputies on duty of the site's coming reception days of ``year`` from the rota.

    Days already held or cancelled keep what they have. Returns how many days changed.
    """
    now = now or clock.now()
    if not services.can_organise(user, station):
        raise ActivityError("not_allowed", _("You may not organise activities at this site."))
    rota = build_rota(station, year, now=now)
    wanted = {(sched.pk, day): {d.pk for d in deps} for day, sched, deps in rota.days}
    days = (Activity.objects.filter(station=station, kind=Kind.RECEPTION, schedule__isnull=False,
                                    status__in=[Activity.Status.PLANNED, Activity.Status.PUBLISHED],
                                    starts_at__gt=now, starts_at__year=year)
            .prefetch_related("attendances"))
    changed = 0
    with transaction.atomic():
        for activity in days:
            key = (activity.schedule_id, timezone.localtime(activity.starts_at).date())
            if key not in wanted:
                continue
            target = wanted[key]
            rows = {a.deputy_id: a for a in activity.attendances.all()}
            current = {pk for pk, a in rows.items() if a.on_duty}
            if current == target:
                continue
            changed += 1
            for pk, row in rows.items():
                if row.on_duty and pk not in target:
                    row.delete()
            for pk in target:
                if pk in rows:
                    if not rows[pk].on_duty:
                        Attendance.objects.filter(pk=rows[pk].pk).update(on_duty=True, expected=True)
                else:
                    Attendance.objects.create(activity=activity, deputy_id=pk, expected=True, on_duty=True)
        log_action(user, "reception.rota", station, {"year": year, "days_changed": changed}, request)
    return changed


# ---- making the days ------------------------------------------------------------------------------


@dataclass
class Generated:
    created: list[Activity] = field(default_factory=list)
    existing: int = 0
    skipped: list[Occurrence] = field(default_factory=list)


def generate_days(user: User, schedule: ReceptionSchedule, start: datetime.date, end: datetime.date, *,
                  request: Any = None, now: datetime.datetime | None = None) -> Generated:
    """Create the reception days of ``schedule`` in [start, end] that do not exist yet (idempotent).

    Past dates are not made; days due for publishing are published at once (the publishing rule).
    """
    now = now or clock.now()
    if not schedule.active:
        raise ActivityError("invalid", _("This reception schedule is not active."))
    if end < start:
        raise ActivityError("invalid", _("The end of the period must not be before its start."))
    if (end - start).days > 400:
        raise ActivityError("invalid", _("Generate at most about a year of reception days at once."))
    station = schedule.station
    if not services.can_organise(user, station):
        raise ActivityError("not_allowed", _("You may not organise activities at this site."))
    result = Generated()
    today = timezone.localtime(now).date()
    taken = {timezone.localtime(at).date() for at in Activity.objects.filter(
        schedule=schedule, starts_at__date__gte=start - ONE_DAY, starts_at__date__lte=end + ONE_DAY,
    ).values_list("starts_at", flat=True)}
    rotas: dict[int, Rota] = {}
    title = gettext("Reception day")
    with transaction.atomic():
        for occ in occurrences(schedule, start, end):
            if occ.day is None:
                result.skipped.append(occ)
                continue
            if occ.day in taken:
                result.existing += 1
                continue
            starts_at, ends_at = day_times(schedule, occ.day)
            if occ.day < today or starts_at <= now:
                continue
            if occ.day.year not in rotas:
                rotas[occ.day.year] = build_rota(station, occ.day.year)
            due = occ.day - datetime.timedelta(days=publish_days_of(schedule)) <= today
            activity = services.create_activity(
                user, station=station, kind=Kind.RECEPTION, title=title, starts_at=starts_at, ends_at=ends_at,
                on_duty=rotas[occ.day.year].on_duty(schedule, occ.day), schedule=schedule, publish=due,
                request=request, now=now,
            )
            ReceptionSlot.objects.bulk_create([
                ReceptionSlot(activity=activity, starts_at=a, ends_at=b, capacity=schedule.slot_capacity)
                for a, b in slot_times(schedule, occ.day)
            ])
            taken.add(occ.day)
            result.created.append(activity)
        log_action(user, "reception.generate", schedule, {
            "from": start.isoformat(), "until": end.isoformat(), "created": len(result.created),
        }, request)
    return result


# ---- publishing -----------------------------------------------------------------------------------


def due_for_publishing(now: datetime.datetime | None = None) -> list[Activity]:
    """Planned reception days whose publishing date (``publish_days`` before the day) has come."""
    now = now or clock.now()
    today = timezone.localtime(now).date()
    longest = max(publish_days_default(),
                  ReceptionSchedule.objects.aggregate(m=Max("publish_days"))["m"] or 0)
    candidates = (Activity.objects.filter(kind=Kind.RECEPTION, status=Activity.Status.PLANNED, starts_at__gt=now,
                                          starts_at__lt=now + datetime.timedelta(days=longest + 1),
                                          station__status=Station.Status.ACTIVE)
                  .select_related("schedule").order_by("starts_at", "id"))
    return [a for a in candidates
            if timezone.localtime(a.starts_at).date() - datetime.timedelta(days=publish_days_of(a.schedule)) <= today]


def publish_due(now: datetime.datetime | None = None) -> int:
    """Publish every reception day that is due (the system as actor: audited without a user)."""
    now = now or clock.now()
    count = 0
    for activity in due_for_publishing(now):
        with transaction.atomic():
            locked = Activity.objects.select_for_update().filter(pk=activity.pk, status=Activity.Status.PLANNED).first()
            if locked is None:
                continue
            services._publish(locked, None, now)
            log_action(None, "activity.publish", locked, {"by": "reception schedule"})
            count += 1
    return count


def publish_by_hand(user: User, activity: Activity | int, *, request: Any = None) -> Activity:
    return services.publish(user, activity, request=request)


def cancel_day(user: User, activity: Activity | int, *, reason: str, request: Any = None,
               now: datetime.datetime | None = None) -> Activity:
    """Cancel a reception day: its bookings are cancelled and the citizens are told by SMS."""
    now = now or clock.now()
    with transaction.atomic():
        cancelled = services.cancel(user, activity, reason=reason, request=request, now=now)
        ids = list(Appointment.objects.filter(slot__activity=cancelled, status=Appointment.Status.BOOKED)
                   .values_list("pk", flat=True))
        Appointment.objects.filter(pk__in=ids).update(status=Appointment.Status.CANCELLED, cancelled_at=now)
        ReceptionSlot.objects.filter(activity=cancelled).update(booked=0)

        def tell() -> None:
            from .tasks import send_day_cancelled

            for pk in ids:
                send_day_cancelled(pk)

        transaction.on_commit(tell)
    return cancelled


# ---- bookings -------------------------------------------------------------------------------------


class BookingError(ActivityError):
    pass


def bookable_days(station: Station, now: datetime.datetime | None = None, limit: int = 20) -> list[Activity]:
    """Upcoming published reception days of a site, with their slots and the deputies on duty."""
    now = now or clock.now()
    return list(
        Activity.objects.public().filter(station=station, kind=Kind.RECEPTION, status=Activity.Status.PUBLISHED,
                                         ends_at__gt=now)
        .order_by("starts_at", "id")
        .prefetch_related(
            Prefetch("slots", queryset=ReceptionSlot.objects.order_by("starts_at")),
            Prefetch("attendances", queryset=Attendance.objects.filter(on_duty=True, deputy__in=Deputy.objects.public())
                     .select_related("deputy")
                     # no phone: its decryption would cost a Fernet call per deputy, for nothing shown
                     .only("id", "activity_id", "deputy_id", "on_duty", "deputy__id", "deputy__name",
                           "deputy__public_code")
                     .order_by("deputy__name", "deputy_id"), to_attr="duty"),
        )[:limit]
    )


def existing_booking(key: str) -> Appointment | None:
    if not key or len(key) > 64:
        return None
    return Appointment.objects.filter(idempotency_key=key).first()


def _refuse_slot(slot_id: int, now: datetime.datetime) -> BookingError:
    """Why a slot cannot be booked (read after the conditional UPDATE changed nothing)."""
    slot = ReceptionSlot.objects.select_related("activity", "activity__station").filter(pk=slot_id).first()
    if slot is None or slot.activity.kind != Kind.RECEPTION:
        return BookingError("not_found", _("This reception time does not exist."))
    activity = slot.activity
    if activity.status == Activity.Status.CANCELLED:
        return BookingError("cancelled", _("This reception day was cancelled. Please choose another day."))
    if activity.status != Activity.Status.PUBLISHED or activity.station.status != Station.Status.ACTIVE:
        return BookingError("unpublished", _("This reception day is not open for booking."))
    if slot.starts_at <= now:
        return BookingError("past", _("This reception time has already begun or passed. Please choose a later one."))
    return BookingError("full", _("This reception time is fully booked. Please choose another time."))


def book(slot_id: int, *, name: str, phone: str, topic: str, language: str = "zh-hans",
         idempotency_key: str | None = None, now: datetime.datetime | None = None) -> tuple[Appointment, bool]:
    """Book a place in a slot; returns (appointment, created). A repeated idempotency key returns the first.

    The place is taken by ``UPDATE … SET booked = booked + 1 WHERE booked < capacity`` (and the day
    published, the slot not begun) inside the booking's transaction: of two citizens racing for
    the last place exactly one changes a row; the other is told the time is full.
    """
    now = now or clock.now()
    if idempotency_key:
        existing = existing_booking(idempotency_key)
        if existing is not None:
            return existing, False
    name, phone, topic = name.strip(), "".join(phone.split()), topic.strip()
    if not name or not phone or not topic:
        raise BookingError("invalid", _("Give your name, phone and topic."))
    try:
        with transaction.atomic():
            open_day = ReceptionSlot.objects.filter(
                pk=slot_id, activity__kind=Kind.RECEPTION, activity__status=Activity.Status.PUBLISHED,
                activity__station__status=Station.Status.ACTIVE,
            ).exists()
            # Only the slot's own columns in the WHERE: a plain UPDATE whose condition PostgreSQL
            # re-checks on the newest row version after waiting for a concurrent booking (a join
            # would become a sub-select evaluated on the old snapshot).
            taken = open_day and ReceptionSlot.objects.filter(
                pk=slot_id, booked__lt=F("capacity"), starts_at__gt=now,
            ).update(booked=F("booked") + 1)
            if taken != 1:
                raise _refuse_slot(slot_id, now)
            slot = ReceptionSlot.objects.get(pk=slot_id)
            twice = Appointment.objects.filter(
                slot__activity_id=slot.activity_id, phone_hash=lookup_hash(phone), status=Appointment.Status.BOOKED,
            ).exists()
            if twice:
                raise BookingError("twice", _("This phone number already has a booking on this reception day. "
                                              "Cancel it first to choose another time."))
            appointment = Appointment.objects.create(
                slot=slot, citizen_name=name, citizen_phone=phone, topic=topic[:200], language=language,
                idempotency_key=idempotency_key or None, created_at=now,
            )
    except IntegrityError:
        if idempotency_key:
            existing = existing_booking(idempotency_key)
            if existing is not None:
                return existing, False
        raise
    return appointment, True


def find_by_code(code: str) -> Appointment | None:
    code = "".join(code.split()).upper()
    if not code or len(code) > 12:
        return None
    return (Appointment.objects.select_related("slot", "slot__activity", "slot__activity__station")
            .filter(code=code).first())


def verify(code: str, digits: str) -> Appointment | None:
    """The booking for a code when the last four phone digits match (constant-time compare)."""
    appointment = find_by_code(code)
    expected = appointment.citizen_phone[-4:] if appointment is not None else "0000"
    matches = hmac.compare_digest(expected.encode(), (digits or "").encode())
    return appointment if appointment is not None and matches and len(digits) == 4 else None


def cancel_booking(appointment: Appointment, now: datetime.datetime | None = None) -> Appointment:
    """The citizen cancels: the place is freed (only before the time begins, only a live booking)."""
    now = now or clock.now()
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().select_related("slot").get(pk=appointment.pk)
        if locked.status != Appointment.Status.BOOKED:
            raise BookingError("wrong_state", _("This booking is no longer active."))
        if locked.slot.starts_at <= now:
            raise BookingError("past", _("This reception time has already begun; it can no longer be cancelled."))
        locked.status = Appointment.Status.CANCELLED
        locked.cancelled_at = now
        locked.save(update_fields=["status", "cancelled_at"])
        ReceptionSlot.objects.filter(pk=locked.slot_id, booked__gt=0).update(booked=F("booked") - 1)
    return locked


# ---- the door -------------------------------------------------------------------------------------


def _lock_booking(user: User, appointment: Appointment | int) -> Appointment:
    pk = appointment.pk if isinstance(appointment, Appointment) else appointment
    found = (Appointment.objects.visible_to(user).select_for_update(of=("self",))
             .select_related("slot", "slot__activity", "slot__activity__station").filter(pk=pk).first())
    if found is None:
        raise ActivityError("not_found", _("No such booking in your area."))
    if not services.can_organise(user, found.slot.activity.station):
        raise ActivityError("not_allowed", _("You may not organise activities at this site."))
    if found.status != Appointment.Status.BOOKED:
        raise ActivityError("wrong_state", _("This booking was already dealt with."))
    if found.slot.activity.status not in (Activity.Status.PUBLISHED, Activity.Status.HELD):
        raise ActivityError("wrong_state", _("This reception day is not taking place."))
    return found


def on_duty_deputies(activity: Activity) -> list[Deputy]:
    rows = (Attendance.objects.filter(activity=activity, on_duty=True).select_related("deputy")
            .only("id", "activity_id", "deputy_id", "on_duty", "deputy__id", "deputy__name", "deputy__public_code",
                  "deputy__active")
            .order_by("deputy__name", "deputy_id"))
    return [a.deputy for a in rows]


def arrive(user: User, appointment: Appointment | int, *, category: Any, note: str = "",
           deputy: Deputy | None = None, request: Any = None, now: datetime.datetime | None = None) -> Appointment:
    """The citizen came: mark the booking arrived and enter their matter as an opinion (walk-in), in one step."""
    from lianxin.opinions.services import submit_opinion

    now = now or clock.now()
    with transaction.atomic():
        locked = _lock_booking(user, appointment)
        activity = locked.slot.activity
        duty = on_duty_deputies(activity)
        if deputy is not None and deputy.pk not in {d.pk for d in duty}:
            raise ActivityError("invalid", _("Choose one of the deputies on duty."))
        text = "\n\n".join(part for part in (locked.topic, note.strip()) if part)
        opinion, _created = submit_opinion(
            category=category, title=locked.topic[:100], text=text, channel="walk_in",
            station=activity.station, deputy=deputy or (duty[0] if duty else None),
            citizen_name=locked.citizen_name, citizen_phone=locked.citizen_phone, language=locked.language,
            actor=user, activity=activity, now=now,
        )
        locked.status = Appointment.Status.ARRIVED
        locked.opinion = opinion
        locked.save(update_fields=["status", "opinion"])
        log_action(user, "reception.arrived", locked, {"opinion": opinion.pk, "activity": activity.pk}, request)
    return locked


def no_show(user: User, appointment: Appointment | int, *, request: Any = None) -> Appointment:
    with transaction.atomic():
        locked = _lock_booking(user, appointment)
        locked.status = Appointment.Status.NO_SHOW
        locked.save(update_fields=["status"])
        log_action(user, "reception.no_show", locked, {"activity": locked.slot.activity_id}, request)
    return locked


# ---- messages to citizens -------------------------------------------------------------------------


def _when(appointment: Appointment) -> str:
    return timezone.localtime(appointment.slot.starts_at).strftime("%Y-%m-%d %H:%M")


def reminder_text(appointment: Appointment) -> str:
    with translation.override(appointment.language or "zh-hans"):
        return gettext("Reminder: your reception appointment at %(site)s, %(when)s, booking code %(code)s. "
                  "If you cannot come, please cancel it.") % {
            "site": appointment.slot.activity.station.name, "when": _when(appointment), "code": appointment.code}


def cancelled_text(appointment: Appointment) -> str:
    with translation.override(appointment.language or "zh-hans"):
        return gettext("The reception day at %(site)s on %(when)s was cancelled: %(reason)s. "
                  "Your booking %(code)s is void; please book another day.") % {
            "site": appointment.slot.activity.station.name, "when": _when(appointment),
            "reason": appointment.slot.activity.cancel_reason, "code": appointment.code}


def due_reminders(now: datetime.datetime | None = None) -> list[int]:
    """Bookings for tomorrow's reception days not reminded yet."""
    now = now or clock.now()
    tomorrow = timezone.localtime(now).date() + ONE_DAY
    start = timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time.min))
    return list(Appointment.objects.filter(
        status=Appointment.Status.BOOKED, reminded_at__isnull=True, slot__starts_at__gte=start,
        slot__starts_at__lt=start + ONE_DAY, slot__activity__status=Activity.Status.PUBLISHED,
    ).values_list("pk", flat=True))


def send_reminder(appointment_id: int, now: datetime.datetime | None = None) -> bool:
    from lianxin.core.sms import send_sms

    now = now or clock.now()
    with transaction.atomic():
        appointment = (Appointment.objects.select_for_update(of=("self",))
                       .select_related("slot", "slot__activity", "slot__activity__station")
                       .filter(pk=appointment_id, status=Appointment.Status.BOOKED, reminded_at__isnull=True).first())
        if appointment is None:
            return False
        send_sms(appointment.citizen_phone, reminder_text(appointment))
        appointment.reminded_at = now
        appointment.save(update_fields=["reminded_at"])
    logger.info("reception reminder", extra={"booking": appointment.code, "to": mask_phone(appointment.citizen_phone)})
    return True


def send_cancelled(appointment_id: int) -> bool:
    from lianxin.core.sms import send_sms

    appointment = (Appointment.objects.select_related("slot", "slot__activity", "slot__activity__station")
                   .filter(pk=appointment_id).first())
    if appointment is None:
        return False
    send_sms(appointment.citizen_phone, cancelled_text(appointment))
    logger.info("reception cancelled", extra={"booking": appointment.code, "to": mask_phone(appointment.citizen_phone)})
    return True


def group_by_day(appointments: Iterable[Appointment]) -> dict[int, list[Appointment]]:
    grouped: dict[int, list[Appointment]] = defaultdict(list)
    for appointment in appointments:
        grouped[appointment.slot.activity_id].append(appointment)
    return grouped

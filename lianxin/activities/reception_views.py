"""Staff pages of reception days: schedules, preview, generating days, the rota, bookings, the door."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lianxin.accounts.audit import log_action
from lianxin.accounts.decorators import staff_required
from lianxin.accounts.models import Role, User
from lianxin.core import clock
from lianxin.core.pagination import keyset_page
from lianxin.opinions.models import Category
from lianxin.stations.models import Station

from . import reception, services
from .models import Activity, Appointment, Attendance, Kind, ReceptionSchedule, ReceptionSlot
from .reception_forms import ArriveForm, CancelDayForm, CodeForm, PeriodForm, ScheduleForm
from .services import ActivityError

T = TypeVar("T")

PII_ROLES = (Role.SITE_MANAGER, Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
PREVIEW_COUNT = 12
PAGE_SIZE = 30
LIST_LIMIT = 200  # schedules and sites shown on the index; a site-name search narrows them


def _attempt(request: HttpRequest, action: Callable[[], T], success: str | Callable[[T], str]) -> bool:
    """Run one service call for a POST: its refusal (``ActivityError``) becomes an error message, its
    result a success message (a text, or made from the result). True if it went through."""
    try:
        result = action()
    except ActivityError as error:
        messages.error(request, str(error.message))
        return False
    messages.success(request, success(result) if callable(success) else success)
    return True


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _sites(user: User) -> Any:
    return Station.objects.visible_to(user).filter(status=Station.Status.ACTIVE)


def _station(user: User, pk: int) -> Station:
    station = _sites(user).filter(pk=pk).first()
    if station is None:
        raise Http404
    return station


def _schedule(user: User, pk: int) -> ReceptionSchedule:
    schedule = (ReceptionSchedule.objects.select_related("station")
                .filter(pk=pk, station__in=Station.objects.visible_to(user)).first())
    if schedule is None:
        raise Http404
    return schedule


def _require_organiser(user: User, station: Station) -> None:
    if not services.can_organise(user, station):
        raise PermissionDenied


def _days(user: User) -> Any:
    return Activity.objects.visible_to(user).filter(kind=Kind.RECEPTION)


def _with_counts(queryset: Any) -> Any:
    return (queryset.select_related("station")
            .annotate(capacity_total=Sum("slots__capacity"), booked_total=Sum("slots__booked"))
            .prefetch_related(Prefetch("attendances", queryset=Attendance.objects.filter(on_duty=True)
                                       .select_related("deputy").order_by("deputy__name", "deputy_id"),
                                       to_attr="duty")))


@require_GET
@staff_required
def index(request: HttpRequest) -> HttpResponse:
    """Schedules of the sites in scope and the coming reception days (keyset pages)."""
    user = _user(request)
    if user.role == Role.DEPUTY and not user.is_superuser:
        return redirect("reception:mine")
    now = clock.now()
    # a city has hundreds of sites: a site-name search narrows the schedules, the days and the site picker
    query = (request.GET.get("q") or "").strip()[:50]
    sites_in_scope = Station.objects.visible_to(user)
    if query:
        sites_in_scope = sites_in_scope.filter(name__contains=query)
    schedules_qs = ReceptionSchedule.objects.filter(station__in=sites_in_scope.values("pk"))
    schedules = list(schedules_qs.select_related("station").order_by("station__name", "id")[:LIST_LIMIT + 1])
    more_schedules = len(schedules) > LIST_LIMIT
    schedules = schedules[:LIST_LIMIT]
    for schedule in schedules:
        schedule.rule_label = reception.rule_label(schedule)  # type: ignore[attr-defined]
    upcoming = _days(user).filter(ends_at__gt=now)
    if query:
        upcoming = upcoming.filter(station__in=sites_in_scope.values("pk"))
    page = keyset_page(_with_counts(upcoming), ("starts_at", "id"), request.GET.get("cursor"), PAGE_SIZE)
    sites = list(_sites(user).filter(pk__in=sites_in_scope.values("pk")).order_by("name")
                 .values_list("pk", "name")[:LIST_LIMIT + 1])
    context = {
        "schedules": schedules, "more_schedules": more_schedules, "page": page, "query": query,
        "sites": sites[:LIST_LIMIT], "more_sites": len(sites) > LIST_LIMIT,
        "can_organise": services.can_organise(user), "many_sites": query or more_schedules or len(sites) > 10,
    }
    return render(request, "activities/reception/index.html", context)


@require_http_methods(["GET", "POST"])
@staff_required
def schedule_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    try:
        site = int(request.GET.get("site", ""))
    except ValueError:
        raise Http404 from None
    station = _station(user, site)
    _require_organiser(user, station)
    form = ScheduleForm(request.POST or None, initial={"valid_from": clock.today(), "nth": 1, "weekday": 4})
    if request.method == "POST" and form.is_valid():
        schedule = form.save(commit=False)
        schedule.station = station
        try:
            reception.validate_schedule(schedule)
        except ActivityError as error:
            form.add_error(None, str(error.message))
        else:
            schedule.save()
            log_action(user, "reception.schedule.create", schedule, _describe(schedule), request)
            messages.success(request, _("The reception schedule was saved."))
            return redirect("reception:schedule", schedule.pk)
    return render(request, "activities/reception/schedule_form.html", {"form": form, "station": station})


def _describe(schedule: ReceptionSchedule) -> dict[str, Any]:
    return {"frequency": schedule.frequency, "weekday": schedule.weekday, "nth": schedule.nth,
            "from": schedule.start_time.isoformat(), "until": schedule.end_time.isoformat(),
            "holiday_rule": schedule.holiday_rule, "slot_minutes": schedule.slot_minutes,
            "slot_capacity": schedule.slot_capacity, "deputies_per_day": schedule.deputies_per_day}


@require_http_methods(["GET", "POST"])
@staff_required
def schedule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    schedule = _schedule(user, pk)
    _require_organiser(user, schedule.station)
    form = ScheduleForm(request.POST or None, instance=schedule)
    if request.method == "POST" and form.is_valid():
        changed = form.save(commit=False)
        try:
            reception.validate_schedule(changed)
        except ActivityError as error:
            form.add_error(None, str(error.message))
        else:
            changed.save()
            log_action(user, "reception.schedule.update", changed, _describe(changed), request)
            messages.success(request, _("The reception schedule was saved. Days already made keep their times."))
            return redirect("reception:schedule", changed.pk)
    context = {"form": form, "station": schedule.station, "schedule": schedule}
    return render(request, "activities/reception/schedule_form.html", context)


@require_POST
@staff_required
def schedule_active(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    schedule = _schedule(user, pk)
    _require_organiser(user, schedule.station)
    schedule.active = request.POST.get("active") == "1"
    schedule.save(update_fields=["active"])
    log_action(user, "reception.schedule.active" if schedule.active else "reception.schedule.deactivate",
               schedule, {}, request)
    messages.success(request, _("The schedule is active again.") if schedule.active
                     else _("The schedule was deactivated; no new reception days are made from it."))
    return redirect("reception:schedule", schedule.pk)


@require_GET
@staff_required
def schedule_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The rule, a preview of the next reception days (holiday moves shown) and the days already made."""
    user = _user(request)
    schedule = _schedule(user, pk)
    schedule.rule_label = reception.rule_label(schedule)  # type: ignore[attr-defined]
    today = clock.today()
    preview = reception.occurrences(schedule, today, today + datetime.timedelta(days=400))[:PREVIEW_COUNT]
    made = {timezone.localtime(a).date() for a in Activity.objects.filter(
        schedule=schedule, starts_at__date__gte=today).values_list("starts_at", flat=True)}
    end_of_next_month = (today.replace(day=28) + datetime.timedelta(days=40)).replace(day=1) - datetime.timedelta(days=1)
    context = {
        "schedule": schedule, "station": schedule.station, "preview": [(occ, occ.day in made) for occ in preview],
        "period_form": PeriodForm(initial={"start": today, "end": end_of_next_month}),
        "can_organise": services.can_organise(user, schedule.station),
        "publish_days": reception.publish_days_of(schedule),
    }
    return render(request, "activities/reception/schedule.html", context)


@require_POST
@staff_required
def generate(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    schedule = _schedule(user, pk)
    _require_organiser(user, schedule.station)
    form = PeriodForm(request.POST)
    if not form.is_valid():
        for error in form.errors.values():
            messages.error(request, str(error[0]))
        return redirect("reception:schedule", schedule.pk)
    _attempt(request, lambda: reception.generate_days(user, schedule, form.cleaned_data["start"],
                                                      form.cleaned_data["end"], request=request),
             lambda result: _("%(created)d reception days made, %(existing)d already existed, "
                              "%(skipped)d skipped for holidays.") % {
                 "created": len(result.created), "existing": result.existing, "skipped": len(result.skipped)})
    return redirect("reception:schedule", schedule.pk)


@require_http_methods(["GET", "POST"])
@staff_required
def rota(request: HttpRequest, site: int) -> HttpResponse:
    """The year's rota of a site: who is on duty when, how often each deputy, and who stays under the minimum."""
    user = _user(request)
    station = _station(user, site)
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or clock.today().year)
    except ValueError:
        year = clock.today().year
    year = min(max(year, 2000), 2100)
    if request.method == "POST":
        _require_organiser(user, station)
        _attempt(request, lambda: reception.apply_rota(user, station, year, request=request),
                 lambda changed: _("Rota applied: %(count)d coming reception days changed.") % {"count": changed})
        return redirect(f"{request.path}?year={year}")
    plan = reception.build_rota(station, year)
    context = {"station": station, "rota": plan, "year": year, "can_organise": services.can_organise(user, station)}
    return render(request, "activities/reception/rota.html", context)


def _day(user: User, pk: int) -> Activity:
    activity = (_days(user).select_related("station", "schedule").filter(pk=pk).first())
    if activity is None:
        raise Http404
    return activity


def _bookings(activity: Activity) -> list[Appointment]:
    return list(Appointment.objects.filter(slot__activity=activity).select_related("slot", "opinion")
                .order_by("slot__starts_at", "id"))


def _day_context(user: User, activity: Activity, revealed: bool = False) -> dict[str, Any]:
    slots = list(ReceptionSlot.objects.filter(activity=activity).order_by("starts_at"))
    return {
        "day": activity, "station": activity.station, "slots": slots, "bookings": _bookings(activity),
        "duty": reception.on_duty_deputies(activity), "revealed": revealed,
        "can_reveal": user.is_superuser or user.role in PII_ROLES,
        "can_organise": services.can_organise(user, activity.station), "cancel_form": CancelDayForm(),
    }


@require_GET
@staff_required
def day(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    return render(request, "activities/reception/day.html", _day_context(user, _day(user, pk)))


@require_POST
@staff_required
def reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """The bookings with full names and phones: only for staff entitled to it, and written to the audit log."""
    user = _user(request)
    activity = _day(user, pk)
    if not (user.is_superuser or user.role in PII_ROLES):
        raise PermissionDenied
    log_action(user, "pii.view", activity, {"fields": ["citizen_name", "citizen_phone"], "what": "bookings"}, request)
    return render(request, "activities/reception/day.html", _day_context(user, activity, revealed=True))


@require_POST
@staff_required
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    activity = _day(user, pk)
    _attempt(request, lambda: reception.publish_by_hand(user, activity, request=request),
             _("The reception day is published; citizens can book it now."))
    return redirect("reception:day", activity.pk)


@require_POST
@staff_required
def cancel_day(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    activity = _day(user, pk)
    form = CancelDayForm(request.POST)
    if not form.is_valid():
        messages.error(request, str(next(iter(form.errors.values()))[0]))
        return redirect("reception:day", activity.pk)
    _attempt(request, lambda: reception.cancel_day(user, activity, reason=form.cleaned_data["reason"], request=request),
             _("The reception day was cancelled; the citizens who booked are told by SMS."))
    return redirect("reception:day", activity.pk)


def _door_context(user: User, appointment: Appointment | None, form: ArriveForm | None = None) -> dict[str, Any]:
    duty = reception.on_duty_deputies(appointment.slot.activity) if appointment is not None else []
    return {
        "code_form": CodeForm(initial={"code": appointment.code if appointment else ""}),
        "booking": appointment, "duty": duty,
        "arrive_form": form or ArriveForm(deputies=duty),
        "has_categories": Category.objects.filter(active=True).exists(),
    }


@require_http_methods(["GET", "POST"])
@staff_required
def door(request: HttpRequest) -> HttpResponse:
    """At the door: find a booking by its code (in the sites of the user's scope)."""
    user = _user(request)
    form = CodeForm(request.GET if "code" in request.GET else None)
    appointment = None
    status = 200
    if form.is_bound and form.is_valid():
        appointment = (Appointment.objects.visible_to(user)
                       .select_related("slot", "slot__activity", "slot__activity__station", "opinion")
                       .filter(code=form.cleaned_data["code"]).first())
        if appointment is None:
            messages.error(request, _("No booking with this code at the sites you look after."))
            status = 404
    context = _door_context(user, appointment)
    if form.is_bound:
        context["code_form"] = form
    return render(request, "activities/reception/door.html", context, status=status)


def _door_booking(user: User, pk: int) -> Appointment:
    appointment = (Appointment.objects.visible_to(user)
                   .select_related("slot", "slot__activity", "slot__activity__station", "opinion")
                   .filter(pk=pk).first())
    if appointment is None:
        raise Http404
    return appointment


@require_POST
@staff_required
def arrive(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    appointment = _door_booking(user, pk)
    duty = reception.on_duty_deputies(appointment.slot.activity)
    form = ArriveForm(request.POST, deputies=duty)
    if form.is_valid():
        try:
            done = reception.arrive(user, appointment, category=form.cleaned_data["category"],
                                    note=form.cleaned_data["note"], deputy=form.cleaned_data["deputy"],
                                    request=request)
        except ActivityError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("Arrival recorded; the matter was entered as opinion %(code)s.") % {
                "code": done.opinion.tracking_code if done.opinion else ""})
            return redirect("opinions:detail", done.opinion_id) if done.opinion_id else redirect("reception:door")
    context = _door_context(user, appointment, form)
    return render(request, "activities/reception/door.html", context, status=400)


@require_POST
@staff_required
def no_show(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    appointment = _door_booking(user, pk)
    _attempt(request, lambda: reception.no_show(user, appointment, request=request), _("Marked as not come."))
    return redirect("reception:day", appointment.slot.activity_id)


@require_GET
@staff_required
def mine(request: HttpRequest) -> HttpResponse:
    """A deputy's reception days on duty (coming first), with the bookings, masked."""
    user = _user(request)
    if not user.deputy_id:
        raise PermissionDenied
    now = clock.now()
    days = list(
        Activity.objects.visible_to(user)
        .filter(kind=Kind.RECEPTION, attendances__deputy_id=user.deputy_id, attendances__on_duty=True,
                ends_at__gt=now - datetime.timedelta(days=1))
        .exclude(status=Activity.Status.CANCELLED)
        .select_related("station").order_by("starts_at", "id")
        .annotate(live=Count("slots__appointments", filter=Q(slots__appointments__status=Appointment.Status.BOOKED)))
        [:50]
    )
    bookings = reception.group_by_day(
        Appointment.objects.filter(slot__activity__in=[d.pk for d in days])
        .exclude(status=Appointment.Status.CANCELLED).select_related("slot").order_by("slot__starts_at", "id")
    )
    rows = [(d, bookings.get(d.pk, [])) for d in days]
    return render(request, "activities/reception/mine.html", {"rows": rows})

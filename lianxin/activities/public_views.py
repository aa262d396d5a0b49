"""Citizens' pages of reception days (no account): the coming days of a site, booking, cancelling, the feed."""

from __future__ import annotations

import datetime

import icalendar
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from lianxin.core import clock, crypto, ratelimit
from lianxin.core.ratelimit import Rate
from lianxin.public import services as public_services
from lianxin.stations.models import Station

from . import reception
from .models import Activity, Kind, ReceptionSlot
from .public_forms import BookingForm, CancelForm

SESSION_BOOKED = "lx_booked"


@require_GET
def site_days(request: HttpRequest, code: str) -> HttpResponse:
    station = public_services.active_site_or_404(code)
    days = reception.bookable_days(station)
    return render(request, "activities/public/site_days.html", {"site": station, "days": days, "now": clock.now()})


def _public_day(pk: int) -> Activity:
    day = (Activity.objects.filter(pk=pk, kind=Kind.RECEPTION, station__status=Station.Status.ACTIVE)
           .select_related("station").first())
    if day is None:
        raise Http404
    return day


def _limit_message(request: HttpRequest, phone: str) -> str | None:
    ip_rate = Rate.setting("BOOKING_RATE_IP", (5, 600))
    phone_rate = Rate.setting("BOOKING_RATE_PHONE", (3, 3600))
    if not ratelimit.hit("booking-ip", ratelimit.client_ip(request), ip_rate):
        return _("Too many bookings were made from this network just now. Please wait a few minutes and try again, "
                 "or call the liaison site.")
    if phone and not ratelimit.hit("booking-phone", crypto.lookup_hash(phone), phone_rate):
        return _("Too many bookings were made with this phone number recently. Please try again in an hour, "
                 "or call the liaison site.")
    return None


def _closed_reason(day: Activity) -> str | None:
    now = clock.now()
    if day.status == Activity.Status.CANCELLED:
        return _("This reception day was cancelled. Please choose another day.")
    if day.status != Activity.Status.PUBLISHED:
        return _("This reception day is not open for booking.")
    if day.ends_at <= now:
        return _("This reception day is over. Please choose a coming one.")
    return None


@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, pk: int) -> HttpResponse:
    day = _public_day(pk)
    if day.status == Activity.Status.PLANNED:  # not public yet: as if it did not exist
        raise Http404
    if request.method == "POST":
        existing = reception.existing_booking(request.POST.get("key", ""))
        if existing is not None:  # a double click or a retry: the same booking, nothing new
            return _booked(request, existing.code)
    now = clock.now()
    slots = list(ReceptionSlot.objects.filter(activity=day).order_by("starts_at"))
    open_slots = [s for s in slots if s.free > 0 and s.starts_at > now]
    closed = _closed_reason(day)
    form = BookingForm(request.POST or None, slots=slots)
    status = 200
    if request.method == "POST":
        if closed:
            form.add_error(None, closed)
            status = 409
        elif form.is_valid():
            data = form.cleaned_data
            refusal = _limit_message(request, data["phone"])
            if refusal is not None:
                form.add_error(None, refusal)
                status = 429
            else:
                try:
                    appointment, _created = reception.book(
                        data["slot"], name=data["name"], phone=data["phone"], topic=data["topic"],
                        language=get_language() or "zh-hans", idempotency_key=data["key"], now=now,
                    )
                except reception.BookingError as error:
                    form.add_error(None, str(error.message))
                    status = 409
                else:
                    return _booked(request, appointment.code)
        else:
            status = 400
    context = {"day": day, "site": day.station, "form": form, "slots": slots, "open_slots": open_slots,
               "closed": closed, "now": now,
               "duty": [d for d in reception.on_duty_deputies(day) if d.active]}
    return render(request, "activities/public/book.html", context, status=status)


def _booked(request: HttpRequest, code: str) -> HttpResponse:
    request.session[SESSION_BOOKED] = code
    return redirect("reception_public:booked")


@require_GET
def booked(request: HttpRequest) -> HttpResponse:
    code = request.session.get(SESSION_BOOKED)
    appointment = reception.find_by_code(code) if code else None
    if appointment is None:
        return redirect("reception_public:cancel")
    return render(request, "activities/public/booked.html", {"booking": appointment})


@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest) -> HttpResponse:
    form = CancelForm(request.POST or None, initial={"code": request.GET.get("code", "")})
    status = 200
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        ip_rate = Rate.setting("OPINION_RATE_TRACK_IP", (10, 600))
        if not ratelimit.hit("booking-cancel-ip", ratelimit.client_ip(request), ip_rate):
            form.add_error(None, _("Too many attempts. Please wait a while and try again."))
            status = 429
        else:
            appointment = reception.verify(code, form.cleaned_data["digits"])
            if appointment is None:
                form.add_error(None, _("No booking matches this code and these digits. Please check both."))
                status = 404
            else:
                try:
                    reception.cancel_booking(appointment)
                except reception.BookingError as error:
                    form.add_error(None, str(error.message))
                    status = 409
                else:
                    messages.success(request, _("Your booking %(code)s is cancelled. Thank you for telling us.")
                                     % {"code": appointment.code})
                    return redirect(reverse("reception_public:site", args=[appointment.slot.activity.station.code]))
    return render(request, "activities/public/cancel.html", {"form": form}, status=status)


@require_GET
def feed(request: HttpRequest, code: str) -> HttpResponse:
    """The site's published reception days (past 90 days and coming) as an iCalendar feed."""
    station = public_services.active_site_or_404(code)
    since = clock.now() - datetime.timedelta(days=90)
    days = list(Activity.objects.public().filter(station=station, kind=Kind.RECEPTION, starts_at__gte=since)
                .order_by("starts_at", "id").prefetch_related(*_duty_prefetch())[:500])
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Lianxin//Reception days//ZH")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{station.name} · {_('Reception days')}")
    page = request.build_absolute_uri(reverse("reception_public:site", args=[station.code]))
    stamp = clock.now()
    for day in days:
        event = icalendar.Event()
        event.add("uid", f"reception-{day.pk}@lianxin")
        event.add("dtstamp", stamp)
        event.add("dtstart", day.starts_at)
        event.add("dtend", day.ends_at)
        event.add("summary", f"{_('Reception day')} · {station.name}")
        event.add("location", day.place or station.address)
        names = "、".join(a.deputy.name for a in day.duty)  # type: ignore[attr-defined]
        event.add("description", _("Deputies on duty: %(names)s") % {"names": names or "—"} + f"\n{page}")
        event.add("url", page)
        event.add("status", "CONFIRMED")
        cal.add_component(event)
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="reception-{station.code}.ics"'
    return response


def _duty_prefetch() -> list:
    from django.db.models import Prefetch

    from lianxin.deputies.models import Deputy

    from .models import Attendance

    return [Prefetch("attendances", to_attr="duty", queryset=Attendance.objects.filter(
        on_duty=True, deputy__in=Deputy.objects.public()).select_related("deputy")
        .only("id", "activity_id", "deputy_id", "deputy__id", "deputy__name").order_by("deputy__name", "deputy_id"))]

"""Staff pages for site activities (代表进站活动): list, calendar, per-site view, detail, plan/edit,
publish, close as held, cancel, files.

Views are thin: a form parses the input, a function of ``services`` does the work, and an
``ActivityError`` is shown as it is, with nothing changed. Every read goes through
``Activity.objects.visible_to(request.user)``: an activity outside the user's scope is a 404.
Organisers (``services.can_organise``) change things; deputies read; other roles are refused.
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianxin.accounts.decorators import staff_required
from lianxin.accounts.models import AuditEntry, User
from lianxin.core import clock
from lianxin.core.export import xlsx_response
from lianxin.core.pagination import keyset_page
from lianxin.regions.models import Region, subtree_q
from lianxin.stations.models import Station

from . import services
from .forms import ActivityFilterForm, ActivityForm, CancelForm, HoldForm, SitePickForm, UploadForm, day_start
from .models import Activity, ActivityFile, Attendance, Kind

ORDER = ("-starts_at", "-id")
COUNT_LIMIT = 1000
EXPORT_BATCH = 1000


def _viewer(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not services.can_view(user):
        raise PermissionDenied
    return user


def _scoped(user: User) -> Any:
    return Activity.objects.visible_to(user)


def bounded_count(queryset: Any, limit: int) -> int:
    # one attendance row per (activity, deputy): the deputy filter's join never repeats an activity
    return int(queryset.order_by().values("pk")[: limit + 1].count())


# ---- list, per-site, export ----------------------------------------------------------------------


def _list(request: HttpRequest, station: Station | None = None) -> HttpResponse:
    user = _viewer(request)
    form = ActivityFilterForm(request.GET or None, user=user)
    activities = form.filter(_scoped(user))
    if station is not None:
        activities = activities.filter(station=station)
    if request.GET.get("export") == "xlsx":
        return _export(activities)
    page = keyset_page(activities.select_related("station").defer("minutes", "description", "station__description"),
                       ORDER, request.GET.get("cursor"), settings.PAGE_SIZE)
    total = bounded_count(activities, COUNT_LIMIT)
    return render(request, "activities/staff/list.html", {
        "form": form,
        "page": page,
        "total": min(total, COUNT_LIMIT),
        "more_than": total > COUNT_LIMIT,
        "station": station,
        "can_create": services.can_organise(user, station) if station else services.can_organise(user),
        "calendar_query": f"station={station.pk}" if station else "",
    })


@staff_required
def activity_list(request: HttpRequest) -> HttpResponse:
    return _list(request)


@staff_required
def site_activities(request: HttpRequest, station_pk: int) -> HttpResponse:
    user = _viewer(request)
    station = get_object_or_404(Station.objects.visible_to(user), pk=station_pk)
    return _list(request, station)


def _export(activities: Any) -> HttpResponse:
    """All matching activities, as rows of plain values: a city's ten thousand activities and their
    seventy thousand attendance rows are read as tuples, one attendance query per batch of activities."""
    headers = [_("Starts"), _("Ends"), _("Site"), _("Site code"), _("Kind"), _("Title"), _("Place"), _("Status"),
               _("Deputies expected to come"), _("Deputies who came"), _("Citizens received"), _("Minutes"),
               _("Reason for cancelling")]
    rows_qs = activities.order_by(*ORDER).values_list(
        "pk", "starts_at", "ends_at", "station__name", "station__code", "kind", "title", "place", "status",
        "citizens_received", "minutes", "cancel_reason")
    kinds = {value: str(label) for value, label in Kind.choices}
    statuses = {value: str(label) for value, label in Activity.Status.choices}

    def batch_rows(batch: list[tuple[Any, ...]]) -> Iterator[list[Any]]:
        expected: dict[int, list[str]] = defaultdict(list)
        came: dict[int, list[str]] = defaultdict(list)
        for activity_id, name, is_expected, attended in (
                Attendance.objects.filter(activity_id__in=[row[0] for row in batch]).order_by("activity_id", "id")
                .values_list("activity_id", "deputy__name", "expected", "attended")):
            if is_expected:
                expected[activity_id].append(name)
            if attended:
                came[activity_id].append(name)
        for (pk, starts, ends, site, code, kind, title, place, status, citizens, minutes, reason) in batch:
            yield [timezone.localtime(starts).strftime("%Y-%m-%d %H:%M"),
                   timezone.localtime(ends).strftime("%Y-%m-%d %H:%M"), site, code, kinds.get(kind, kind), title,
                   place, statuses.get(status, status), "、".join(expected[pk]), "、".join(came[pk]), citizens,
                   minutes, reason]

    def rows() -> Iterator[list[Any]]:
        batch: list[tuple[Any, ...]] = []
        for row in rows_qs.iterator(chunk_size=EXPORT_BATCH):
            batch.append(row)
            if len(batch) == EXPORT_BATCH:
                yield from batch_rows(batch)
                batch = []
        if batch:
            yield from batch_rows(batch)

    return xlsx_response(_("activities.xlsx"), headers, rows())


# ---- calendar ------------------------------------------------------------------------------------


def _month(value: str | None) -> datetime.date:
    today = clock.today()
    if value:
        try:
            year, month = (int(part) for part in value.split("-", 1))
            if 2000 <= year <= 2100 and 1 <= month <= 12:
                return datetime.date(year, month, 1)
        except ValueError:
            pass
    return today.replace(day=1)


@staff_required
def calendar_view(request: HttpRequest) -> HttpResponse:
    """A month grid of the activities of one site or one area (district or street), or all in scope."""
    user = _viewer(request)
    month = _month(request.GET.get("month"))
    activities = _scoped(user)
    station = region = None
    if request.GET.get("station"):
        station = Station.objects.visible_to(user).filter(pk=_int(request.GET["station"])).first()
        if station is None:
            raise Http404
        activities = activities.filter(station=station)
    elif request.GET.get("region"):
        region = Region.objects.visible_to(user).filter(pk=_int(request.GET["region"])).first()
        if region is None:
            raise Http404
        activities = activities.filter(subtree_q("region_path", region.path))
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)
    first, last = weeks[0][0], weeks[-1][-1]
    rows = (activities.filter(starts_at__gte=day_start(first), starts_at__lt=day_start(last + datetime.timedelta(days=1)))
            .select_related("station").only("id", "title", "kind", "status", "starts_at", "ends_at",
                                             "station__id", "station__name").order_by("starts_at", "id"))
    by_day: dict[datetime.date, list[Activity]] = defaultdict(list)
    for activity in rows:
        by_day[timezone.localtime(activity.starts_at).date()].append(activity)
    grid = [[{"day": day, "in_month": day.month == month.month, "today": day == clock.today(),
              "activities": by_day.get(day, [])} for day in week] for week in weeks]
    previous = (month - datetime.timedelta(days=1)).replace(day=1)
    following = (month + datetime.timedelta(days=32)).replace(day=1)
    scope_query = f"station={station.pk}&" if station else (f"region={region.pk}&" if region else "")
    return render(request, "activities/staff/calendar.html", {
        "month": month, "grid": grid, "station": station, "region": region,
        "weekdays": [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")],
        "previous": previous, "following": following, "scope_query": scope_query,
        "count": sum(len(v) for d, v in by_day.items() if d.month == month.month),
        "regions": (Region.objects.visible_to(user).filter(level=Region.Level.COUNTY).order_by("code")
                    if user.is_superuser or user.is_admin else Region.objects.none()),
    })


def _int(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


# ---- detail --------------------------------------------------------------------------------------


def action_labels() -> dict[str, str]:
    """The change history in words, not the audit log's action codes."""
    return {
        "activity.create": _("Planned the activity"), "activity.update": _("Changed the activity"),
        "activity.publish": _("Published the activity"), "activity.hold": _("Closed the activity as held"),
        "activity.cancel": _("Cancelled the activity"), "activity.file": _("Added a file"),
        "activity.file_remove": _("Removed a file"), "pii.view": _("Viewed the names and phones of the bookings"),
    }


def _get(user: User, pk: int) -> Activity:
    return get_object_or_404(_scoped(user).select_related("station", "created_by", "topic", "consultation",
                                                          "schedule"), pk=pk)


def opinions_of(user: User, activity: Activity) -> Any:
    """The opinions taken during the activity (once opinions link to activities), within the user's scope."""
    from lianxin.opinions.models import Opinion

    names = {f.name for f in Opinion._meta.get_fields()}
    if "activity" not in names:
        return None
    return (Opinion.objects.visible_to(user).filter(activity=activity)
            .select_related("category").defer("text", "reply", "citizen_name", "citizen_phone").order_by("created_at"))


@staff_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _viewer(request)
    activity = _get(user, pk)
    attendance = list(activity.attendances.select_related("deputy").order_by("-expected", "deputy__name", "id"))
    for row in attendance:
        row.left_early = services.left_early(row, activity)  # type: ignore[attr-defined]
    files = list(activity.files.select_related("uploaded_by").order_by("uploaded_at", "id"))
    entries = (AuditEntry.objects.visible_to(user)
             .filter(target_type=ContentType.objects.get_for_model(Activity), target_id=str(activity.pk))
             .select_related("actor").order_by("-id")[:50])
    labels = action_labels()
    audit = [(entry, labels.get(entry.action, entry.action)) for entry in entries]
    organiser = services.can_organise(user, activity.station)
    open_ = activity.status in services.EDITABLE
    return render(request, "activities/staff/detail.html", {
        "activity": activity,
        "attendance": attendance,
        "came": sum(1 for a in attendance if a.attended),
        "expected_count": sum(1 for a in attendance if a.expected),
        "photos": [f for f in files if f.is_photo],
        "documents": [f for f in files if not f.is_photo],
        "audit_entries": audit,
        "opinions": opinions_of(user, activity),
        "can_organise": organiser,
        "can_edit": organiser and open_,
        "can_publish": organiser and activity.status == Activity.Status.PLANNED,
        "can_hold": organiser and open_ and activity.starts_at <= clock.now(),
        "can_cancel": organiser and open_,
        "can_upload": organiser and activity.status != Activity.Status.CANCELLED,
        "cancel_form": CancelForm(),
        "upload_form": UploadForm(),
    })


@staff_required
def file_download(request: HttpRequest, pk: int, file_pk: int) -> HttpResponse:
    user = _viewer(request)
    activity = _get(user, pk)
    found = get_object_or_404(ActivityFile, activity=activity, pk=file_pk)
    response = FileResponse(found.file.open("rb"), content_type=found.content_type,
                            as_attachment=not found.is_photo, filename=found.name)
    response["X-Content-Type-Options"] = "nosniff"
    return response  # type: ignore[return-value]  # a streaming response, which staff_required passes on


# ---- changes -------------------------------------------------------------------------------------


def _organiser(user: User, station: Station) -> None:
    if not services.can_organise(user, station):
        raise PermissionDenied


@staff_required
def create(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    if not services.can_organise(user):
        raise PermissionDenied
    pick = SitePickForm(request.GET if request.GET.get("station") else None, user=user)
    if not pick.is_bound:
        only = list(pick.fields["station"].queryset.values_list("pk", flat=True)[:2])  # type: ignore[attr-defined]
        if len(only) == 1:  # a manager of one site has nothing to choose
            return redirect(f"{reverse('activities:create')}?station={only[0]}")
    if not pick.is_bound or not pick.is_valid():
        return render(request, "activities/staff/pick_site.html", {"pick": pick})
    station = pick.cleaned_data["station"]
    _organiser(user, station)
    form = ActivityForm(request.POST or None, station=station)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            activity = services.create_activity(
                user, station=station, kind=data["kind"], title=data["title"], starts_at=data["starts_at"],
                ends_at=data["ends_at"], description=data["description"], place=data["place"],
                deputies=data["deputies"], publish=data["publish"], request=request)
        except services.ActivityError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("The activity was planned."))
            return redirect("activities:detail", activity.pk)
    return render(request, "activities/staff/form.html", {"form": form, "station": station, "activity": None})


@staff_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _viewer(request)
    activity = _get(user, pk)
    _organiser(user, activity.station)
    if activity.status not in services.EDITABLE:
        messages.error(request, _("A held or cancelled activity can no longer be changed."))
        return redirect("activities:detail", activity.pk)
    current = tuple(activity.attendances.values_list("deputy_id", flat=True))
    initial = {"kind": activity.kind, "title": activity.title, "place": activity.place,
               "description": activity.description, "deputies": list(current),
               "starts_at": timezone.localtime(activity.starts_at), "ends_at": timezone.localtime(activity.ends_at)}
    form = ActivityForm(request.POST or None, station=activity.station, extra_ids=current, initial=initial)
    form.fields.pop("publish")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_activity(
                user, activity, kind=data["kind"], title=data["title"], starts_at=data["starts_at"],
                ends_at=data["ends_at"], description=data["description"], place=data["place"],
                deputies=data["deputies"], request=request)
        except services.ActivityError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("The activity was changed."))
            return redirect("activities:detail", activity.pk)
    return render(request, "activities/staff/form.html", {"form": form, "station": activity.station,
                                                           "activity": activity})


def _act(request: HttpRequest, pk: int, step: Any, success: str, **kwargs: Any) -> HttpResponse:
    user = _viewer(request)
    activity = _get(user, pk)
    _organiser(user, activity.station)
    try:
        step(user, activity, request=request, **kwargs)
    except services.ActivityError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, success)
    return redirect("activities:detail", activity.pk)


@staff_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.publish, _("The activity was published."))


@staff_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    form = CancelForm(request.POST)
    if not form.is_valid():
        user = _viewer(request)
        activity = _get(user, pk)
        _organiser(user, activity.station)
        messages.error(request, _("Give a reason for cancelling."))
        return redirect("activities:detail", activity.pk)
    return _act(request, pk, services.cancel, _("The activity was cancelled."), reason=form.cleaned_data["reason"])


@staff_required
@require_POST
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        user = _viewer(request)
        activity = _get(user, pk)
        _organiser(user, activity.station)
        messages.error(request, _("Choose a file to upload."))
        return redirect("activities:detail", activity.pk)
    return _act(request, pk, services.add_file, _("The file was added."), upload=form.cleaned_data["file"])


@staff_required
@require_POST
def remove_file(request: HttpRequest, pk: int, file_pk: int) -> HttpResponse:
    return _act(request, pk, services.remove_file, _("The file was removed."), file_id=file_pk)


@staff_required
def hold(request: HttpRequest, pk: int) -> HttpResponse:
    user = _viewer(request)
    activity = _get(user, pk)
    _organiser(user, activity.station)
    if activity.status not in services.EDITABLE:
        messages.error(request, _("This activity is already closed."))
        return redirect("activities:detail", activity.pk)
    expected = list(activity.attendances.select_related("deputy").order_by("deputy__name", "id"))
    form = HoldForm(request.POST or None, activity=activity, expected=expected)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.hold(user, activity, minutes=data["minutes"], citizens_received=data["citizens_received"],
                          attendance=data["presence"], request=request)
        except services.ActivityError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("The activity was closed as held."))
            return redirect("activities:detail", activity.pk)
    return render(request, "activities/staff/hold.html", {"form": form, "activity": activity,
                                                           "rows": form.bound_rows()})


def back_to(activity: Activity) -> str:
    return reverse("activities:detail", args=[activity.pk])

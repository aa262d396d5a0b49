"""Staff pages for liaison sites: list (filter, search, export), detail, create, edit, status."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.db.models import Case, Prefetch, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from lianxin.accounts.decorators import staff_required
from lianxin.core.export import xlsx_response
from lianxin.core.pagination import keyset_page
from lianxin.deputies.models import LEVEL_ORDER, Assignment, Seat
from lianxin.regions.services import full_names

from . import services
from .forms import DUPLICATE_CODE, StationFilterForm, StatusChangeForm, station_form_class
from .models import Station

LIST_ORDER = ("region_path", "code", "id")


def _filtered(request: HttpRequest) -> tuple[StationFilterForm, Any]:
    form = StationFilterForm(request.GET or None, user=request.user)
    stations = Station.objects.visible_to(request.user).select_related("region")  # type: ignore[arg-type]
    return form, form.filter(stations).annotate(deputy_count=services.current_deputy_count())


@staff_required
def object_list(request: HttpRequest) -> HttpResponse:
    form, stations = _filtered(request)
    if request.GET.get("export") == "xlsx":
        return _export(stations)
    page = keyset_page(stations, LIST_ORDER, request.GET.get("cursor"), settings.PAGE_SIZE)
    names = full_names(station.region_path for station in page.rows)
    for station in page.rows:
        station.region_full_name = names.get(station.region_path, station.region.name)
    return render(request, "stations/list.html", {
        "form": form,
        "page": page,
        "total": stations.count(),
        "can_create": services.can_create(request.user),  # type: ignore[arg-type]
    })


EXPORT_BATCH = 1000


def _export(stations: Any) -> HttpResponse:
    headers = [_("Code"), _("Name"), _("Kind"), _("Region"), _("Address"), _("Contact person"),
               _("Contact phone"), _("Tier"), _("Status"), _("Current deputies")]

    def rows() -> Iterator[list[Any]]:
        batch: list[Station] = []
        for station in stations.order_by(*LIST_ORDER).iterator(chunk_size=EXPORT_BATCH):
            batch.append(station)
            if len(batch) == EXPORT_BATCH:
                yield from _export_rows(batch)
                batch = []
        yield from _export_rows(batch)

    return xlsx_response(_("liaison-sites.xlsx"), headers, rows())


def _export_rows(batch: list[Station]) -> Iterator[list[Any]]:
    names = full_names(station.region_path for station in batch)
    for s in batch:
        yield [s.code, s.name, s.get_kind_display(), names.get(s.region_path, s.region.name), s.address,
               s.contact_name, s.contact_phone, s.get_tier_display(), s.get_status_display(), s.deputy_count]  # type: ignore[attr-defined]


@staff_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    station = get_object_or_404(
        Station.objects.visible_to(user).select_related("region", "parent"), pk=pk  # type: ignore[arg-type]
    )
    assignments = list(
        Assignment.objects.visible_to(user).current().filter(station=station)  # type: ignore[arg-type]
        .select_related("deputy")
        .prefetch_related(Prefetch("deputy__seats", queryset=Seat.objects.current(), to_attr="current_seats"))
        # group leaders first, then by name
        .order_by(Case(When(role=Assignment.Role.LEADER, then=0), default=1), "deputy__name", "deputy_id")
    )
    for assignment in assignments:
        current_seats = assignment.deputy.current_seats  # type: ignore[attr-defined]
        seats = sorted(current_seats, key=lambda seat: LEVEL_ORDER.get(seat.level, 99))
        assignment.levels = [seat.get_level_display() for seat in seats]  # type: ignore[attr-defined]
    points = Station.objects.visible_to(user).filter(parent=station).order_by("code")  # type: ignore[arg-type]
    return render(request, "stations/detail.html", {
        "station": station,
        "region_full_name": full_names([station.region_path]).get(station.region_path, station.region.name),
        "assignments": assignments,
        "points": points,
        "audit_entries": services.recent_audit(user, station),  # type: ignore[arg-type]
        "can_edit": services.can_edit(user, station),  # type: ignore[arg-type]
        "can_change_status": services.can_change_status(user, station),  # type: ignore[arg-type]
    })


@staff_required
def create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not services.can_create(user):  # type: ignore[arg-type]
        raise PermissionDenied
    form_class = station_form_class(user)
    form = form_class(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            station = services.create_station(user, form.save(commit=False), request)  # type: ignore[arg-type]
        except IntegrityError:
            # Another admin took the same code between validation and saving.
            form.add_error("code", DUPLICATE_CODE)
        except ValidationError as error:
            form.add_validation_error(error)
        else:
            messages.success(request, _("The site “%(name)s” was created.") % {"name": station.name})
            return redirect("stations:detail", station.pk)
    return render(request, "stations/form.html", {"form": form, "station": None})


@staff_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    if not services.edits_sites(user):  # type: ignore[arg-type]
        raise PermissionDenied
    station = get_object_or_404(Station.objects.visible_to(user).select_related("region"), pk=pk)  # type: ignore[arg-type]
    if not services.can_edit(user, station):  # type: ignore[arg-type]
        raise PermissionDenied
    # The form validates a copy; the service re-reads the row under a lock for the old values.
    form = station_form_class(user)(request.POST or None, instance=Station.objects.get(pk=pk), user=user)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.update_station(user, station, values, request)  # type: ignore[arg-type]
        except IntegrityError:
            form.add_error("code", DUPLICATE_CODE)
        except ValidationError as error:
            form.add_validation_error(error)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("stations:detail", station.pk)
    return render(request, "stations/form.html", {"form": form, "station": station})


def _status_view(request: HttpRequest, pk: int, status: str) -> HttpResponse:
    user = request.user
    if not services.is_site_admin(user):  # type: ignore[arg-type]
        raise PermissionDenied
    station = get_object_or_404(Station.objects.visible_to(user), pk=pk)  # type: ignore[arg-type]
    if not services.can_change_status(user, station):  # type: ignore[arg-type]
        raise PermissionDenied
    if station.status == status:
        return redirect("stations:detail", station.pk)
    form = StatusChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_station_status(user, station, status, form.cleaned_data["reason"], request)  # type: ignore[arg-type]
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if status == Station.Status.INACTIVE:
                messages.success(request, _("The site was deactivated. It no longer appears on the public pages."))
            else:
                messages.success(request, _("The site was reactivated."))
            return redirect("stations:detail", station.pk)
    return render(request, "stations/status.html", {
        "form": form, "station": station, "deactivate": status == Station.Status.INACTIVE,
    })


@staff_required
def deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_view(request, pk, Station.Status.INACTIVE)


@staff_required
def reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_view(request, pk, Station.Status.ACTIVE)

"""Staff pages for deputies: the list, a deputy's record, and changes to site groups."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianxin.accounts.audit import log_action
from lianxin.accounts.decorators import staff_required
from lianxin.accounts.models import User
from lianxin.core.export import xlsx_response
from lianxin.core.pagination import keyset_page
from lianxin.stations.models import Station

from . import roster, roster_views, services
from .forms import AddToGroupForm, AssignForm, DeputyFilterForm, RoleForm
from .models import LEVEL_ORDER, Assignment, Deputy, Level, Seat

CANDIDATES = 20


class StaffRequest(HttpRequest):
    """What ``staff_required`` guarantees: a logged-in staff user (for the type checker)."""

    user: User


def _level_labels(deputy: Deputy) -> str:
    labels = dict(Level.choices)
    return "、".join(str(labels[level]) for level in services.current_levels(deputy))


@staff_required
def deputy_list(request: StaffRequest) -> HttpResponse:
    user = request.user
    form = DeputyFilterForm(request.GET or None, user=user)
    deputies = Deputy.objects.visible_to(user)
    if form.is_bound and form.is_valid():
        deputies = services.filter_deputies(deputies, user, form.cleaned_data)
    deputies = services.with_current_relations(deputies)

    if request.GET.get("export") == "xlsx":
        log_action(user, "deputy.export", None, {"filters": request.GET.dict()}, request)
        rows = (
            [
                d.name, d.get_gender_display(), _level_labels(d), d.occupation,
                "、".join(a.station.name for a in d.current_assignments),  # type: ignore[attr-defined]
                d.masked_phone,
                _("Serving") if d.active else _("No longer serving"),
            ]
            for d in deputies.order_by("name", "id").iterator(chunk_size=1000)
        )
        headers = [_("Name"), _("Gender"), _("Levels"), _("Work unit and position"), _("Current sites"),
                   _("Mobile phone"), _("Status")]
        return xlsx_response(f"{_('Deputies')}.xlsx", headers, rows)

    if request.GET.get("export") == "roster":
        # The template's columns, so the file can be edited and imported back (one row per seat).
        full = request.GET.get("phones") == "full"
        filters = {k: v for k, v in request.GET.items() if k not in ("export", "phones", "cursor")}
        content = roster.export_xlsx(user, deputies, full, filters, request)
        response = HttpResponse(content, content_type=roster_views.XLSX)
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(_('Deputies roster') + '.xlsx')}"
        return response

    page = keyset_page(deputies, ("name", "id"), request.GET.get("cursor"), settings.PAGE_SIZE)
    return render(request, "deputies/deputy_list.html", {
        "form": form, "page": page, "total": deputies.count(),
        "can_import": roster.can_import(user), "can_view_full_phone": services.can_view_full_phone(user),
    })


def _deputy_or_404(request: StaffRequest, pk: int) -> Deputy:
    return get_object_or_404(Deputy.objects.visible_to(request.user).select_related("home_region"), pk=pk)


@staff_required
def deputy_detail(request: StaffRequest, pk: int) -> HttpResponse:
    return render(request, "deputies/deputy_detail.html", _detail_context(request, _deputy_or_404(request, pk)))


def _detail_context(request: StaffRequest, deputy: Deputy, full_phone: str = "") -> dict[str, Any]:
    user = request.user
    seats = sorted(deputy.seats.select_related("constituency"), key=lambda s: (s.ended_on is not None,
                                                                           LEVEL_ORDER[s.level]))
    assignments = list(deputy.assignments.select_related("station").order_by("-started_on", "-id"))
    current = [a for a in assignments if a.ended_on is None]
    manageable = set(
        services.manageable_stations(user).filter(pk__in={a.station_id for a in current}).values_list("pk", flat=True)
    )
    site_q = request.GET.get("site_q", "").strip()[:50]
    candidates: list[Station] = []
    if site_q and services.can_assign(user) and deputy.active:
        candidates = list(
            services.manageable_stations(user).active()
            .filter(Q(name__icontains=site_q) | Q(code__icontains=site_q))
            .exclude(pk__in={a.station_id for a in current})
            .select_related("region").order_by("region_path", "code", "id")[:CANDIDATES]
        )
    return {
        "deputy": deputy,
        "seats": seats,
        "current": current,
        "history": [a for a in assignments if a.ended_on is not None],
        "manageable": manageable,
        "can_assign": services.can_assign(user) and deputy.active,
        "can_reveal": services.can_view_full_phone(user),
        "full_phone": full_phone,
        "site_q": site_q,
        "candidates": candidates,
        "roles": Assignment.Role.choices,
    }


@require_POST
@staff_required
def reveal_phone(request: StaffRequest, pk: int) -> HttpResponse:
    deputy = _deputy_or_404(request, pk)
    phone = services.reveal_phone(request.user, deputy, request)
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponse(format_html('<span data-testid="full-phone">{}</span>', phone or "—"))
    return render(request, "deputies/deputy_detail.html", _detail_context(request, deputy, full_phone=phone))


def _back(request: StaffRequest, fallback: str) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = fallback
    return HttpResponseRedirect(target, status=303)


def _form_error(request: StaffRequest, form: Any) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


@require_POST
@staff_required
def assign(request: StaffRequest, pk: int) -> HttpResponse:
    """Add this deputy to a site (chosen in the form) with a role."""
    deputy = _deputy_or_404(request, pk)
    if not services.can_assign(request.user):
        raise PermissionDenied
    form = AssignForm(request.POST, user=request.user)
    if not form.is_valid():
        _form_error(request, form)
    else:
        _do_assign(request, deputy, form.cleaned_data["station"], form.cleaned_data["role"])
    return _back(request, reverse("deputies:detail", args=[deputy.pk]))


@require_POST
@staff_required
def add_to_group(request: StaffRequest, station_pk: int) -> HttpResponse:
    """Add a deputy (chosen in the form) to this site's group."""
    station = get_object_or_404(services.manageable_stations(request.user), pk=station_pk)
    form = AddToGroupForm(request.POST, user=request.user)
    if not form.is_valid():
        _form_error(request, form)
    else:
        _do_assign(request, form.cleaned_data["deputy"], station, form.cleaned_data["role"])
    return _back(request, reverse("deputies:station_group", args=[station.pk]))


def _do_assign(request: StaffRequest, deputy: Deputy, station: Station, role: str) -> None:
    try:
        services.assign_deputy(request.user, deputy, station, role, request)
    except services.AssignmentError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(deputy)s joined %(site)s.") % {"deputy": deputy.name, "site": station.name})


def _assignment_or_404(request: StaffRequest, pk: int) -> Assignment:
    # Only current assignments at sites the user manages: anything else is not there for them.
    return get_object_or_404(
        Assignment.objects.current().select_related("deputy", "station")
        .filter(station__in=services.manageable_stations(request.user)),
        pk=pk,
    )


@require_POST
@staff_required
def change_role(request: StaffRequest, pk: int) -> HttpResponse:
    assignment = _assignment_or_404(request, pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        _form_error(request, form)
    else:
        try:
            services.change_role(request.user, assignment, form.cleaned_data["role"], request)
        except services.AssignmentError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The role of %(deputy)s at %(site)s was changed.") % {
                "deputy": assignment.deputy.name, "site": assignment.station.name})
    return _back(request, reverse("deputies:station_group", args=[assignment.station_id]))


@require_POST
@staff_required
def end_assignment(request: StaffRequest, pk: int) -> HttpResponse:
    assignment = _assignment_or_404(request, pk)
    try:
        services.end_assignment(request.user, assignment, request)
    except services.AssignmentError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(deputy)s left %(site)s; the assignment is kept in the history.") % {
            "deputy": assignment.deputy.name, "site": assignment.station.name})
    return _back(request, reverse("deputies:station_group", args=[assignment.station_id]))


@staff_required
def station_group(request: StaffRequest, station_pk: int) -> HttpResponse:
    """A site's mixed group: its current deputies with levels and roles, history, and the add form."""
    user = request.user
    station = get_object_or_404(Station.objects.visible_to(user).select_related("region"), pk=station_pk)
    seats = Prefetch("deputy__seats", queryset=Seat.objects.current(), to_attr="current_seats")
    members = list(
        Assignment.objects.current().filter(station=station).select_related("deputy")
        .prefetch_related(seats).order_by("deputy__name", "deputy_id")
    )
    members.sort(key=lambda a: a.role != Assignment.Role.LEADER)  # the group leader first
    history = list(
        Assignment.objects.filter(station=station, ended_on__isnull=False).select_related("deputy")
        .order_by("-ended_on", "-id")[:100]
    )
    can_manage = services.manageable_stations(user).filter(pk=station.pk).exists()
    q = request.GET.get("q", "").strip()[:50]
    candidates: list[Deputy] = []
    if q and can_manage:
        here = Assignment.objects.current().filter(deputy=OuterRef("pk"), station=station)
        candidates = list(
            services.with_current_relations(
                Deputy.objects.visible_to(user).active()
                .filter(Q(name__icontains=q) | Q(occupation__icontains=q)).exclude(Exists(here))
            ).order_by("name", "id")[:CANDIDATES]
        )
    levels = sorted(
        {s.level for m in members for s in m.deputy.current_seats},  # type: ignore[attr-defined]
        key=LEVEL_ORDER.__getitem__,
    )
    return render(request, "deputies/station_group.html", {
        "station": station, "members": members, "history": history, "can_manage": can_manage,
        "q": q, "candidates": candidates, "roles": Assignment.Role.choices, "group_levels": levels,
        "level_labels": dict(Level.choices),
    })

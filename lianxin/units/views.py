"""Staff pages for handling units: list (filter, search, export), detail, create, edit, status."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from lianxin.accounts.decorators import staff_required
from lianxin.accounts.models import User
from lianxin.core.export import xlsx_response
from lianxin.core.pagination import keyset_page
from lianxin.regions.services import full_names

from . import services
from .forms import DUPLICATE_CODE, StatusChangeForm, UnitFilterForm, UnitForm
from .models import HandlingUnit

# Served by unit_name_idx (name, id).
LIST_ORDER = ("name", "id")


def _filtered(request: HttpRequest) -> tuple[UnitFilterForm, Any]:
    form = UnitFilterForm(request.GET or None, user=request.user)
    units = HandlingUnit.objects.visible_to(request.user).select_related("region")  # type: ignore[arg-type]
    return form, form.filter(units).annotate(staff_count=services.staff_count())


@staff_required
def object_list(request: HttpRequest) -> HttpResponse:
    form, units = _filtered(request)
    if request.GET.get("export") == "xlsx":
        return _export(units)
    page = keyset_page(units, LIST_ORDER, request.GET.get("cursor"), settings.PAGE_SIZE)
    names = full_names(unit.region.path for unit in page.rows)
    for unit in page.rows:
        unit.region_full_name = names.get(unit.region.path, unit.region.name)
    return render(request, "units/list.html", {
        "form": form,
        "page": page,
        "total": units.count(),
        "can_create": services.can_manage(request.user),  # type: ignore[arg-type]
    })


def _export(units: Any) -> HttpResponse:
    rows = list(units.order_by(*LIST_ORDER))
    names = full_names(unit.region.path for unit in rows)
    headers = [_("Code"), _("Name"), _("Kind"), _("Region"), _("Contact person"), _("Contact phone"),
               _("Address"), _("Staff accounts"), _("Status")]
    return xlsx_response(_("handling-units.xlsx"), headers, (
        [u.code, u.name, u.get_kind_display(), names.get(u.region.path, u.region.name), u.contact_name,
         u.contact_phone, u.address, u.staff_count, pgettext("handling unit", "Active") if u.active else pgettext("handling unit", "Deactivated")]
        for u in rows
    ))


@staff_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    unit = get_object_or_404(HandlingUnit.objects.visible_to(user).select_related("region"), pk=pk)  # type: ignore[arg-type]
    staff = User.objects.visible_to(user).filter(unit=unit).order_by("username")  # type: ignore[arg-type]
    return render(request, "units/detail.html", {
        "unit": unit,
        "region_full_name": full_names([unit.region.path]).get(unit.region.path, unit.region.name),
        "staff": staff,
        "can_manage": services.can_manage(user, unit),  # type: ignore[arg-type]
    })


def _require_manager(request: HttpRequest) -> None:
    if not services.can_manage(request.user):  # type: ignore[arg-type]
        raise PermissionDenied


@staff_required
def create(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    form = UnitForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.create_unit(request.user, form.save(commit=False), request)  # type: ignore[arg-type]
        except IntegrityError:
            form.add_error("code", DUPLICATE_CODE)
        else:
            messages.success(request, _("The handling unit “%(name)s” was created.") % {"name": unit.name})
            return redirect("units:detail", unit.pk)
    return render(request, "units/form.html", {"form": form, "unit": None})


@staff_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    unit = get_object_or_404(HandlingUnit.objects.visible_to(request.user), pk=pk)  # type: ignore[arg-type]
    form = UnitForm(request.POST or None, instance=HandlingUnit.objects.get(pk=pk), user=request.user)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.update_unit(request.user, unit, values, request)  # type: ignore[arg-type]
        except IntegrityError:
            form.add_error("code", DUPLICATE_CODE)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("units:detail", unit.pk)
    return render(request, "units/form.html", {"form": form, "unit": unit})


def _status_view(request: HttpRequest, pk: int, active: bool) -> HttpResponse:
    _require_manager(request)
    unit = get_object_or_404(HandlingUnit.objects.visible_to(request.user), pk=pk)  # type: ignore[arg-type]
    if unit.active == active:
        return redirect("units:detail", unit.pk)
    form = StatusChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_unit_active(request.user, unit, active, form.cleaned_data["reason"], request)  # type: ignore[arg-type]
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The unit was reactivated.") if active else _("The unit was deactivated."))
            return redirect("units:detail", unit.pk)
    return render(request, "units/status.html", {"form": form, "unit": unit, "deactivate": not active})


@staff_required
def deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_view(request, pk, active=False)


@staff_required
def reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_view(request, pk, active=True)

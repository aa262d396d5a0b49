from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lianxin.accounts.decorators import staff_required
from lianxin.core.export import xlsx_response
from lianxin.core.pagination import keyset_page
from lianxin.deputies.models import Level, Seat

from . import coverage as cov
from . import services


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/home.html", {"figures": services.scoped_figures(request.user)})


# The drill-down lists of the coverage page: title and keyset ordering of each.
GAP_LISTS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "townships": (gettext_lazy("Townships and streets without a liaison station"), ("path", "id")),
    "deputies": (gettext_lazy("Deputies without a site"), ("name", "id")),
    "empty_sites": (gettext_lazy("Sites without deputies"), ("region_path", "code", "id")),
    "single_level": (gettext_lazy("Sites with deputies of a single level"), ("region_path", "code", "id")),
}


def _gap_queryset(scope: cov.Scope, show: str) -> QuerySet:
    if show == "townships":
        return cov.townships_without_station(scope).select_related("parent")
    if show == "deputies":
        seats = Prefetch("seats", queryset=Seat.objects.current(), to_attr="current_seats")
        return cov.deputies_without_site(scope).select_related("home_region").prefetch_related(seats)
    if show == "empty_sites":
        return cov.sites_without_deputies(scope).select_related("region")
    return cov.single_level_sites(scope).select_related("region")


def _export_row(show: str, obj: Any) -> list[Any]:
    from lianxin.deputies.services import current_levels

    labels = dict(Level.choices)
    if show == "townships":
        return [obj.name, obj.code, obj.parent.name if obj.parent else ""]
    if show == "deputies":
        levels = "、".join(str(labels[level]) for level in current_levels(obj))
        return [obj.name, obj.get_gender_display(), levels, obj.occupation, obj.home_region or ""]
    row = [obj.name, obj.code, obj.get_kind_display(), obj.region.name]
    if show == "single_level":
        row += [str(labels.get(obj.top_level, _("No current seat"))), obj.n_deputies]
    return row


def _export_headers(show: str) -> list[str]:
    if show == "townships":
        return [_("Township / street"), _("Division code"), _("District / county")]
    if show == "deputies":
        return [_("Name"), _("Gender"), _("Levels"), _("Work unit and position"), _("Home region")]
    headers = [_("Site"), _("Site code"), _("Kind"), _("Region")]
    if show == "single_level":
        headers += [_("Level"), _("Deputies")]
    return headers


@staff_required
def coverage(request: HttpRequest) -> HttpResponse:
    scope = cov.scope_for(request.user)  # type: ignore[arg-type]  # staff_required: a logged-in User
    show = request.GET.get("show", "")
    if show in GAP_LISTS:
        title, ordering = GAP_LISTS[show]
        queryset = _gap_queryset(scope, show).order_by(*ordering)
        if request.GET.get("export") == "xlsx":
            rows = (_export_row(show, obj) for obj in queryset.iterator(chunk_size=1000))
            return xlsx_response(f"{title}.xlsx", _export_headers(show), rows)
        page = keyset_page(queryset, ordering, request.GET.get("cursor"), settings.PAGE_SIZE)
        return render(request, "dashboard/coverage_list.html", {
            "show": show, "title": title, "page": page, "total": queryset.count(),
            "level_labels": dict(Level.choices),
        })
    return render(request, "dashboard/coverage.html", {"coverage": cov.summary(scope), "scope": scope})

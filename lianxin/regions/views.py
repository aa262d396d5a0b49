"""The region tree browser: a region's children with site and deputy counts, and region search."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from lianxin.accounts.decorators import staff_required

from . import services
from .forms import RegionSearchForm
from .models import Region


def _render(request: HttpRequest, region: Region | None) -> HttpResponse:
    form = RegionSearchForm(request.GET or None)
    query = form.cleaned_data.get("q", "") if form.is_valid() else ""
    results = services.search(request.user, query) if query else None  # type: ignore[arg-type]
    return render(request, "regions/tree.html", {
        "form": form,
        "query": query,
        "results": results,
        "search_limit": services.SEARCH_LIMIT,
        "branch": services.branch(request.user, region),  # type: ignore[arg-type]
    })


@staff_required
def object_list(request: HttpRequest) -> HttpResponse:
    return _render(request, None)


@staff_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    region = get_object_or_404(Region.objects.visible_to(request.user), pk=pk)  # type: ignore[arg-type]
    return _render(request, region)

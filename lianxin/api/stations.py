"""Liaison sites for staff, within the caller's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Prefetch, Q, When
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router

from lianxin.core.pagination import keyset_page
from lianxin.deputies.models import Assignment, Seat
from lianxin.regions.models import Region
from lianxin.stations.models import Station

from .auth import auth_user, staff_auth
from .common import PageParams, SiteKind, SiteStatus, SiteTier, page_response, region_filter
from .schemas import ErrorOut, StationDetail, StationPage, ValidationErrorOut

router = Router(tags=["sites"], auth=staff_auth)


class StationFilters(PageParams):
    region: str | None = Field(None, description="Division code: sites in this region and below.")
    kind: SiteKind | None = None
    tier: SiteTier | None = None
    status: SiteStatus | None = None
    q: str | None = Field(None, max_length=50, description="Words in the site's code, name or address.")


@router.get("/stations", response={200: StationPage, 422: ValidationErrorOut}, summary="Sites")
def list_stations(request: Any, filters: Query[StationFilters]) -> Any:
    """Sites in the caller's scope, in region order, a page at a time (keyset: pass `next_cursor` on)."""
    user = auth_user(request)
    qs = Station.objects.visible_to(user).select_related("region")
    if filters.region:
        qs = qs.in_region(region_filter(Region.objects.visible_to(user), filters.region))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.tier:
        qs = qs.filter(tier=filters.tier)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.q:
        qs = qs.filter(Q(code__icontains=filters.q) | Q(name__icontains=filters.q) | Q(address__icontains=filters.q))
    return page_response(keyset_page(qs, ("region_path", "code", "id"), filters.cursor, filters.limit))


@router.get("/stations/{code}", response={200: StationDetail, 404: ErrorOut}, summary="A site")
def get_station(request: Any, code: str) -> Any:
    """One site in the caller's scope with its current group of deputies; any other code is 404."""
    assignments = (
        Assignment.objects.current()
        .select_related("deputy")
        .prefetch_related(Prefetch("deputy__seats", queryset=Seat.objects.current(), to_attr="current_seats"))
        .order_by(Case(When(role=Assignment.Role.LEADER, then=0), default=1), "deputy__name", "deputy_id")
    )
    return get_object_or_404(
        Station.objects.visible_to(auth_user(request))
        .select_related("region", "parent")
        .prefetch_related(Prefetch("assignments", queryset=assignments, to_attr="current_assignments")),
        code=code,
    )

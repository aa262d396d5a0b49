"""Handling units for staff, within the caller's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router

from lianxin.core.pagination import keyset_page
from lianxin.regions.models import Region, subtree_q
from lianxin.units.models import HandlingUnit

from .auth import auth_user, staff_auth
from .common import PageParams, UnitKind, page_response, region_filter
from .schemas import ErrorOut, UnitDetail, UnitPage, ValidationErrorOut

router = Router(tags=["handling units"], auth=staff_auth)


class UnitFilters(PageParams):
    region: str | None = Field(None, description="Division code: units of this region and below.")
    kind: UnitKind | None = None
    active: bool | None = None
    q: str | None = Field(None, max_length=50, description="Part of the unit's code or name.")


@router.get("/units", response={200: UnitPage, 422: ValidationErrorOut}, summary="Handling units")
def list_units(request: Any, filters: Query[UnitFilters]) -> Any:
    """Handling units in the caller's scope, by name, a page at a time (keyset: pass `next_cursor` on)."""
    user = auth_user(request)
    qs = HandlingUnit.objects.visible_to(user).select_related("region")
    if filters.region:
        region = region_filter(Region.objects.visible_to(user), filters.region)
        qs = qs.filter(subtree_q("region__path", region.path))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.active is not None:
        qs = qs.filter(active=filters.active)
    if filters.q:
        qs = qs.filter(Q(code__icontains=filters.q) | Q(name__icontains=filters.q))
    return page_response(keyset_page(qs, ("name", "id"), filters.cursor, filters.limit))


@router.get("/units/{code}", response={200: UnitDetail, 404: ErrorOut}, summary="A handling unit")
def get_unit(request: Any, code: str) -> Any:
    """One handling unit in the caller's scope; any other code is 404."""
    return get_object_or_404(HandlingUnit.objects.visible_to(auth_user(request)).select_related("region"), code=code)

"""The tree of administrative divisions, one level at a time."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from lianxin.regions.models import Region

from .auth import auth_user, staff_auth
from .schemas import ErrorOut, RegionOut, ValidationErrorOut

router = Router(tags=["regions"], auth=staff_auth)


class RegionFilters(Schema):
    parent: str | None = Field(None, description="Division code whose children to list; omit for the top of your area.")


@router.get("/regions", response={200: list[RegionOut], 404: ErrorOut, 422: ValidationErrorOut}, summary="Regions")
def list_regions(request: Any, filters: Query[RegionFilters]) -> Any:
    """The children of a region, or the top regions of the caller's area (an admin: its own region)."""
    visible = Region.objects.visible_to(auth_user(request))
    qs = visible.select_related("parent").annotate(
        has_children=Exists(Region.objects.filter(parent=OuterRef("pk")))
    )
    if filters.parent:
        parent = get_object_or_404(visible, code=filters.parent)
        return list(qs.filter(parent=parent).order_by("code"))
    # The tops of the visible area: regions whose parent is outside it (or who have none).
    return list(qs.exclude(parent__in=visible).order_by("code"))

"""Deputies for staff, within the caller's scope. Phones are always masked here."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Prefetch
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router

from lianxin.core.pagination import keyset_page
from lianxin.deputies.models import Assignment, Deputy, Seat
from lianxin.regions.models import Region

from .auth import auth_user, staff_auth
from .common import DeputyLevel, PageParams, page_response, region_filter
from .schemas import DeputyDetail, DeputyPage, ErrorOut, ValidationErrorOut

router = Router(tags=["deputies"], auth=staff_auth)


class DeputyFilters(PageParams):
    region: str | None = Field(
        None, description="Division code: deputies elected in, serving at a site in, or living in this region."
    )
    level: DeputyLevel | None = Field(None, description="Holding a current seat at this level.")
    station: str | None = Field(None, description="Site code: deputies currently in this site's group.")
    q: str | None = Field(None, max_length=50, description="Part of the deputy's name.")


@router.get("/deputies", response={200: DeputyPage, 422: ValidationErrorOut}, summary="Deputies")
def list_deputies(request: Any, filters: Query[DeputyFilters]) -> Any:
    """Deputies in the caller's scope, by name, a page at a time (keyset: pass `next_cursor` on)."""
    user = auth_user(request)
    qs = Deputy.objects.visible_to(user).prefetch_related(
        Prefetch("seats", queryset=Seat.objects.current(), to_attr="current_seats"),
        Prefetch(
            "assignments", queryset=Assignment.objects.current().select_related("station"),
            to_attr="current_assignments",
        ),
    )
    if filters.region:
        qs = qs.in_region(region_filter(Region.objects.visible_to(user), filters.region))
    if filters.level:
        qs = qs.filter(Exists(Seat.objects.current().filter(deputy=OuterRef("pk"), level=filters.level)))
    if filters.station:
        qs = qs.filter(
            Exists(Assignment.objects.current().filter(deputy=OuterRef("pk"), station__code=filters.station))
        )
    if filters.q:
        qs = qs.filter(name__icontains=filters.q)
    return page_response(keyset_page(qs, ("name", "id"), filters.cursor, filters.limit))


@router.get("/deputies/{deputy_id}", response={200: DeputyDetail, 404: ErrorOut}, summary="A deputy")
def get_deputy(request: Any, deputy_id: int) -> Any:
    """One deputy in the caller's scope with every seat and site assignment, past ones included."""
    deputy = get_object_or_404(
        Deputy.objects.visible_to(auth_user(request))
        .select_related("home_region")
        .prefetch_related(
            Prefetch("seats", queryset=Seat.objects.select_related("constituency"), to_attr="all_seats"),
            # A deputy's own record lists all its sites: site names and groups are public anyway.
            Prefetch(
                "assignments",
                queryset=Assignment.objects.select_related("station").order_by("-started_on", "-id"),
                to_attr="all_assignments",
            ),
        ),
        pk=deputy_id,
    )
    deputy.current_seats = [s for s in deputy.all_seats if s.ended_on is None]  # type: ignore[attr-defined]
    deputy.current_assignments = [  # type: ignore[attr-defined]
        a for a in deputy.all_assignments if a.ended_on is None  # type: ignore[attr-defined]
    ]
    return deputy

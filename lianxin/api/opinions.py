"""Opinions (the case engine) for staff: the list, one case, and every staff transition.

Every read goes through ``Opinion.objects.visible_to(user)`` (an out-of-scope case answers 404,
as if it did not exist) and every change through the function of the same name in
``lianxin.opinions.services``, which checks the table (``transitions.TRANSITIONS``), the scope,
the state and the version. A refusal answers ``{"code", "message"}``: the stable ``code`` of the
``CaseError`` and its message in the caller's language.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema

from lianxin.accounts.audit import log_action
from lianxin.accounts.models import User
from lianxin.core import clock
from lianxin.core.pagination import keyset_page
from lianxin.deputies.models import Deputy
from lianxin.opinions import services
from lianxin.opinions.errors import CaseError
from lianxin.opinions.models import (
    Category,
    Opinion,
    OpinionEvent,
    RejectReason,
    Status,
    Urgency,
)
from lianxin.opinions.transitions import TRANSITIONS, available
from lianxin.regions.models import Region, subtree_q
from lianxin.stations.models import Station
from lianxin.units.models import HandlingUnit

from .auth import auth_user, staff_auth
from .common import PageParams, choice, region_filter

router = Router(tags=["opinions"], auth=staff_auth)

# ---- errors ------------------------------------------------------------------------------------

# The HTTP status of each stable CaseError code.
ERROR_STATUS = {
    "not_allowed": 403,
    "not_found": 404,
    "wrong_state": 409,
    "conflict": 409,
    "invalid": 422,
    "rate_limited": 429,
}


class ApiError(Schema):
    """A refused request: a stable ``code`` for programs and a ``message`` in the caller's language."""

    code: str = Field(..., description="not_allowed, not_found, wrong_state, conflict, invalid, rate_limited, "
                                        "unauthenticated")
    message: str


class InvalidError(ApiError):
    """A 422: ``code`` is "invalid"; ``errors`` lists the parameters at fault when the request did not parse."""

    errors: list[dict[str, Any]] = []


def error_status(exc: CaseError) -> int:
    return ERROR_STATUS.get(exc.code, 400)


def error_body(exc: CaseError) -> dict[str, Any]:
    return {"code": exc.code, "message": str(exc.message)}


# Documented answers of the endpoints that change a case.
ACTION_ERRORS: dict[int, Any] = {403: ApiError, 404: ApiError, 409: ApiError, 422: InvalidError}


# ---- output --------------------------------------------------------------------------------------


class Ref(Schema):
    code: str
    name: str


class DeputyRef(Schema):
    id: int
    name: str


def _ref(obj: Any) -> dict[str, str] | None:
    return {"code": obj.code, "name": str(obj)} if obj is not None else None


class OpinionOut(Schema):
    tracking_code: str
    status: str
    status_label: str
    outcome: str
    category: Ref
    urgency: str
    title: str
    region: Ref
    site: Ref | None
    unit: Ref | None
    deputy: DeputyRef | None
    channel: str
    created_at: datetime.datetime
    due_at: datetime.datetime | None
    overdue: bool
    escalation_count: int
    version: int

    @staticmethod
    def resolve_status_label(obj: Opinion) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_category(obj: Opinion) -> dict[str, str]:
        return {"code": obj.category.code, "name": str(obj.category)}

    @staticmethod
    def resolve_region(obj: Opinion) -> dict[str, str]:
        return {"code": obj.region.code, "name": obj.region.name}

    @staticmethod
    def resolve_site(obj: Opinion) -> dict[str, str] | None:
        return {"code": obj.station.code, "name": obj.station.name} if obj.station else None

    @staticmethod
    def resolve_unit(obj: Opinion) -> dict[str, str] | None:
        return {"code": obj.unit.code, "name": obj.unit.name} if obj.unit else None

    @staticmethod
    def resolve_deputy(obj: Opinion) -> dict[str, Any] | None:
        return {"id": obj.deputy_id, "name": obj.deputy.name} if obj.deputy else None

    @staticmethod
    def resolve_overdue(obj: Opinion) -> bool:
        return obj.is_overdue(clock.now())


class OpinionPage(Schema):
    items: list[OpinionOut]
    next_cursor: str | None


class EventOut(Schema):
    at: datetime.datetime
    action: str
    actor: str | None = Field(..., description="The staff account that acted; null for the citizen or the system.")
    actor_kind: str
    from_status: str
    to_status: str
    public_note: str
    internal_note: str
    unit_code: str | None
    data: dict[str, Any]

    @staticmethod
    def resolve_at(obj: OpinionEvent) -> datetime.datetime:
        return obj.created_at

    @staticmethod
    def resolve_actor(obj: OpinionEvent) -> str | None:
        if obj.actor is None:
            return None
        return obj.actor.display_name or obj.actor.username

    @staticmethod
    def resolve_unit_code(obj: OpinionEvent) -> str | None:
        return obj.unit.code if obj.unit else None


class ActionRef(Schema):
    name: str
    label: str


class OpinionDetail(OpinionOut):
    text: str
    citizen_name: str = Field(..., description="Masked (张*明).")
    citizen_phone: str = Field(..., description="Masked (139****1111).")
    latitude: float | None
    longitude: float | None
    merged_into: str | None
    accepted_at: datetime.datetime | None
    transferred_at: datetime.datetime | None
    acknowledged_at: datetime.datetime | None
    replied_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    reopen_count: int
    supporters: int
    reply: str
    satisfaction: str
    citizen_says_resolved: bool | None
    actions: list[ActionRef] = Field(..., description="The transitions the caller's role may run now.")
    events: list[EventOut]

    @staticmethod
    def resolve_citizen_name(obj: Opinion) -> str:
        return obj.masked_name

    @staticmethod
    def resolve_citizen_phone(obj: Opinion) -> str:
        return obj.masked_phone

    @staticmethod
    def resolve_merged_into(obj: Opinion) -> str | None:
        return obj.merged_into.tracking_code if obj.merged_into else None

    @staticmethod
    def resolve_actions(obj: Opinion) -> list[dict[str, str]]:
        return [{"name": t.name, "label": str(t.label)} for t in getattr(obj, "available_actions", [])]

    @staticmethod
    def resolve_events(obj: Opinion) -> list[OpinionEvent]:
        return list(obj.events.all())


def _list_queryset(user: User) -> Any:
    return Opinion.objects.visible_to(user).select_related("category", "region", "station", "unit", "deputy")


def _detail(user: User, code: str) -> Opinion:
    events = OpinionEvent.objects.select_related("actor", "unit").order_by("created_at", "id")
    opinion = get_object_or_404(
        _list_queryset(user).select_related("merged_into").prefetch_related(Prefetch("events", queryset=events)),
        tracking_code=code,
    )
    opinion.available_actions = available(opinion.status, services.Actor.of(user).kind)  # type: ignore[attr-defined]
    return opinion


# ---- the list and one case --------------------------------------------------------------------------

if TYPE_CHECKING:
    StatusChoice: TypeAlias = str
    RejectChoice: TypeAlias = str
    UrgencyChoice: TypeAlias = str
else:
    StatusChoice = choice(Status)
    RejectChoice = choice(RejectReason)
    UrgencyChoice = choice(Urgency)


class OpinionFilters(PageParams):
    status: StatusChoice | None = None
    category: str | None = Field(None, description="Category code.")
    region: str | None = Field(None, description="Division code: cases in this region and below.")
    station: str | None = Field(None, description="Site code.")
    unit: str | None = Field(None, description="Handling unit code (the unit the case is with now).")
    deputy: int | None = Field(None, description="Deputy id.")
    date_from: datetime.date | None = Field(None, description="Submitted on or after this day.")
    date_to: datetime.date | None = Field(None, description="Submitted on or before this day.")
    q: str | None = Field(None, max_length=50, description="Chinese keywords in the title or text (all must occur).")


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@router.get("/opinions", response={200: OpinionPage, 401: ApiError, 422: InvalidError}, summary="Opinions")
def list_opinions(request: HttpRequest, filters: Query[OpinionFilters]) -> Any:
    """Cases in the caller's scope, newest first, a page at a time (keyset: pass `next_cursor` on)."""
    user = auth_user(request)
    qs = _list_queryset(user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.category:
        qs = qs.filter(category__code=filters.category)
    if filters.region:
        region = region_filter(Region.objects.visible_to(user), filters.region)
        qs = qs.filter(subtree_q("region_path", region.path))
    if filters.station:
        qs = qs.filter(station__code=filters.station)
    if filters.unit:
        qs = qs.filter(unit__code=filters.unit)
    if filters.deputy:
        qs = qs.filter(deputy_id=filters.deputy)
    if filters.date_from:
        qs = qs.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        qs = qs.filter(created_at__lt=_day_start(filters.date_to + datetime.timedelta(days=1)))
    if filters.q and filters.q.strip():
        from lianxin.opinions.search import filter_keyword

        qs = filter_keyword(qs, filters.q)
    page = keyset_page(qs, ("-created_at", "-id"), filters.cursor, filters.limit)
    return {"items": page.rows, "next_cursor": page.next_cursor}


@router.get(
    "/opinions/{tracking_code}", response={200: OpinionDetail, 401: ApiError, 404: ApiError}, summary="One opinion"
)
def get_opinion(request: HttpRequest, tracking_code: str) -> Any:
    """One case in the caller's scope with its full history (public and internal notes) and the
    actions the caller may run; the citizen's name and phone are masked."""
    return _detail(auth_user(request), tracking_code)


# ---- transitions ---------------------------------------------------------------------------------


class ActionIn(Schema):
    expected_version: int = Field(
        ..., ge=0, description="The case's `version` as you saw it; 409 `conflict` if it changed meanwhile."
    )


class AcceptIn(ActionIn):
    station: str | None = Field(None, description="Site code; keeps the case's site when omitted.")
    deputy: int | None = Field(None, description="Deputy id.")
    category: str | None = Field(None, description="Category code.")
    urgency: UrgencyChoice | None = None
    public_note: str = Field("", max_length=2000)
    internal_note: str = Field("", max_length=2000)


class RejectIn(ActionIn):
    reason: RejectChoice
    public_note: str = Field("", max_length=2000, description="Defaults to the standard guidance of the reason.")
    internal_note: str = Field("", max_length=2000)


class MergeIn(ActionIn):
    into: str = Field(..., description="Tracking code of the open case this one duplicates.")
    internal_note: str = Field("", max_length=2000)


class AnswerIn(ActionIn):
    reply: str = Field(..., max_length=5000, description="The answer given to the citizen on the spot.")
    internal_note: str = Field("", max_length=2000)


class TransferIn(ActionIn):
    unit: str = Field(..., description="Handling unit code.")
    working_days: int | None = Field(None, ge=1, le=60, description="Deadline; the category's rule when omitted.")
    public_note: str = Field("", max_length=2000)
    internal_note: str = Field("", max_length=2000)


class ReplyIn(ActionIn):
    text: str = Field(..., max_length=5000)
    internal_note: str = Field("", max_length=2000)


class ReturnIn(ActionIn):
    reason: str = Field(..., max_length=2000)


class ExtensionIn(ActionIn):
    working_days: int = Field(..., ge=1, le=30)
    reason: str = Field(..., max_length=2000)


class DecideExtensionIn(ActionIn):
    approve: bool
    note: str = Field("", max_length=2000)


class EscalateIn(ActionIn):
    note: str = Field("", max_length=2000)


def _locked_version_check(opinion: Opinion, expected_version: int) -> None:
    """For the services that take no ``expected_version``: compare under the row lock, in the caller's transaction."""
    current = Opinion.objects.select_for_update().values_list("version", flat=True).get(pk=opinion.pk)
    if current != expected_version:
        raise CaseError("conflict", gettext_lazy("Someone else changed this case meanwhile. Reload and try again."))


def _run(
    request: HttpRequest, tracking_code: str, name: str, body: ActionIn,
    call: Callable[[Opinion, User], Any], *, takes_version: bool = True,
) -> Opinion:
    """Find the case in scope, run the service in one transaction with the audit row, answer the new detail."""
    user = auth_user(request)
    opinion = get_object_or_404(Opinion.objects.visible_to(user), tracking_code=tracking_code)
    with transaction.atomic():
        if not takes_version and services.Actor.of(user).kind in TRANSITIONS[name].actors:
            _locked_version_check(opinion, body.expected_version)
        changed = call(opinion, user)
        data = body.dict(exclude={"expected_version"})
        data["version"] = changed.version
        log_action(user, f"opinion.{name}", changed, data, request)
    return _detail(user, tracking_code)


def _invalid(message: Any) -> CaseError:
    return CaseError("invalid", message)


def _action(name: str, doc: str) -> Callable[[Any], Any]:
    with translation.override(None):  # the schema is documented in the source language
        label = str(TRANSITIONS[name].label)
    return router.post(
        f"/opinions/{{tracking_code}}/{name}",
        response={200: OpinionDetail, 401: ApiError, **ACTION_ERRORS},
        summary=label, operation_id=f"opinion_{name}", description=doc,
    )


@_action("accept", "Accept a submitted case (optionally setting its site, deputy, category, urgency).")
def accept(request: HttpRequest, tracking_code: str, body: AcceptIn) -> Any:
    user = auth_user(request)
    station = deputy = category = None
    if body.station:
        station = Station.objects.visible_to(user).filter(code=body.station).first()
        if station is None:
            raise _invalid(_("Choose one of your own sites."))
    if body.deputy:
        deputy = Deputy.objects.visible_to(user).filter(pk=body.deputy).first()
        if deputy is None:
            raise _invalid(_("There is no such deputy in your area."))
    if body.category:
        category = Category.objects.filter(code=body.category, active=True).first()
        if category is None:
            raise _invalid(_("There is no such category."))
    return _run(request, tracking_code, "accept", body, lambda op, u: services.accept(
        op, u, station=station, deputy=deputy, category=category, urgency=body.urgency,
        public_note=body.public_note, internal_note=body.internal_note, expected_version=body.expected_version,
    ))


@_action("reject", "Do not accept the case, with a standard reason that tells the citizen where to go.")
def reject(request: HttpRequest, tracking_code: str, body: RejectIn) -> Any:
    return _run(request, tracking_code, "reject", body, lambda op, u: services.reject(
        op, u, reason=body.reason, public_note=body.public_note, internal_note=body.internal_note,
        expected_version=body.expected_version,
    ))


@_action("merge", "Merge a duplicate into an open case of your area.")
def merge(request: HttpRequest, tracking_code: str, body: MergeIn) -> Any:
    user = auth_user(request)
    into = Opinion.objects.visible_to(user).filter(tracking_code=body.into).first()
    if into is None:
        raise _invalid(_("Merge into a case of your own area."))
    return _run(request, tracking_code, "merge", body, lambda op, u: services.merge(
        op, u, into=into, internal_note=body.internal_note, expected_version=body.expected_version,
    ))


@_action("answer", "Answer an accepted case on the spot.")
def answer(request: HttpRequest, tracking_code: str, body: AnswerIn) -> Any:
    return _run(request, tracking_code, "answer", body, lambda op, u: services.answer(
        op, u, reply=body.reply, internal_note=body.internal_note, expected_version=body.expected_version,
    ))


@_action("transfer", "Transfer an accepted case to a handling unit with a deadline in working days.")
def transfer(request: HttpRequest, tracking_code: str, body: TransferIn) -> Any:
    # Any unit by code: the service decides which ones the caller may forward to (by level, by area)
    # and gives every refused or unknown code the same answer.
    unit = HandlingUnit.objects.select_related("region").filter(code=body.unit).first()
    if unit is None:
        raise _invalid(_("Choose a handling unit of your area."))
    return _run(request, tracking_code, "transfer", body, lambda op, u: services.transfer(
        op, u, unit=unit, working_days=body.working_days, public_note=body.public_note,
        internal_note=body.internal_note, expected_version=body.expected_version,
    ))


@_action("acknowledge", "The handling unit acknowledges receipt of a transferred case.")
def acknowledge(request: HttpRequest, tracking_code: str, body: ActionIn) -> Any:
    return _run(request, tracking_code, "acknowledge", body, lambda op, u: services.acknowledge(op, u),
                takes_version=False)


@_action("reply", "The handling unit replies to the citizen.")
def reply(request: HttpRequest, tracking_code: str, body: ReplyIn) -> Any:
    return _run(request, tracking_code, "reply", body, lambda op, u: services.reply(
        op, u, text=body.text, internal_note=body.internal_note, expected_version=body.expected_version,
    ))


@_action("return_case", "The handling unit returns a wrongly routed case, saying why.")
def return_case(request: HttpRequest, tracking_code: str, body: ReturnIn) -> Any:
    return _run(request, tracking_code, "return_case", body,
                lambda op, u: services.return_case(op, u, reason=body.reason), takes_version=False)


@_action("request_extension", "The handling unit asks for more working days (decided by the congress staff).")
def request_extension(request: HttpRequest, tracking_code: str, body: ExtensionIn) -> Any:
    return _run(request, tracking_code, "request_extension", body, lambda op, u: services.request_extension(
        op, u, working_days=body.working_days, reason=body.reason,
    ), takes_version=False)


@_action("decide_extension", "The congress staff approve or deny the pending extension request.")
def decide_extension(request: HttpRequest, tracking_code: str, body: DecideExtensionIn) -> Any:
    return _run(request, tracking_code, "decide_extension", body, lambda op, u: services.decide_extension(
        op, u, approve=body.approve, note=body.note,
    ), takes_version=False)


@_action("escalate", "Escalate (督办) an overdue or stuck case.")
def escalate(request: HttpRequest, tracking_code: str, body: EscalateIn) -> Any:
    return _run(request, tracking_code, "escalate", body,
                lambda op, u: services.escalate(op, u, note=body.note), takes_version=False)


# The staff transitions this router exposes (rate and close_lapsed belong to the citizen and the system).
STAFF_ACTIONS = ("accept", "reject", "merge", "answer", "transfer", "acknowledge", "reply", "return_case",
                 "request_extension", "decide_extension", "escalate")

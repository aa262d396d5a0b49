"""Opinions for citizens (no account): submit, follow by tracking code, rate the outcome.

Submissions are idempotent (``Idempotency-Key`` header: a retry answers the first submission
with 200 instead of 201 and stores nothing new) and rate-limited per client address and per
phone; following and rating need the tracking code plus the last four digits of the phone given
with the opinion, and wrong guesses are rate-limited per address and per tracking code.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from ninja import Field, Header, Router, Schema, Status
from pydantic import BaseModel, TypeAdapter
from pydantic import Field as PydanticField
from pydantic import ValidationError as PydanticValidationError

from lianxin.core import ratelimit
from lianxin.core.keycache import KeyCache
from lianxin.core.validators import validate_phone
from lianxin.deputies.models import Assignment, Deputy
from lianxin.opinions import services
from lianxin.opinions.errors import CaseError
from lianxin.opinions.models import Category, Opinion, OpinionEvent, OpinionIntake, Satisfaction
from lianxin.opinions.models import Status as Status_
from lianxin.stations.models import Station

from . import opinions as opinions_api
from .common import choice, invalid_body
from .opinions import ApiError, InvalidError

router = Router(tags=["public opinions"], auth=None)

# Limits as (count, window in seconds), each overridable in settings under its name.
RATES = {
    "OPINION_API_SUBMIT_RATE_IP": (10, 600),
    "OPINION_API_SUBMIT_RATE_PHONE": (5, 3600),
    "OPINION_API_LOOKUP_RATE_IP": (30, 600),
    # Wrong phone digits for one tracking code: the 10 000 combinations must not be guessable.
    "OPINION_API_LOOKUP_FAILURES_PER_CODE": (5, 3600),
}


def _rate(name: str) -> ratelimit.Rate:
    return ratelimit.Rate.setting(name, RATES[name])

# Events a citizen sees on the timeline (with their public note only, never who acted).
PUBLIC_EVENTS = {
    "submit": gettext_lazy("Opinion received"),
    "accept": gettext_lazy("Accepted"),
    "reject": gettext_lazy("Not accepted"),
    "merge": gettext_lazy("Merged with a case on the same matter"),
    "answer": gettext_lazy("Answered on the spot"),
    "transfer": gettext_lazy("Transferred to the handling unit"),
    "acknowledge": gettext_lazy("Received by the handling unit"),
    "reply": gettext_lazy("Replied"),
    "return_case": gettext_lazy("Being routed to another handling unit"),
    "rate": gettext_lazy("Rated by the citizen"),
    "close_lapsed": gettext_lazy("Closed"),
}

if TYPE_CHECKING:
    SatisfactionChoice: TypeAlias = str
else:
    SatisfactionChoice = choice(Satisfaction)


def _too_many() -> CaseError:
    return CaseError("rate_limited", _("Too many requests from your side. Please try again later."))


# ---- submit ------------------------------------------------------------------------------------


class SubmitIn(BaseModel):
    # A plain pydantic model (django-ninja takes it as the body all the same): ninja's Schema adds a
    # validator for reading Django objects, which a JSON body never needs (submit_view validates it).
    category: str = Field(..., description="Category code.")
    title: str = Field(..., min_length=1, max_length=100)
    text: str = Field(..., min_length=1, max_length=5000)
    station: str | None = Field(None, description="Site code (from the site's QR code).")
    deputy: str | None = Field(None, description="A deputy's public code (from the deputy's QR code).")
    name: str = Field("", max_length=50)
    phone: str = Field(..., max_length=20, description="Needed to follow the case (its last four digits).")
    consent: bool = Field(..., description="Consent to the privacy notice; must be true.")
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)


class SubmitOut(Schema):
    tracking_code: str
    status: str
    status_label: str
    due_at: datetime.datetime | None


IDEMPOTENCY_KEY_MIN, IDEMPOTENCY_KEY_MAX = 8, 100


def _stored_key(key: str, phone: str) -> str:
    """The key as stored: bound to the phone, so someone else's key never answers with their case."""
    return "api:" + hashlib.sha256(f"{key}\n{phone}".encode()).hexdigest()[:56]


def _answer(intake: OpinionIntake | services.Received) -> dict[str, Any]:
    """What a submission answers: the tracking code, the state (submitted until the case moves on), the deadline."""
    status: str = Status_.SUBMITTED
    if intake.opinion_id is not None:
        status = Opinion.objects.filter(pk=intake.opinion_id).values_list("status", flat=True).first() or status
    return {"tracking_code": intake.tracking_code, "status": status,
            "status_label": str(Status_(status).label), "due_at": intake.due_at}


def _site(code: str) -> tuple[int, int] | None:
    found = Station.objects.active().filter(code=code).order_by().values_list("id", "region_id")[:1]
    return found[0] if found else None


def _category(code: str) -> int | None:
    found = Category.objects.filter(code=code, active=True).order_by().values_list("id", flat=True)[:1]
    return found[0] if found else None


# Open sites (id, region id) and active categories (id) by code, cached per process (emptied when a
# site or category is saved; see ApiConfig.ready): no query for them on each submission.
SITES: KeyCache[tuple[int, int]] = KeyCache(_site)
CATEGORIES: KeyCache[int] = KeyCache(_category)


def _place(body: SubmitIn) -> tuple[int | None, int | None, int]:
    """The ids of the site and deputy an opinion is addressed to, and of its region."""
    station_id = deputy_id = region_id = None
    if body.station:
        site = SITES.get(body.station)
        if site is None:
            raise CaseError("invalid", _("There is no open liaison site with this code."))
        station_id, region_id = site
    if body.deputy:
        deputy = Deputy.objects.public().filter(public_code=body.deputy).order_by().values_list(
            "id", "home_region_id")[:1]
        if not deputy:
            raise CaseError("invalid", _("There is no deputy with this code."))
        deputy_id, home_region_id = deputy[0]
        if station_id is None:
            sites = list(
                Station.objects.active().filter(
                    pk__in=Assignment.objects.current().filter(deputy_id=deputy_id).values("station_id")
                ).order_by("id").values_list("id", "region_id")[:2]
            )
            if len(sites) == 1:
                station_id = sites[0][0]
            region_id = sites[0][1] if sites else home_region_id
    if region_id is None:
        raise CaseError("invalid", _("Choose a liaison site or a deputy."))
    return station_id, deputy_id, region_id


@router.post(
    "/opinions",
    response={201: SubmitOut, 200: SubmitOut, 422: InvalidError, 429: ApiError},
    summary="Submit an opinion",
)
def submit(
    request: HttpRequest, body: SubmitIn,
    idempotency_key: str = Header(..., alias="Idempotency-Key", min_length=IDEMPOTENCY_KEY_MIN,
                                  max_length=IDEMPOTENCY_KEY_MAX,
                                  description="A random string per submission (e.g. a UUID); a retry sends the "
                                              "same one and gets the first submission back (200)."),
) -> Any:
    """Submit an opinion to a liaison site or a deputy. Answers 201 with the tracking code; a retry
    with the same `Idempotency-Key` (and phone) answers 200 with the same tracking code.

    The submission is stored before the answer; the case is registered from it by the task queue
    within moments (following it before then shows it as received)."""
    return Status(*_submit(request, body, idempotency_key))


def _submit(request: HttpRequest, body: SubmitIn, idempotency_key: str) -> tuple[int, dict[str, Any]]:
    """The submission itself, for ``submit_view`` and the documented operation: (status, answer)."""
    phone = body.phone.replace(" ", "")
    try:
        validate_phone(phone)
    except DjangoValidationError as error:
        raise CaseError("invalid", error.messages[0]) from None
    key = _stored_key(idempotency_key, phone)
    if not body.consent:
        raise CaseError("invalid", _("Please agree to the privacy notice to submit an opinion."))
    # Both limits are counted with the INSERT (in its own statement on PostgreSQL), a retry too — but a
    # retry over the limit still gets its answer. The retry key is checked by the INSERT itself.
    limits = (("api-opinion-submit-ip", ratelimit.client_ip(request), _rate("OPINION_API_SUBMIT_RATE_IP")),
              ("api-opinion-submit-phone", phone, _rate("OPINION_API_SUBMIT_RATE_PHONE")))
    try:
        category_id = CATEGORIES.get(body.category)
        if category_id is None:
            raise CaseError("invalid", _("There is no such category."))
        station_id, deputy_id, region_id = _place(body)
    except CaseError:
        # Refused for its content: counted all the same, and over the limit answered as such.
        if not services.count_limits(limits):
            existing = OpinionIntake.objects.filter(idempotency_key=key).first()
            if existing is None:
                raise _too_many() from None
            return 200, _answer(existing)
        raise
    try:
        intake, created = services.receive_submission(
            idempotency_key=key, category_id=category_id, region_id=region_id, station_id=station_id,
            deputy_id=deputy_id, title=body.title, text=body.text, channel="api", citizen_name=body.name,
            citizen_phone=phone, latitude=body.latitude, longitude=body.longitude,
            language=getattr(request, "LANGUAGE_CODE", "zh-hans"), limits=limits,
        )
    except services.OverLimit:
        raise _too_many() from None
    return (201 if created else 200), _answer(intake)


_KEY_HEADER: TypeAdapter[str] = TypeAdapter(
    Annotated[str, PydanticField(min_length=IDEMPOTENCY_KEY_MIN, max_length=IDEMPOTENCY_KEY_MAX)])


def _json(body: dict[str, Any], status: int) -> HttpResponse:
    return JsonResponse(body, status=status, content_type="application/json; charset=utf-8")


@csrf_exempt
def submit_view(request: HttpRequest) -> HttpResponse:
    """``POST /api/v1/public/opinions`` without the framework: the busiest public write, served by a
    plain view routed first in ``lianxin/urls.py``, before the API's own routes.

    django-ninja's request parsing, parameter resolution and response validation cost more CPU than
    the rest of a submission together; here the same pydantic schema (``SubmitIn``) validates the JSON
    body in one call and the answers — the tracking code, and every error with its ``code``, message
    and 422 ``errors`` list — are the documented operation's (``submit``, which OpenAPI shows)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    errors: list[dict[str, Any]] = []
    idempotency_key = request.headers.get("Idempotency-Key")
    if idempotency_key is None:
        errors.append({"type": "missing", "loc": ["header", "Idempotency-Key"], "msg": "Field required"})
    else:
        try:
            _KEY_HEADER.validate_python(idempotency_key)
        except PydanticValidationError as error:
            errors += [{**e, "loc": ["header", "Idempotency-Key"]} for e in error.errors(include_url=False)]
    try:
        body = SubmitIn.model_validate_json(request.body)
    except PydanticValidationError as error:
        errors += [{**e, "loc": ["body", "body", *e["loc"]]} for e in error.errors(include_url=False)]
    if errors or idempotency_key is None:  # (a missing key is one of the errors)
        return _json(invalid_body(errors), 422)
    try:
        status, answer = _submit(request, body, idempotency_key)
    except CaseError as error:
        return _json(opinions_api.error_body(error), opinions_api.error_status(error))
    return _json(answer, status)


# ---- follow and rate -------------------------------------------------------------------------------


class LookupIn(Schema):
    code: str = Field(..., min_length=4, max_length=12, description="The tracking code.")
    phone_last4: str = Field(..., pattern=r"^\d{4}$", description="The last four digits of the phone given.")


class RateIn(LookupIn):
    satisfaction: SatisfactionChoice
    resolved: bool = Field(..., description="Was the matter resolved?")
    comment: str = Field("", max_length=500)


class TimelineOut(Schema):
    at: datetime.datetime
    action: str
    label: str
    status: str
    status_label: str
    note: str


class TrackOut(Schema):
    tracking_code: str
    status: str
    status_label: str
    outcome: str
    outcome_label: str
    category: str
    site: str | None
    unit: str | None
    merged_into: str | None
    created_at: datetime.datetime
    due_at: datetime.datetime | None
    reply: str
    replied_at: datetime.datetime | None
    satisfaction: str
    can_rate: bool
    timeline: list[TimelineOut]


def _lookup(request: HttpRequest, body: LookupIn) -> Opinion:
    """The case with this code whose phone ends with these digits; one answer for every mismatch."""
    code = body.code.strip().upper()
    if not ratelimit.hit("api-opinion-lookup-ip", ratelimit.client_ip(request), _rate("OPINION_API_LOOKUP_RATE_IP")) or (
        ratelimit.exceeded("api-opinion-lookup-code", code, _rate("OPINION_API_LOOKUP_FAILURES_PER_CODE"))
    ):
        raise _too_many()
    opinion = (
        Opinion.objects.select_related("category", "station", "unit", "merged_into")
        .filter(tracking_code=code).first()
    )
    phone = opinion.citizen_phone if opinion is not None else ""
    if opinion is None or len(phone) < 4 or not hmac.compare_digest(phone[-4:], body.phone_last4):
        ratelimit.hit("api-opinion-lookup-code", code, _rate("OPINION_API_LOOKUP_FAILURES_PER_CODE"))
        raise CaseError("not_found", _("No opinion matches this tracking code and phone number."))
    return opinion


def _track(opinion: Opinion) -> dict[str, Any]:
    events = OpinionEvent.objects.filter(opinion=opinion, action__in=PUBLIC_EVENTS).order_by("created_at", "id")
    return {
        "tracking_code": opinion.tracking_code,
        "status": opinion.status,
        "status_label": str(opinion.get_status_display()),
        "outcome": opinion.outcome,
        "outcome_label": str(opinion.get_outcome_display()) if opinion.outcome else "",
        "category": str(opinion.category),
        "site": opinion.station.name if opinion.station else None,
        "unit": opinion.unit.name if opinion.unit else None,
        "merged_into": opinion.merged_into.tracking_code if opinion.merged_into else None,
        "created_at": opinion.created_at,
        "due_at": opinion.due_at,
        "reply": opinion.reply,
        "replied_at": opinion.replied_at,
        "satisfaction": opinion.satisfaction,
        "can_rate": opinion.status == "replied",
        "timeline": [
            {
                "at": e.created_at, "action": e.action, "label": str(PUBLIC_EVENTS[e.action]),
                "status": e.to_status, "status_label": str(e.get_to_status_display()), "note": e.public_note,
            }
            for e in events
        ],
    }


@router.post("/opinions/track", response={200: TrackOut, 404: ApiError, 422: InvalidError, 429: ApiError},
             summary="Follow an opinion")
def track(request: HttpRequest, body: LookupIn) -> Any:
    """The state of an opinion, its handling unit, deadline, reply and public timeline (no staff names)."""
    try:
        return _track(_lookup(request, body))
    except CaseError as error:
        received = _received(body) if error.code == "not_found" else None
        if received is None:
            raise
        return received


def _received(body: LookupIn) -> dict[str, Any] | None:
    """A submission stored but not yet registered as a case (moments after the answer): shown as received."""
    intake = (OpinionIntake.objects.select_related("category", "station")
              .filter(tracking_code=body.code.strip().upper(), registered_at__isnull=True).first())
    phone = intake.citizen_phone if intake is not None else ""
    if intake is None or len(phone) < 4 or not hmac.compare_digest(phone[-4:], body.phone_last4):
        return None
    submitted = str(Status_(Status_.SUBMITTED).label)
    return {
        "tracking_code": intake.tracking_code, "status": Status_.SUBMITTED, "status_label": submitted,
        "outcome": "", "outcome_label": "", "category": str(intake.category),
        "site": intake.station.name if intake.station else None, "unit": None, "merged_into": None,
        "created_at": intake.created_at, "due_at": intake.due_at, "reply": "", "replied_at": None,
        "satisfaction": "", "can_rate": False,
        "timeline": [{"at": intake.created_at, "action": "submit", "label": str(PUBLIC_EVENTS["submit"]),
                      "status": Status_.SUBMITTED, "status_label": submitted, "note": ""}],
    }


@router.post(
    "/opinions/rate",
    response={200: TrackOut, 404: ApiError, 409: ApiError, 422: InvalidError, 429: ApiError},
    summary="Rate the outcome",
)
def rate(request: HttpRequest, body: RateIn) -> Any:
    """Rate a replied opinion. Satisfied closes it; unsatisfied may reopen it with the handling unit
    (a limited number of times), otherwise closes it as not resolved. 409 if it is not awaiting a rating."""
    opinion = _lookup(request, body)
    rated = services.rate(opinion, satisfaction=body.satisfaction, resolved=body.resolved, comment=body.comment)
    rated = Opinion.objects.select_related("category", "station", "unit", "merged_into").get(pk=rated.pk)
    return _track(rated)

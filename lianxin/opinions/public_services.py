"""The citizen side of the case engine: where an opinion goes, submitting it, following and rating it.

Citizens have no account. What proves a case is theirs: the tracking code plus the last four
digits of the phone they gave (compared in constant time, the same answer for a wrong code as for
wrong digits), remembered in the session once verified. The public timeline shows only what the
citizen is told: events they are notified about and public notes — never internal notes, never
staff names (the role and the organisation instead).
"""

from __future__ import annotations

import functools
import hmac
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from lianxin.accounts.models import ADMIN_ROLES, Role
from lianxin.core import crypto, ratelimit
from lianxin.core.ratelimit import Rate
from lianxin.deputies.models import Deputy, Seat
from lianxin.public import services as public_services
from lianxin.regions.models import Region, subtree_q
from lianxin.stations.models import Station

from . import attachments, search, services
from .models import Channel, Opinion, OpinionEvent, Status
from .notify import CITIZEN_EVENTS
from .public_forms import OpinionForm
from .transitions import TRANSITIONS

SESSION_TRACKED = "lx_tracked"
SESSION_SUBMITTED = "lx_submitted"
MAX_TRACKED = 20
SIMILAR_LIMIT = 5
METOO_SALT = "lianxin.opinions.metoo"
METOO_MAX_AGE = 24 * 3600


# ---- where the opinion goes -----------------------------------------------------------------


@dataclass
class Target:
    """The site and/or deputy an opinion is addressed to, as given by the link the citizen followed."""

    channel: str
    station: Station | None = None
    deputy: Deputy | None = None  # preselected by a deputy's link or QR code
    sites: list[Station] = field(default_factory=list)  # sites to file at (one, or the deputy's)
    members: list[Any] = field(default_factory=list)  # the site's deputies (public.services.SiteMember)
    seats: list[Seat] = field(default_factory=list)  # the preselected deputy's seats
    region: Region | None = None  # the deputy's constituency when they receive at no site
    region_name: str = ""

    @property
    def choosable_deputies(self) -> list[Deputy]:
        return [] if self.deputy is not None else [m.deputy for m in self.members]

    @property
    def area_path(self) -> str:
        if self.station is not None:
            return self.station.region_path
        if self.sites:
            return self.sites[0].region_path
        return self.region.path if self.region is not None else ""

    def query(self) -> dict[str, str]:
        """The query string that leads back to this target (kept across the form's round trips)."""
        params = {"site": self.station.code} if self.station is not None else {}
        if self.deputy is not None:
            params = {"deputy": self.deputy.public_code}
        via = {Channel.SITE_QR: "qr", Channel.DEPUTY_QR: "qr", Channel.PORTAL: "portal"}.get(Channel(self.channel))
        if via:
            params["via"] = via
        return params


def _channel(params: Mapping[str, str], qr: str) -> str:
    via = params.get("via", "")
    if via == "qr":
        return qr
    if via == "portal":
        return Channel.PORTAL
    return Channel.SITE_PAGE


def resolve_target(params: Mapping[str, str]) -> Target | None:
    """The target named by ``?site=`` or ``?deputy=`` (404 if unknown or inactive); None without either."""
    deputy_code = (params.get("deputy") or "").strip()
    site_code = (params.get("site") or "").strip()
    if deputy_code:
        page = public_services.deputy_profile(deputy_code)
        sites = [site for site, _leader in page.sites]
        region = page.seats[0].constituency if page.seats else None
        if not sites and region is None:
            raise Http404("This deputy receives no opinions online.")
        return Target(
            channel=_channel(params, Channel.DEPUTY_QR), deputy=page.deputy, sites=sites,
            station=sites[0] if len(sites) == 1 else None, seats=page.seats, region=region,
        )
    if site_code:
        site_page = public_services.site_with_deputies(site_code)
        return Target(
            channel=_channel(params, Channel.SITE_QR), station=site_page.site, sites=[site_page.site],
            members=site_page.members, region_name=site_page.region_name,
        )
    return None


def districts() -> list[Region]:
    return public_services.directory_districts()


def district_sites(code: str) -> tuple[Region, list[Station]] | None:
    district = next((d for d in districts() if d.code == code), None)
    if district is None:
        return None
    sites = public_services.search_sites(district=district).order_by(*public_services.DIRECTORY_ORDERING)
    return district, list(sites[:500])


# ---- intake -----------------------------------------------------------------------------------


def already_submitted(key: str) -> Opinion | None:
    """The opinion a form with this idempotency key already created (a double click, a retry)."""
    if not key or len(key) > 64:
        return None
    return Opinion.objects.filter(idempotency_key=key).only("id", "tracking_code").first()


def limit_message(request: HttpRequest, phone: str) -> Promise | None:
    """Count this submission against the per-address and per-phone limits; a message when over."""
    ip_rate = Rate.setting("OPINION_RATE_IP", (5, 600))
    phone_rate = Rate.setting("OPINION_RATE_PHONE", (3, 3600))
    if not ratelimit.hit("opinion-ip", ratelimit.client_ip(request), ip_rate):
        return _("Too many opinions were sent from this network just now. Please wait a few minutes and try "
                 "again, or call the liaison site.")
    if phone and not ratelimit.hit("opinion-phone", crypto.lookup_hash(phone), phone_rate):
        return _("Too many opinions were sent with this phone number recently. Please try again in an hour, "
                 "or call the liaison site.")
    return None


def submit(form: OpinionForm, target: Target, language: str) -> Opinion:
    """Store the opinion and its photos in one transaction; a repeated form key returns the first one."""
    data = form.cleaned_data
    station = form.chosen_site() or target.station
    deputy = target.deputy or form.chosen_deputy()
    latitude, longitude = form.coordinates()
    with transaction.atomic():
        opinion, created = services.submit_opinion(
            category=data["category"], title=data["title"], text=data["text"], channel=target.channel,
            station=station, region=None if station is not None else target.region, deputy=deputy,
            citizen_name=data.get("name", ""), citizen_phone=data.get("phone", ""), latitude=latitude,
            longitude=longitude, consent=bool(data["consent"]), language=language, idempotency_key=data["key"],
        )
        if created:
            attachments.store_photos(opinion, data.get("photos") or [])
    return opinion


# ---- similar opinions and "me too" ----------------------------------------------------------------

_WORDS = re.compile(r"[\s\W_]+", re.UNICODE)


def title_keywords(title: str, limit: int = 8) -> list[str]:
    """Search words of a title: Latin words as they are, Chinese runs cut into two-character words."""
    words: list[str] = []
    for chunk in _WORDS.split(title.lower()):
        if len(chunk) < 2:
            continue
        if chunk.isascii() or len(chunk) == 2:
            words.append(chunk)
        else:
            words.extend(chunk[i : i + 2] for i in range(len(chunk) - 1))
    return list(dict.fromkeys(words))[:limit]


def similar_opinions(title: str, area_path: str, limit: int = SIMILAR_LIMIT) -> list[Opinion]:
    """Up to ``limit`` open opinions of the same area sharing the most words with ``title``.

    One indexed query per word (``search.filter_keyword``, at most eight); an opinion must share
    at least two words (or the only one) to count as similar.
    """
    words = title_keywords(title)
    if not words or not area_path:
        return []
    base = Opinion.objects.open().filter(subtree_q("region_path", area_path), merged_into__isnull=True)
    hits: Counter[int] = Counter()
    for word in words:
        hits.update(search.filter_keyword(base, word).order_by().values_list("pk", flat=True)[:50])
    needed = min(2, len(words))
    ranked = [pk for pk, n in hits.most_common() if n >= needed][: limit * 2]
    rows = (
        Opinion.objects.filter(pk__in=ranked).select_related("category")
        .only("id", "title", "status", "supporters", "created_at", "category__name", "category__name_en")
    )
    rows_by_pk = {row.pk: row for row in rows}
    found = sorted(rows_by_pk.values(), key=lambda o: (-hits[o.pk], -o.supporters, -o.created_at.timestamp()))
    for opinion in found:
        opinion.metoo_token = signing.dumps(opinion.pk, salt=METOO_SALT)  # type: ignore[attr-defined]
    return found[:limit]


def opinion_from_token(token: str) -> Opinion | None:
    """The opinion of a "me too" button (a signed id: tracking codes of others are never shown)."""
    try:
        pk = signing.loads(token, salt=METOO_SALT, max_age=METOO_MAX_AGE)
    except signing.BadSignature:
        return None
    return Opinion.objects.filter(pk=pk).first()


def metoo_allowed(request: HttpRequest) -> bool:
    return ratelimit.hit("metoo-ip", ratelimit.client_ip(request), Rate.setting("OPINION_RATE_METOO", (10, 600)))


# ---- following a case --------------------------------------------------------------------------


@functools.cache
def _dummy_token() -> str:
    return crypto.encrypt("00000000000")


def verify(code: str, digits: str) -> Opinion | None:
    """The case with this code whose phone ends in ``digits`` (no phone on file: ``digits`` empty).

    An unknown code costs the same decryption and comparison as a known one, so neither the answer
    nor its timing tells a wrong code from wrong digits.
    """
    opinion = Opinion.objects.filter(tracking_code=code).only("id", "tracking_code", "citizen_phone").first() \
        if code else None
    phone = opinion.citizen_phone if opinion is not None else crypto.decrypt(_dummy_token())
    expected = phone[-4:] if phone else ""
    matches = hmac.compare_digest(expected.encode(), digits.encode())
    return opinion if opinion is not None and matches else None


def track_blocked(request: HttpRequest, code: str) -> bool:
    """Count a tracking attempt by address; refuse while the address or the code is over its limit."""
    if not ratelimit.hit("track-ip", ratelimit.client_ip(request), Rate.setting("OPINION_RATE_TRACK_IP", (10, 600))):
        return True
    return ratelimit.exceeded("track-code", code, _track_code_rate())


def track_failed(code: str) -> None:
    """A wrong code or wrong digits: counted per code, so four digits cannot be tried from many addresses."""
    ratelimit.hit("track-code", code, _track_code_rate())


def _track_code_rate() -> Rate:
    return Rate.setting("OPINION_RATE_TRACK_CODE", (5, 3600))


def remember(request: HttpRequest, code: str) -> None:
    tracked = [c for c in request.session.get(SESSION_TRACKED, []) if c != code]
    request.session[SESSION_TRACKED] = [code, *tracked][:MAX_TRACKED]


def is_verified(request: HttpRequest, code: str) -> bool:
    return code in request.session.get(SESSION_TRACKED, [])


@dataclass
class PublicEvent:
    when: Any
    label: str | Promise
    by: str | Promise
    note: str
    status: str | Promise


@dataclass
class CasePage:
    opinion: Opinion
    events: list[PublicEvent]
    attachment_count: int

    @property
    def can_rate(self) -> bool:
        return self.opinion.status == Status.REPLIED


EVENT_LABELS: dict[str, Promise] = {
    "submit": _("Opinion submitted"),
    "accept": _("Accepted for handling"),
    "reject": _("Not accepted"),
    "merge": _("Merged with another case"),
    "answer": _("Answered on the spot"),
    "transfer": _("Sent to the handling unit"),
    "reply": _("Reply from the handling unit"),
    "rate": _("You rated the outcome"),
    "close_lapsed": _("Closed after the rating period"),
}


def case_page(code: str) -> CasePage:
    """A case as its citizen sees it: three queries whatever the length of its history."""
    try:
        opinion = (
            Opinion.objects.select_related("category", "station", "unit")
            .defer("citizen_name", "citizen_phone", "text")  # never shown here: no decryption either
            .annotate(attachment_count=Count("attachments"))
            .get(tracking_code=code)
        )
    except Opinion.DoesNotExist:
        raise Http404("No such case") from None
    events = (
        OpinionEvent.objects.filter(opinion=opinion)
        .filter(Q(action__in=CITIZEN_EVENTS) | ~Q(public_note=""))
        .select_related("unit", "actor__region")
        .only("id", "created_at", "action", "to_status", "public_note", "actor_kind", "unit__name",
              "actor__role", "actor__is_superuser", "actor__region__name")
        .order_by("created_at", "id")
    )
    statuses: dict[str, Any] = dict(Status.choices)
    public = [
        PublicEvent(
            when=e.created_at,
            label=EVENT_LABELS.get(e.action) or (TRANSITIONS[e.action].label if e.action in TRANSITIONS else e.action),
            by=event_source(e, opinion),
            note=e.public_note,
            status=statuses.get(e.to_status, ""),
        )
        for e in events
    ]
    return CasePage(opinion, public, opinion.attachment_count)  # type: ignore[attr-defined]


def event_source(event: OpinionEvent, opinion: Opinion) -> str | Promise:
    """Who acted, as the citizen is told: a role and an organisation, never a staff member's name."""
    if event.actor_kind == "citizen":
        return _("You")
    if event.actor_kind == "system":
        return _("The platform")
    actor = event.actor
    role = actor.role if actor is not None else ""
    site = opinion.station.name if opinion.station is not None else ""
    if role == Role.UNIT_STAFF:
        return event.unit.name if event.unit is not None else _("The handling unit")
    if role == Role.SITE_MANAGER:
        return site or _("The liaison site")
    if role == Role.DEPUTY:
        return _("A deputy at %(site)s") % {"site": site} if site else _("A deputy")
    if actor is not None and (role in ADMIN_ROLES or actor.is_superuser):
        if actor.region is not None:
            return _("People's congress staff, %(area)s") % {"area": actor.region.name}
        return _("People's congress staff")
    return _("Staff")


def rate(code: str, *, satisfaction: str, resolved: bool, comment: str) -> Opinion:
    limit = int(getattr(settings, "OPINION_REOPEN_LIMIT", services.DEFAULT_REOPEN_LIMIT))
    opinion = Opinion.objects.only("id").get(tracking_code=code)
    return services.rate(opinion.pk, satisfaction=satisfaction, resolved=resolved, comment=comment,
                         reopen_limit=limit)

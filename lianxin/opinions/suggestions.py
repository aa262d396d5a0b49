"""Formal deputy suggestions (代表建议): made from general opinions, answered within three months.

A suggestion keeps its link to the opinions behind it (``Opinion.suggestion``); each linked
opinion gets a ``to_suggestion`` event. That event is not a state change (it is a row of
``transitions.EVENTS``, next to the transition table: who may record it and from which states):
from and to status are both the case's current status, and it is written here, with the link and
the audit entry, in one transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lianxin.accounts.audit import log_action
from lianxin.accounts.models import ADMIN_ROLES, Role, User
from lianxin.core import clock
from lianxin.deputies.models import Deputy
from lianxin.regions.models import Region, subtree_q
from lianxin.units.models import HandlingUnit

from .errors import CaseError
from .models import Opinion, OpinionEvent, Suggestion
from .transitions import EVENTS, allowed

# 代表建议 are answered within three months of filing.
ANSWER_MONTHS = 3
EVENT_ACTION = "to_suggestion"
EVENT = EVENTS[EVENT_ACTION]


def suggestions_visible_to(user: User) -> QuerySet[Suggestion]:
    return Suggestion.objects.visible_to(user)


def can_file(user: User) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role in ADMIN_ROLES
                                           or (user.role == Role.DEPUTY and user.deputy_id)))


def can_answer(user: User, suggestion: Suggestion) -> bool:
    if suggestion.state != Suggestion.State.FILED:
        return False
    if user.is_superuser or user.role in ADMIN_ROLES:
        return True
    return bool(user.role == Role.UNIT_STAFF and suggestion.unit_id and suggestion.unit_id == user.unit_id)


def can_close(user: User, suggestion: Suggestion) -> bool:
    return suggestion.state == Suggestion.State.ANSWERED and (user.is_superuser or user.role in ADMIN_ROLES)


def convertible_opinions(user: User) -> QuerySet[Opinion]:
    """General opinions the user may turn into a suggestion: visible, open or replied, not yet linked."""
    return Opinion.objects.visible_to(user).filter(
        status__in=EVENT.sources, suggestion__isnull=True, merged_into__isnull=True
    )


def deputies_for(user: User) -> QuerySet[Deputy]:
    """Who may file: a deputy files as itself; admins pick an active deputy of their area."""
    if user.role == Role.DEPUTY and user.deputy_id:
        return Deputy.objects.filter(pk=user.deputy_id)
    if can_file(user):
        return Deputy.objects.visible_to(user).filter(active=True)
    return Deputy.objects.none()


def units_for(user: User) -> QuerySet[HandlingUnit]:
    """Handling units a suggestion may go to: admins' own area; for deputies, units above or within their constituencies."""
    if user.role == Role.DEPUTY and user.deputy_id:
        paths = list(Region.objects.filter(pk__in=user.deputy.seats.values("constituency_id"))  # type: ignore[union-attr]
                     .values_list("path", flat=True))
        condition = Q(pk__in=[])
        for path in paths:
            condition |= Q(region__path__in=_ancestor_paths(path)) | subtree_q("region__path", path)
        return HandlingUnit.objects.active().filter(condition)
    return HandlingUnit.objects.visible_to(user).active()


def due_date(today: datetime.date) -> datetime.date:
    """The same day three months later (the 31st becomes the month's last day)."""
    return today + relativedelta(months=ANSWER_MONTHS)


def _ancestor_paths(path: str) -> list[str]:
    codes = [code for code in path.strip("/").split("/") if code]
    return ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]


def common_region(paths: Iterable[str]) -> Region:
    """The deepest region containing all the given region paths."""
    split = [[code for code in path.strip("/").split("/") if code] for path in paths]
    common: list[str] = []
    for codes in zip(*split, strict=False):
        if len(set(codes)) != 1:
            break
        common.append(codes[0])
    return Region.objects.get(path="/" + "".join(f"{code}/" for code in common))


def file_suggestion(
    user: User,
    *,
    opinions: Iterable[Opinion | int],
    title: str,
    text: str,
    deputy: Deputy,
    unit: HandlingUnit | None = None,
    request: HttpRequest | None = None,
    now: datetime.datetime | None = None,
) -> Suggestion:
    """Turn general opinions into one deputy suggestion, linking them and writing an event on each."""
    now = now or clock.now()
    title, text = title.strip(), text.strip()
    pks = sorted({op.pk if isinstance(op, Opinion) else int(op) for op in opinions})
    kind = Role.CITY_ADMIN if user.is_superuser else user.role
    if not can_file(user) or kind not in EVENT.actors:
        raise CaseError("not_allowed", _("Your role may not file deputy suggestions."))
    if not pks:
        raise CaseError("invalid", _("Choose at least one opinion."))
    if not title or not text:
        raise CaseError("invalid", _("Give the suggestion a title and a text."))
    if not deputies_for(user).filter(pk=deputy.pk).exists():
        raise CaseError("invalid", _("Choose a deputy of your area."))
    if unit is not None and not units_for(user).filter(pk=unit.pk).exists():
        raise CaseError("invalid", _("Choose a handling unit of your area."))
    with transaction.atomic():
        # Lock the cases (ordered by pk, so two conversions cannot deadlock) and re-check them.
        locked = list(Opinion.objects.select_for_update().filter(pk__in=pks).order_by("pk"))
        in_scope = set(convertible_opinions(user).filter(pk__in=pks).values_list("pk", flat=True))
        if (len(locked) != len(pks) or in_scope != set(pks)
                or not all(allowed(EVENT_ACTION, op.status, kind) for op in locked)):
            raise CaseError("invalid", _("Only open or replied opinions of your area that are not yet part of a "
                                         "suggestion can be converted."))
        region = common_region(op.region_path for op in locked)
        suggestion = Suggestion.objects.create(
            title=title, text=text, deputy=deputy, unit=unit, region=region, created_by=user, created_at=now,
            due_on=due_date(timezone.localdate(now)),
        )
        # Linking is not a state change: status and version stay as they are.
        Opinion.objects.filter(pk__in=pks).update(suggestion=suggestion, updated_at=now)
        OpinionEvent.objects.bulk_create([
            OpinionEvent(
                opinion=op, created_at=now, actor=user, actor_kind="staff", action=EVENT_ACTION,
                from_status=op.status, to_status=op.status, unit_id=op.unit_id,
                public_note=_citizen_note(op),
                internal_note=title, data={"suggestion": suggestion.pk},
            )
            for op in locked
        ])
        log_action(user, "suggestion.create", suggestion, {
            "opinions": [op.tracking_code for op in locked], "deputy": deputy.pk,
            "unit": unit.pk if unit else None, "due_on": suggestion.due_on.isoformat(),
        }, request)
    return suggestion


def _citizen_note(opinion: Opinion) -> str:
    # Stored text: written in the citizen's language, not the staff member's.
    with translation.override(opinion.language or "zh-hans"):
        return _("Your opinion was taken up in a deputy suggestion.")


def _locked(user: User, suggestion: Suggestion) -> Suggestion:
    found = suggestions_visible_to(user).select_for_update().filter(pk=suggestion.pk).first()
    if found is None:
        raise CaseError("not_found", _("No such suggestion in your area."))
    return found


def record_answer(user: User, suggestion: Suggestion, *, answer: str,
                  request: HttpRequest | None = None) -> Suggestion:
    answer = answer.strip()
    if not answer:
        raise CaseError("invalid", _("Write the answer to the suggestion."))
    with transaction.atomic():
        locked = _locked(user, suggestion)
        if locked.state != Suggestion.State.FILED:
            raise CaseError("wrong_state", _("This suggestion has already been answered."))
        if not can_answer(user, locked):
            raise CaseError("not_allowed", _("Your role may not answer this suggestion."))
        locked.answer = answer
        locked.state = Suggestion.State.ANSWERED
        locked.save()
        log_action(user, "suggestion.answer", locked, {"answer": answer[:500]}, request)
    return locked


def close(user: User, suggestion: Suggestion, request: HttpRequest | None = None) -> Suggestion:
    with transaction.atomic():
        locked = _locked(user, suggestion)
        if locked.state != Suggestion.State.ANSWERED:
            raise CaseError("wrong_state", _("Only an answered suggestion can be closed."))
        if not can_close(user, locked):
            raise CaseError("not_allowed", _("Your role may not close this suggestion."))
        locked.state = Suggestion.State.CLOSED
        locked.save()
        log_action(user, "suggestion.close", locked, {}, request)
    return locked


def overdue_q(today: datetime.date) -> Q:
    return Q(state=Suggestion.State.FILED, due_on__lt=today)


def filter_list(queryset: QuerySet[Suggestion], data: dict[str, Any], today: datetime.date) -> QuerySet[Suggestion]:
    if data.get("state"):
        queryset = queryset.filter(state=data["state"])
    if data.get("deputy"):
        queryset = queryset.filter(deputy=data["deputy"])
    if data.get("overdue"):
        queryset = queryset.filter(overdue_q(today))
    return queryset

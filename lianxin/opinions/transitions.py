"""Who may move a case from which state to which: the one declarative table of the case engine.

Each row is carried out by the function of the same name in ``services``; the table is what the
pages offer, what the API documents and what the exhaustive tests walk through.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from lianxin.accounts.models import Role

from .models import OPEN_STATUSES, Status

CITIZEN = "citizen"
SYSTEM = "system"

# Who records and routes cases at a site (deputies record, answer on the spot or forward; they do
# not handle cases themselves).
SITE_SIDE = frozenset({Role.SITE_MANAGER, Role.DEPUTY, Role.DISTRICT_ADMIN, Role.CITY_ADMIN})
ADMINS = frozenset({Role.DISTRICT_ADMIN, Role.CITY_ADMIN})
UNIT = frozenset({Role.UNIT_STAFF})


@dataclass(frozen=True)
class Transition:
    name: str
    label: str | Promise
    sources: frozenset[str]
    # The state after the transition; None when it stays (acknowledge, escalate …) or is decided
    # by the input (rate: closed, or reopened when unsatisfied).
    target: str | None
    actors: frozenset[str]


def _t(name: str, label: Promise, sources: set[str], target: str | None, actors: frozenset[str]) -> Transition:
    return Transition(name, label, frozenset(sources), target, actors)


S = Status
TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        _t("accept", _("Accept"), {S.SUBMITTED}, S.ACCEPTED, SITE_SIDE),
        _t("reject", _("Do not accept"), {S.SUBMITTED, S.ACCEPTED}, S.REJECTED, SITE_SIDE),
        _t("merge", _("Merge into another case"), {S.SUBMITTED, S.ACCEPTED}, S.MERGED, SITE_SIDE),
        _t("answer", _("Answer on the spot"), {S.ACCEPTED}, S.REPLIED, SITE_SIDE),
        _t("transfer", _("Transfer to a handling unit"), {S.ACCEPTED}, S.TRANSFERRED, SITE_SIDE),
        _t("acknowledge", _("Acknowledge receipt"), {S.TRANSFERRED}, None, UNIT),
        _t("reply", _("Reply"), {S.TRANSFERRED}, S.REPLIED, UNIT),
        _t("return_case", _("Return as wrongly routed"), {S.TRANSFERRED}, S.ACCEPTED, UNIT),
        _t("request_extension", _("Ask for an extension"), {S.TRANSFERRED}, None, UNIT),
        _t("decide_extension", _("Decide on an extension"), {S.TRANSFERRED}, None, ADMINS),
        _t("escalate", _("Escalate (督办)"), {S.SUBMITTED, S.ACCEPTED, S.TRANSFERRED}, None,
           ADMINS | {SYSTEM}),
        _t("rate", _("Rate the outcome"), {S.REPLIED}, None, frozenset({CITIZEN})),
        _t("close_lapsed", _("Close after the rating window"), {S.REPLIED}, S.CLOSED, frozenset({SYSTEM})),
    ]
}


# Steps recorded on a case that do not move it, carried out outside ``services`` (``target`` is always
# None): who may record them, and from which states. Part of the same table so the rules stay in one place.
EVENTS: dict[str, Transition] = {
    t.name: t
    for t in [
        # 代表建议: admins, or a deputy filing as itself (``suggestions.file_suggestion``).
        _t("to_suggestion", _("Taken up in a deputy suggestion"), set(OPEN_STATUSES), None,
           ADMINS | {Role.DEPUTY}),
    ]
}


def allowed(name: str, status: str, actor: str) -> bool:
    """Does the table allow ``actor`` (a role, "citizen" or "system") to run ``name`` from ``status``?"""
    transition = TRANSITIONS.get(name) or EVENTS[name]
    return status in transition.sources and actor in transition.actors


def available(status: str, actor: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if status in t.sources and actor in t.actors]

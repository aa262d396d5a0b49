"""Rules for deputies' assignments to sites (混合编组进站) and for viewing their personal data.

Every change is one function: check the actor may do it, lock the site's row, save, write the
audit entry — all in one transaction, so the UI, the API and batch jobs behave the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils.translation import gettext as _

from lianxin.accounts.audit import log_action
from lianxin.accounts.models import ADMIN_ROLES, Role
from lianxin.core import clock
from lianxin.stations.models import Station, StationQuerySet

from .models import LEVEL_ORDER, Assignment, Deputy, DeputyQuerySet, Seat

if TYPE_CHECKING:
    from django.http import HttpRequest

    from lianxin.accounts.models import User

# Roles that may change assignments; each only at the sites its scope shows (Station.visible_to).
ASSIGNING_ROLES = (Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.SITE_MANAGER)


class AssignmentError(Exception):
    """A change that breaks a rule; the message is shown to the user as is."""


# --- who may do what -------------------------------------------------------------------------


def can_assign(user: User) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role in ASSIGNING_ROLES))


def manageable_stations(user: User) -> StationQuerySet:
    """Sites whose groups the user may change: city admin all, district admin its area, manager its own."""
    if not can_assign(user):
        return Station.objects.none()
    return Station.objects.visible_to(user)


def can_view_full_phone(user: User) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role in ADMIN_ROLES))


# --- reading ---------------------------------------------------------------------------------


def with_current_relations(deputies: DeputyQuerySet) -> DeputyQuerySet:
    """Prefetch current seats and current assignments with their sites (lists show both, no N+1)."""
    return deputies.prefetch_related(
        Prefetch("seats", queryset=Seat.objects.current().order_by("level", "-term"), to_attr="current_seats"),
        Prefetch(
            "assignments",
            queryset=Assignment.objects.current().select_related("station").order_by("station__name"),
            to_attr="current_assignments",
        ),
    )


def current_levels(deputy: Deputy) -> list[str]:
    """Distinct levels of a deputy's current seats, highest first (needs ``with_current_relations``)."""
    seats = getattr(deputy, "current_seats", None)
    if seats is None:
        seats = list(deputy.seats.current())
    return sorted({seat.level for seat in seats}, key=LEVEL_ORDER.__getitem__)


def filter_deputies(deputies: DeputyQuerySet, user: User, data: dict[str, Any]) -> DeputyQuerySet:
    """Apply the list's filter bar (cleaned data of ``DeputyFilterForm``) to ``deputies``."""
    if data.get("q"):
        deputies = deputies.filter(Q(name__icontains=data["q"]) | Q(occupation__icontains=data["q"]))
    if data.get("region"):
        deputies = deputies.in_region(data["region"])
    if data.get("level"):
        seat = Seat.objects.current().filter(deputy=OuterRef("pk"), level=data["level"])
        deputies = deputies.filter(Exists(seat))
    if data.get("site"):
        sites = Station.objects.visible_to(user).filter(
            Q(name__icontains=data["site"]) | Q(code__icontains=data["site"])
        )
        at_site = Assignment.objects.current().filter(deputy=OuterRef("pk"), station__in=sites)
        deputies = deputies.filter(Exists(at_site))
    if data.get("gender"):
        deputies = deputies.filter(gender=data["gender"])
    if data.get("active") in ("1", "0"):
        deputies = deputies.filter(active=data["active"] == "1")
    if data.get("without_site"):
        deputies = deputies.exclude(Exists(Assignment.objects.current().filter(deputy=OuterRef("pk"))))
    return deputies


def reveal_phone(actor: User, deputy: Deputy, request: HttpRequest | None = None) -> str:
    """The full phone number, for roles that need it; every full view is written to the audit log."""
    if not can_view_full_phone(actor):
        raise PermissionDenied
    log_action(actor, "pii.view", deputy, {"field": "phone"}, request)
    return deputy.phone


# --- changing assignments --------------------------------------------------------------------


def _lock_station(actor: User, station: Station) -> Station:
    # Locking the site's row serialises every change to its group, so two concurrent "make leader"
    # requests cannot leave two leaders (SQLite gets the same from its IMMEDIATE transactions).
    locked = manageable_stations(actor).select_for_update().filter(pk=station.pk).first()
    if locked is None:
        raise PermissionDenied
    return locked


def _demote_leaders(station: Station, keep: Assignment | None = None) -> list[int]:
    leaders = Assignment.objects.current().filter(station=station, role=Assignment.Role.LEADER)
    if keep is not None:
        leaders = leaders.exclude(pk=keep.pk)
    demoted = list(leaders.values_list("deputy_id", flat=True))
    leaders.update(role=Assignment.Role.MEMBER)
    return demoted


def assign_deputy(
    actor: User,
    deputy: Deputy,
    station: Station,
    role: str = Assignment.Role.MEMBER,
    request: HttpRequest | None = None,
) -> Assignment:
    """Add ``deputy`` to the group of ``station`` (as a member or as its leader)."""
    if not Deputy.objects.visible_to(actor).filter(pk=deputy.pk).exists():
        raise PermissionDenied
    with transaction.atomic():
        station = _lock_station(actor, station)
        if not station.is_active:
            raise AssignmentError(
                _("%(site)s is deactivated; deputies can only join active sites.") % {"site": station.name}
            )
        if not deputy.active:
            raise AssignmentError(_("%(deputy)s is not an active deputy.") % {"deputy": deputy.name})
        duplicate = AssignmentError(
            _("%(deputy)s already belongs to %(site)s.") % {"deputy": deputy.name, "site": station.name}
        )
        if Assignment.objects.current().filter(deputy=deputy, station=station).exists():
            raise duplicate
        demoted = _demote_leaders(station) if role == Assignment.Role.LEADER else []
        try:
            # The partial unique constraint is the last word if another request got in first.
            with transaction.atomic():
                assignment = Assignment.objects.create(
                    deputy=deputy, station=station, role=role, started_on=clock.today()
                )
        except IntegrityError:
            raise duplicate from None
        log_action(
            actor, "assignment.create", assignment,
            {"deputy": deputy.pk, "station": station.pk, "role": role, "demoted_leaders": demoted}, request,
        )
    return assignment


def change_role(actor: User, assignment: Assignment, role: str, request: HttpRequest | None = None) -> Assignment:
    """Make a current group member the leader (demoting the previous one) or a plain member."""
    if role not in Assignment.Role.values:
        raise AssignmentError(_("Unknown role."))
    with transaction.atomic():
        _lock_station(actor, assignment.station)
        current = Assignment.objects.current().select_related("deputy", "station").filter(pk=assignment.pk).first()
        if current is None:
            raise AssignmentError(_("This assignment has already ended."))
        old = current.role
        if old == role:
            return current
        demoted = _demote_leaders(current.station, keep=current) if role == Assignment.Role.LEADER else []
        current.role = role
        current.save(update_fields=["role"])
        log_action(
            actor, "assignment.role", current,
            {"role": {"old": old, "new": role}, "demoted_leaders": demoted}, request,
        )
    return current


def end_assignment(actor: User, assignment: Assignment, request: HttpRequest | None = None) -> Assignment:
    """End a deputy's place in a site's group today; the row stays as history."""
    with transaction.atomic():
        _lock_station(actor, assignment.station)
        current = Assignment.objects.current().select_related("deputy", "station").filter(pk=assignment.pk).first()
        if current is None:
            raise AssignmentError(_("This assignment has already ended."))
        current.ended_on = clock.today()
        current.save(update_fields=["ended_on"])
        log_action(
            actor, "assignment.end", current,
            {"deputy": current.deputy_id, "station": current.station_id, "role": current.role,
             "ended_on": current.ended_on.isoformat()},
            request,
        )
    return current

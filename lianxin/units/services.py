"""Rules and changes for handling units (承办单位): each change in one transaction with its audit entry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Q
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.translation import gettext as _

from lianxin.accounts.audit import changed_fields, log_action
from lianxin.accounts.models import ADMIN_ROLES
from lianxin.accounts.scope import admin_region
from lianxin.regions.models import Region

from .models import HandlingUnit

if TYPE_CHECKING:
    from lianxin.accounts.models import User

# Units answer for a city, a district/county or a township/street.
UNIT_LEVELS = (Region.Level.CITY, Region.Level.COUNTY, Region.Level.TOWNSHIP)

AUDITED_FIELDS = ("code", "name", "kind", "region", "contact_name", "contact_phone", "address", "duties", "active")


def can_manage(user: User, unit: HandlingUnit | None = None, region: Region | None = None) -> bool:
    """City admins anywhere, district admins within their area; nobody else changes units."""
    if user.is_superuser:
        return True
    if user.role not in ADMIN_ROLES:
        return False
    area = admin_region(user)
    if area is None:
        return False
    target = region or (unit.region if unit is not None else None)
    return target is None or target.is_within(area)


def _check(user: User, unit: HandlingUnit | None = None, region: Region | None = None) -> None:
    if not can_manage(user, unit, region):
        raise PermissionDenied(_("You may only manage handling units within your own area."))


def create_unit(actor: User, unit: HandlingUnit, request: HttpRequest | None = None) -> HandlingUnit:
    _check(actor, region=unit.region)
    with transaction.atomic():
        unit.save()
        values = {name: change["new"] for name, change in changed_fields(unit, list(AUDITED_FIELDS), {}).items()}
        log_action(actor, "unit.create", unit, {"new": values}, request)
    return unit


def update_unit(
    actor: User, unit: HandlingUnit, values: dict[str, Any], request: HttpRequest | None = None
) -> HandlingUnit:
    if "active" in values:
        raise PermissionDenied(_("Use deactivate or reactivate to change whether a unit is active."))
    with transaction.atomic():
        locked = HandlingUnit.objects.select_for_update(of=("self",)).select_related("region").get(pk=unit.pk)
        _check(actor, unit=locked)
        old = {name: getattr(locked, name) for name in values}
        changes = [name for name, value in values.items() if old[name] != value]
        if not changes:
            return locked
        for name in changes:
            setattr(locked, name, values[name])
        _check(actor, region=locked.region)  # a district admin cannot move a unit out of its area
        locked.save()
        log_action(actor, "unit.update", locked, {"changes": changed_fields(locked, changes, old)}, request)
    return locked


def set_unit_active(
    actor: User, unit: HandlingUnit, active: bool, reason: str, request: HttpRequest | None = None
) -> HandlingUnit:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason.")})
    with transaction.atomic():
        locked = HandlingUnit.objects.select_for_update(of=("self",)).select_related("region").get(pk=unit.pk)
        _check(actor, unit=locked)
        if locked.active == active:
            raise ValidationError(_("The unit already has this status."))
        locked.active = active
        locked.save()
        action = "unit.reactivate" if active else "unit.deactivate"
        log_action(actor, action, locked, {"active": {"old": not active, "new": active}, "reason": reason}, request)
    return locked


def search_filter(query: str) -> Q:
    return Q(name__icontains=query) | Q(code__icontains=query) | Q(duties__icontains=query)


def staff_count() -> Coalesce:
    from lianxin.accounts.models import User
    from lianxin.regions.services import count_subquery

    return count_subquery(User.objects.filter(unit=OuterRef("pk"), is_active=True), "id")

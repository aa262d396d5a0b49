"""Rules and changes for liaison sites: who may change what, and each change with its audit entry."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.translation import gettext as _

from lianxin.accounts.audit import changed_fields, log_action
from lianxin.accounts.models import ADMIN_ROLES, AuditEntry, Role
from lianxin.accounts.scope import admin_region
from lianxin.regions.models import Region

from .models import Station

if TYPE_CHECKING:
    from lianxin.accounts.models import User

# A site manager keeps its own site's details current; where the site sits in the network and
# how it is rated are decided by the congress admins.
MANAGER_LOCKED_FIELDS = frozenset({"code", "kind", "region", "parent", "tier", "status"})

# Rough bounding box of China (incl. islands): a sanity check against swapped or mistyped coordinates.
CHINA_LATITUDE = (Decimal("3.8"), Decimal("53.6"))
CHINA_LONGITUDE = (Decimal("73.5"), Decimal("135.1"))

STATION_LEVELS = (Region.Level.COUNTY, Region.Level.TOWNSHIP)
POINT_LEVELS = (Region.Level.TOWNSHIP, Region.Level.VILLAGE)

AUDITED_FIELDS = (
    "code", "name", "kind", "region", "parent", "address", "latitude", "longitude", "contact_name",
    "contact_phone", "opening_hours", "reception_days", "facilities", "description", "status", "tier",
)


# --- who may do what ---------------------------------------------------------------------------

def _in_area(user: User, region_path: str) -> bool:
    if user.is_superuser:
        return True
    area = admin_region(user)
    return area is not None and region_path.startswith(area.path)


def is_site_admin(user: User) -> bool:
    """City and district congress admins (and superusers): they create sites and change status."""
    return bool(user.is_superuser or user.role in ADMIN_ROLES)


def can_create(user: User) -> bool:
    return is_site_admin(user)


def edits_sites(user: User) -> bool:
    """Whether this kind of account edits any site at all (others are read-only: 403, not 404)."""
    return bool(user.is_superuser or user.role in (*ADMIN_ROLES, Role.SITE_MANAGER))


def can_edit(user: User, station: Station) -> bool:
    """Admins within their area; a site manager its own sites (with MANAGER_LOCKED_FIELDS fixed)."""
    if user.is_superuser or user.role in ADMIN_ROLES:
        return _in_area(user, station.region_path)
    if user.role == Role.SITE_MANAGER:
        return user.stations.filter(pk=station.pk).exists()
    return False


def can_change_status(user: User, station: Station) -> bool:
    return is_site_admin(user) and _in_area(user, station.region_path)


def locked_fields(user: User) -> frozenset[str]:
    """Fields this user may not change on a site it may edit."""
    if is_site_admin(user):
        return frozenset({"status"})  # status changes go through set_station_status, with a reason
    return MANAGER_LOCKED_FIELDS


# --- validation shared by forms and services ---------------------------------------------------

def validate_coordinates(latitude: Decimal | None, longitude: Decimal | None) -> None:
    errors: dict[str, str] = {}
    if latitude is not None and not -90 <= latitude <= 90:
        errors["latitude"] = _("Latitude must be between -90 and 90.")
    if longitude is not None and not -180 <= longitude <= 180:
        errors["longitude"] = _("Longitude must be between -180 and 180.")
    if errors:
        raise ValidationError(errors)
    if latitude is not None and not CHINA_LATITUDE[0] <= latitude <= CHINA_LATITUDE[1]:
        errors["latitude"] = _(
            "This latitude is outside China (3.8° to 53.6° N). Check that latitude and longitude are not swapped."
        )
    if longitude is not None and not CHINA_LONGITUDE[0] <= longitude <= CHINA_LONGITUDE[1]:
        errors["longitude"] = _(
            "This longitude is outside China (73.5° to 135.1° E). Check that latitude and longitude are not swapped."
        )
    if errors:
        raise ValidationError(errors)


def validate_structure(kind: str, region: Region | None, parent: Station | None) -> None:
    """Stations sit at district or township/street level; a point sits at township or
    village/community level and belongs to a station whose area contains it."""
    if region is None:
        return
    if kind == Station.Kind.STATION:
        if region.level not in STATION_LEVELS:
            raise ValidationError(
                {"region": _("A liaison station must be in a district/county or a township/street.")}
            )
        if parent is not None:
            raise ValidationError({"parent": _("A liaison station does not belong to another site.")})
    elif kind == Station.Kind.POINT:
        if region.level not in POINT_LEVELS:
            raise ValidationError(
                {"region": _("A liaison point must be in a township/street or a village/community.")}
            )
        if parent is None:
            raise ValidationError({"parent": _("Choose the liaison station this point belongs to.")})
        if parent.kind != Station.Kind.STATION:
            raise ValidationError({"parent": _("A liaison point must belong to a liaison station, not to another point.")})
        if not region.is_within(parent.region):
            raise ValidationError(
                {"parent": _("The point's region must lie within the area of the station it belongs to.")}
            )


def _check_region_in_area(user: User, region: Region) -> None:
    if not _in_area(user, region.path):
        raise PermissionDenied(_("You may only manage sites within your own area."))


# --- changes -----------------------------------------------------------------------------------

def _snapshot(station: Station) -> dict[str, Any]:
    return changed_fields(station, list(AUDITED_FIELDS), {})


def create_station(actor: User, station: Station, request: HttpRequest | None = None) -> Station:
    """Save a new site (an unsaved instance, e.g. from a form) and audit it."""
    if not can_create(actor):
        raise PermissionDenied
    _check_region_in_area(actor, station.region)
    validate_structure(station.kind, station.region, station.parent)
    validate_coordinates(station.latitude, station.longitude)
    with transaction.atomic():
        station.save()
        values = {name: change["new"] for name, change in _snapshot(station).items()}
        log_action(actor, "station.create", station, {"new": values}, request)
    return station


def update_station(
    actor: User, station: Station, values: dict[str, Any], request: HttpRequest | None = None
) -> Station:
    """Change some fields of a site; the audit entry holds each changed field's old and new value."""
    forbidden = set(values) & locked_fields(actor)
    if forbidden:
        raise PermissionDenied(_("You may not change these fields: %(fields)s.") % {"fields": ", ".join(sorted(forbidden))})
    with transaction.atomic():
        # Re-read under a row lock: old values come from the database, not from a form's copy,
        # and two editors saving at once are applied one after the other.
        locked = Station.objects.select_for_update(of=("self",)).select_related("region", "parent").get(pk=station.pk)
        if not can_edit(actor, locked):
            raise PermissionDenied
        old = {name: getattr(locked, name) for name in values}
        changes = [name for name, value in values.items() if old[name] != value]
        if not changes:
            return locked
        for name in changes:
            setattr(locked, name, values[name])
        if "region" in changes:
            _check_region_in_area(actor, locked.region)
        validate_structure(locked.kind, locked.region, locked.parent)
        validate_coordinates(locked.latitude, locked.longitude)
        locked.save()
        log_action(actor, "station.update", locked, {"changes": changed_fields(locked, changes, old)}, request)
    return locked


def set_station_status(
    actor: User, station: Station, status: str, reason: str, request: HttpRequest | None = None
) -> Station:
    """Deactivate or reactivate a site. A deactivated site drops off the public side."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason.")})
    if status not in Station.Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    with transaction.atomic():
        locked = Station.objects.select_for_update(of=("self",)).get(pk=station.pk)
        if not can_change_status(actor, locked):
            raise PermissionDenied
        if locked.status == status:
            raise ValidationError(_("The site already has this status."))
        old = locked.status
        locked.status = status
        locked.save()
        action = "station.deactivate" if status == Station.Status.INACTIVE else "station.reactivate"
        log_action(actor, action, locked, {"status": {"old": old, "new": status}, "reason": reason}, request)
    return locked


# --- reading -----------------------------------------------------------------------------------

def current_deputy_count() -> Coalesce:
    """Current deputies of each site, as a correlated subquery: computed only for the rows fetched."""
    from lianxin.deputies.models import Assignment
    from lianxin.regions.services import count_subquery

    current = Assignment.objects.current().filter(station=OuterRef("pk"))
    return count_subquery(current, "deputy_id", distinct=True)


def search_filter(query: str) -> Q:
    return Q(name__icontains=query) | Q(code__icontains=query) | Q(address__icontains=query)


def recent_audit(user: User, station: Station, limit: int = 10) -> QuerySet[AuditEntry]:
    from django.contrib.contenttypes.models import ContentType

    target_type = ContentType.objects.get_for_model(Station)
    return (
        AuditEntry.objects.visible_to(user)
        .filter(target_type=target_type, target_id=str(station.pk))
        .select_related("actor")[:limit]
    )


"""Response templates (答复模板): reusable reply text, kept by each handling unit or shared by the city.

Unit staff manage their own unit's templates; city admins manage the shared ones (unit blank).
Every change is written to the audit log in the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from lianxin.accounts.audit import log_action
from lianxin.accounts.models import Role, User

from .models import ResponseTemplate


def can_manage(user: User) -> bool:
    return bool(
        user.is_authenticated
        and (user.is_superuser or user.role == Role.CITY_ADMIN or (user.role == Role.UNIT_STAFF and user.unit_id))
    )


def managed_by(user: User) -> QuerySet[ResponseTemplate]:
    """The templates ``user`` may edit: the own unit's for unit staff, the shared ones for city admins."""
    if not can_manage(user):
        return ResponseTemplate.objects.none()
    if user.role == Role.UNIT_STAFF:
        return ResponseTemplate.objects.filter(unit_id=user.unit_id)
    return ResponseTemplate.objects.filter(unit__isnull=True)


def usable_by(user: User) -> QuerySet[ResponseTemplate]:
    """The active templates offered in a unit's reply picker: its own plus the shared ones."""
    if not (user.is_authenticated and user.role == Role.UNIT_STAFF and user.unit_id):
        return ResponseTemplate.objects.none()
    return ResponseTemplate.objects.filter(Q(unit_id=user.unit_id) | Q(unit__isnull=True), active=True).order_by(
        "unit_id", "name", "id"
    )


def _clean(name: str, text: str) -> tuple[str, str]:
    name, text = name.strip(), text.strip()
    errors = {}
    if not name:
        errors["name"] = _("Give the template a name.")
    if not text:
        errors["text"] = _("Write the text of the template.")
    if errors:
        raise ValidationError(errors)
    return name, text


def create_template(actor: User, *, name: str, text: str, request: HttpRequest | None = None) -> ResponseTemplate:
    if not can_manage(actor):
        raise PermissionDenied
    name, text = _clean(name, text)
    unit_id = actor.unit_id if actor.role == Role.UNIT_STAFF else None
    with transaction.atomic():
        template = ResponseTemplate.objects.create(name=name, text=text, unit_id=unit_id)
        log_action(actor, "response_template.create", template, {"name": name, "unit": unit_id}, request)
    return template


def update_template(
    actor: User, template: ResponseTemplate, *, name: str, text: str, request: HttpRequest | None = None
) -> ResponseTemplate:
    name, text = _clean(name, text)
    with transaction.atomic():
        locked = managed_by(actor).select_for_update().filter(pk=template.pk).first()
        if locked is None:
            raise PermissionDenied
        changes: dict[str, Any] = {}
        for field, value in (("name", name), ("text", text)):
            if getattr(locked, field) != value:
                changes[field] = {"old": getattr(locked, field), "new": value}
                setattr(locked, field, value)
        if changes:
            locked.save()
            log_action(actor, "response_template.update", locked, {"changes": changes}, request)
    return locked


def set_active(
    actor: User, template: ResponseTemplate, active: bool, request: HttpRequest | None = None
) -> ResponseTemplate:
    with transaction.atomic():
        locked = managed_by(actor).select_for_update().filter(pk=template.pk).first()
        if locked is None:
            raise PermissionDenied
        if locked.active == active:
            raise ValidationError(_("The template already has this status."))
        locked.active = active
        locked.save()
        action = "response_template.reactivate" if active else "response_template.deactivate"
        log_action(actor, action, locked, {"active": {"old": not active, "new": active}}, request)
    return locked

"""Writing the audit log: every staff action that changes data, and every full view of personal data."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest

from .models import AuditEntry


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def log_action(
    actor: Any,
    action: str,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Record ``action`` (a dotted code such as ``station.update``) by ``actor`` on ``target``."""
    entry = AuditEntry(
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        action=action,
        data=data or {},
        ip=client_ip(request),
    )
    if target is not None:
        entry.target_type = ContentType.objects.get_for_model(target)
        entry.target_id = str(target.pk)
        entry.target_repr = str(target)[:200]
    entry.save()
    return entry


def changed_fields(instance: models.Model, form_changed: list[str], old: dict[str, Any]) -> dict[str, Any]:
    """Old and new values of the fields a form changed, for the audit entry's data."""
    return {
        name: {"old": _plain(old.get(name)), "new": _plain(getattr(instance, name, None))}
        for name in form_changed
    }


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str, list, dict)):
        return value
    if isinstance(value, models.Model):
        return str(value)
    return str(value)

"""Who sees what: helpers shared by every model's ``visible_to(user)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

if TYPE_CHECKING:
    from lianxin.regions.models import Region

    from .models import User


def admin_region(user: User) -> Region | None:
    """The region subtree an admin account covers; None for every other kind of account."""
    from .models import ADMIN_ROLES

    if user.is_authenticated and getattr(user, "role", "") in ADMIN_ROLES:
        return user.region
    return None


def scope_filter(
    queryset: QuerySet[Any],
    user: User,
    *,
    area: Callable[[Region], QuerySet[Any]],
    **roles: Callable[[User], QuerySet[Any]],
) -> QuerySet[Any]:
    """The common shape of ``visible_to``: nothing for the anonymous, everything for superusers,
    ``area(region)`` for admins (their region subtree), and for other roles ``roles[role](user)`` —
    or nothing when the role is not named."""
    if not user.is_authenticated:
        return queryset.none()
    if user.is_superuser:
        return queryset.all()
    region = admin_region(user)
    if region is not None:
        return area(region)
    narrow = roles.get(getattr(user, "role", ""))
    return narrow(user) if narrow is not None else queryset.none()


def is_staff_user(user: User) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or getattr(user, "role", "")))

"""Who sees what: helpers shared by every model's ``visible_to(user)``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lianxin.regions.models import Region

    from .models import User


def admin_region(user: User) -> Region | None:
    """The region subtree an admin account covers; None for every other kind of account."""
    from .models import ADMIN_ROLES

    if user.is_authenticated and getattr(user, "role", "") in ADMIN_ROLES:
        return user.region
    return None


def is_staff_user(user: User) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or getattr(user, "role", "")))

"""Who the caller is: account, role and scope."""

from __future__ import annotations

from typing import Any

from ninja import Router

from .auth import auth_user, staff_auth
from .schemas import MeOut

router = Router(tags=["account"], auth=staff_auth)


@router.get("/me", response=MeOut, summary="The calling account")
def me(request: Any) -> Any:
    """The account behind the session or token, its role and the scope the other endpoints apply."""
    user = auth_user(request)
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "role_label": str(user.get_role_display()) if user.role else "",
        "is_superuser": user.is_superuser,
        "scope": {
            "region": user.region,
            "site_codes": list(user.stations.order_by("code").values_list("code", flat=True)),
            "deputy_id": user.deputy_id,
            "unit_code": user.unit.code if user.unit else None,
        },
    }

"""Who is calling: a staff session (the web console's log-in) or a bearer API token.

Both resolve to a staff ``User``; every staff endpoint then reads through
``Model.objects.visible_to(auth_user(request))``, so a token has exactly its user's scope.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from lianxin.accounts.models import User
from lianxin.accounts.scope import is_staff_user

from .services import user_for_token


class StaffSession(SessionAuth):
    """The Django session of a logged-in staff account; CSRF is checked on unsafe methods."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if is_staff_user(user):  # type: ignore[arg-type]
            return user
        return None


class ApiTokenAuth(HttpBearer):
    """``Authorization: Bearer lx_…`` — a token issued by ``lianxin api_token``."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is not None:
            # The request log and anything else reading request.user see the token's user.
            request.user = user
        return user


# Token first: a machine client sends no session cookie, so the CSRF check never applies to it.
staff_auth = [ApiTokenAuth(), StaffSession()]


def auth_user(request: HttpRequest) -> User:
    """The staff user the authentication classes resolved for this request."""
    return request.auth  # type: ignore[attr-defined,no-any-return]

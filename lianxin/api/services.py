"""Issuing, checking and revoking API tokens."""

from __future__ import annotations

import datetime

from django.db import transaction

from lianxin.accounts.audit import log_action
from lianxin.accounts.models import User
from lianxin.accounts.scope import is_staff_user
from lianxin.core import clock

from .models import ApiToken, hash_token, new_raw_token

# last_used_at is a hint, not an audit trail: refreshing it at most this often keeps token
# requests read-only (no write lock on SQLite) for all but one request in a while.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=5)


def issue_token(user: User, name: str, actor: User | None = None) -> tuple[ApiToken, str]:
    """Create a token for ``user``; return it and the raw token, which is not stored anywhere."""
    raw = new_raw_token()
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name, token_hash=hash_token(raw))
        log_action(actor, "api_token.create", token, {"user": user.username, "name": name})
    return token, raw


def revoke_token(token: ApiToken, actor: User | None = None) -> None:
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=clock.now())
        if updated:
            log_action(actor, "api_token.revoke", token, {"user": token.user.username, "name": token.name})


def user_for_token(raw: str) -> User | None:
    """The staff user a raw token acts as, or None for an unknown, revoked or inactive one."""
    if not raw:
        return None
    token = ApiToken.objects.usable().select_related("user").filter(token_hash=hash_token(raw)).first()
    if token is None or not is_staff_user(token.user):
        return None
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user

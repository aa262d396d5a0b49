"""``lianxin api_token <username> [--name NAME]``: issue an API token and print it once.

``--list`` shows the user's tokens (never the tokens themselves); ``--revoke NAME`` revokes them.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lianxin.accounts.models import User
from lianxin.accounts.scope import is_staff_user
from lianxin.api.models import ApiToken
from lianxin.api.services import issue_token, revoke_token


class Command(BaseCommand):
    help = "Issue an API token for a staff account (printed once), list or revoke its tokens."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="api", help="what the token is for (default: api)")
        parser.add_argument("--list", dest="list_tokens", action="store_true", help="list the user's tokens instead")
        parser.add_argument("--revoke", metavar="NAME", help="revoke the user's tokens with this name")

    def handle(self, *args: Any, username: str, name: str, list_tokens: bool, revoke: str | None, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No account with the user name “%(username)s”.") % {"username": username})
        if list_tokens:
            for token in ApiToken.objects.filter(user=user):
                state = _("revoked") if token.revoked else _("active")
                used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "-"
                self.stdout.write(f"{token.name}\t{token.created_at:%Y-%m-%d %H:%M}\t{used}\t{state}")
            return
        if revoke:
            tokens = ApiToken.objects.filter(user=user, name=revoke, revoked_at__isnull=True)
            count = 0
            for token in tokens:
                revoke_token(token)
                count += 1
            self.stdout.write(ngettext("Revoked %(count)d token.", "Revoked %(count)d tokens.", count) % {"count": count})
            return
        if not is_staff_user(user) or not user.is_active:
            raise CommandError(_("“%(username)s” is not an active staff account.") % {"username": username})
        _token, raw = issue_token(user, name)
        self.stderr.write(_("Token for %(username)s (%(name)s). It is shown only this once:") % {
            "username": username, "name": name,
        })
        self.stdout.write(raw)

"""``lianxin import_roster <file.xlsx> [--term N] [--apply] [--user USERNAME]``: check (and apply) a roster.

Prints the preview's counts and every error by row and column; exits with status 1 when there are errors.
Without ``--user`` the import is made as the first superuser.
"""

import sys
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lianxin.accounts.models import User
from lianxin.deputies import roster
from lianxin.deputies.models import RosterImport


class Command(BaseCommand):
    help = "Check a deputies' roster (.xlsx) and print the preview; --apply writes it if there are no errors."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--term", type=int, default=None, help="a new term after an election: end earlier seats")
        parser.add_argument("--apply", action="store_true", help="apply the import when it has no errors")
        parser.add_argument("--user", default=None, help="the account the import is made as (default: a superuser)")

    def handle(self, *args: Any, file: str, term: int | None, apply: bool, user: str | None, **options: Any) -> None:
        actor = (User.objects.filter(username=user).first() if user
                 else User.objects.filter(is_superuser=True).order_by("pk").first())
        if actor is None:
            raise CommandError(_("No account with the user name “%(username)s”.") % {"username": user or ""})
        try:
            with open(file, "rb") as source:
                imp = roster.import_file(actor, source, new_term=term, apply=apply, filename=file)
        except OSError as error:
            raise CommandError(str(error)) from error
        except PermissionDenied as error:
            raise CommandError(_("This account may not import the roster.")) from error
        counts = imp.counts
        self.stdout.write(_("Rows: %(rows)s; to create: %(create)s; to change: %(change)s; unchanged: %(unchanged)s; "
                            "seats ending: %(ending)s; errors: %(errors)s.") % {
            "rows": counts.get("rows", 0), "create": counts.get("create", 0), "change": counts.get("change", 0),
            "unchanged": counts.get("unchanged", 0), "ending": counts.get("seats_ending", 0),
            "errors": counts.get("errors", 0)})
        for problem in imp.errors:
            self.stdout.write(_("Row %(row)s, %(column)s: %(message)s") % problem)
        if imp.status == RosterImport.Status.APPLIED:
            self.stdout.write(_("Applied."))
        elif apply:
            self.stdout.write(_("Nothing was written."))
        if imp.errors:
            sys.exit(1)

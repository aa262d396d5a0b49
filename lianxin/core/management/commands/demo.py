"""``lianxin demo``: load the Taiyuan demo (or keep it and refresh the log-ins; ``--reset`` rebuilds)."""

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _

from lianxin.dashboard.stats import headline_figures
from lianxin.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from lianxin.demo.loader import DemoConflict, load_demo


class Command(BaseCommand):
    help = "Load the Taiyuan demo data. Run again: the data is kept and the demo log-ins refreshed."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--reset", action="store_true", help="delete sites, deputies, units and regions, then rebuild"
        )
        parser.add_argument(
            "--without-opinions", action="store_false", dest="opinions",
            help="skip the 5,161 demo opinions (replayed through the case engine: about two minutes)",
        )
        parser.add_argument("--opinions", action="store_true", help=argparse.SUPPRESS)  # the default; kept

    def handle(self, *args: Any, reset: bool, opinions: bool, verbosity: int, **options: Any) -> None:
        def progress(message: str) -> None:
            if verbosity >= 1:
                self.stdout.write(f"  {message}")

        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError(_("The database is not up to date. Run “lianxin migrate” first."))
        if verbosity >= 1:
            self.stdout.write(_("Taiyuan demo data:"))
        try:
            result = load_demo(reset=reset, opinions=opinions, progress=progress)
        except DemoConflict as error:
            raise CommandError(
                _(
                    "The database holds regions, sites or deputies that are not the demo. "
                    "Run “lianxin demo --reset” to replace them."
                )
            ) from error
        if verbosity < 1:
            return
        figures = headline_figures()
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Demo ready in %(seconds).1f s: %(sites)s sites, %(deputies)s deputies, %(assignments)s assignments."
                )
                % {
                    "seconds": result.seconds,
                    "sites": figures["sites"]["total"],
                    "deputies": figures["deputies"]["persons"],
                    "assignments": figures["assignments"]["current"],
                }
            )
        )
        self.stdout.write(_("Demo log-ins (password %(password)s):") % {"password": DEMO_PASSWORD})
        for role, username, scope in DEMO_ACCOUNTS:
            self.stdout.write(f"  {role:<15} {username:<16} {scope}")

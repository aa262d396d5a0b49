from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from lianxin.grouping import services
from lianxin.grouping.models import GroupingRun, Proposal
from lianxin.regions.models import Region


class Command(BaseCommand):
    help = "Propose a mixed grouping of deputies into sites (OR-Tools) and optionally apply it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--area", help="region code (default: the root region)")
        parser.add_argument("--apply", action="store_true", help="apply the proposal")
        parser.add_argument("--time-limit", type=float, help="seconds (default: settings.GROUPING)")
        parser.add_argument("--user", default="", help="the staff account the changes are recorded for")

    def handle(self, *args: Any, **options: Any) -> None:
        from lianxin.accounts.models import User

        area = (Region.objects.filter(code=options["area"]).first() if options["area"]
                else Region.objects.filter(parent__isnull=True).order_by("path").first())
        if area is None:
            raise CommandError(f"unknown area {options['area']}")
        try:
            params = services.clean_params({"time_limit": options["time_limit"]})
        except services.GroupingError as error:
            raise CommandError(str(error)) from None
        actor = (User.objects.filter(username=options["user"]).first() if options["user"]
                 else User.objects.filter(is_superuser=True).order_by("id").first())
        with transaction.atomic():
            run = GroupingRun.objects.create(area=area, created_by=actor, params=params)
        run = services.execute_run(run)
        self.stdout.write(f"area {area.code} {area.name}: {run.solver_status}")
        for msgid, values in run.explanation:
            self.stdout.write("  " + msgid % values)
        if run.status != GroupingRun.Status.DONE:
            raise CommandError("no proposal")
        counts = services.counts(run)
        self.stdout.write(
            f"objective {run.objective:.3f}  bound {run.bound if run.bound is None else round(run.bound, 3)}  "
            f"gap {run.gap}  solve {run.seconds:.2f} s"
        )
        self.stdout.write(
            f"moves {counts[Proposal.Kind.MOVE]}  new {counts[Proposal.Kind.NEW]}  stays {counts[Proposal.Kind.STAY]}"
        )
        if options["apply"]:
            if actor is None:
                raise CommandError("--apply needs a staff account (--user) or a superuser")
            changed = services.apply_run(actor, run)
            self.stdout.write(f"applied: {changed} deputies changed site")

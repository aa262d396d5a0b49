"""Demo hook: group the whole city with the optimiser and apply it (called by `lianxin demo`)."""

from __future__ import annotations

from typing import IO, Any

from lianxin.regions.models import Region

from . import services
from .models import GroupingRun


def assign_demo(stdout: IO[str] | None = None) -> dict[str, Any]:
    from lianxin.accounts.models import User

    area = Region.objects.filter(level=Region.Level.CITY).order_by("path").first() or (
        Region.objects.filter(parent__isnull=True).order_by("path").first()
    )
    actor = User.objects.filter(username="city-admin").first() or User.objects.filter(is_superuser=True).first()
    if area is None or actor is None:
        return {"status": "skipped"}
    run = GroupingRun.objects.create(area=area, created_by=actor, params=services.clean_params({}))
    run = services.execute_run(run)
    summary: dict[str, Any] = {
        "run": run.pk, "status": run.solver_status, "objective": run.objective, "gap": run.gap,
        "seconds": run.seconds, **services.counts(run),
    }
    if run.status == GroupingRun.Status.DONE:
        summary["applied"] = services.apply_run(actor, run)
    if stdout is not None:
        stdout.write(f"grouping: {summary}\n")
    return summary

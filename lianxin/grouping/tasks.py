from __future__ import annotations

from huey.contrib.djhuey import db_task

from .models import GroupingRun


@db_task()
def solve_run(run_id: int) -> None:
    from . import services

    run = GroupingRun.objects.filter(pk=run_id, status=GroupingRun.Status.QUEUED).first()
    if run is None:
        return

    def progress(percent: int) -> None:
        GroupingRun.objects.filter(pk=run_id).update(progress=percent)

    try:
        services.execute_run(run, progress)
    except Exception:
        GroupingRun.objects.filter(pk=run_id).update(status=GroupingRun.Status.FAILED, progress=100)
        raise

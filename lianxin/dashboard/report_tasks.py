"""Task-queue job of the work reports (imported by ``lianxin.dashboard.tasks`` so huey registers it)."""

from huey.contrib.djhuey import db_task

from . import reports


# WeasyPrint and matplotlib take seconds: never in a request.
@db_task()
def build_work_report(report_id: int) -> None:
    reports.build_report(report_id)

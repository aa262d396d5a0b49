"""Task-queue jobs of the dashboard: the roll-ups rebuilt hourly (this month and the previous one) and
nightly (everything)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import rollups


@db_periodic_task(crontab(minute="15"))
def refresh_recent_rollups() -> None:
    rollups.refresh(rollups.recent_months())


@db_periodic_task(crontab(minute="50", hour="2"))
def refresh_all_rollups() -> None:
    rollups.refresh()


@db_task()
def refresh_rollups_now(everything: bool = False) -> None:
    """Queued from the dashboard's "refresh now" button (admins)."""
    rollups.refresh(None if everything else rollups.recent_months())


# The work reports' task lives next to their rendering; imported so the consumer registers it.
from . import report_tasks  # noqa: E402, F401

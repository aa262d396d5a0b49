"""Task-queue jobs of the deputies' roster: checking and applying large imports with a progress bar."""

from huey.contrib.djhuey import db_task

from . import roster


# A roster of thousands of rows takes seconds to check: never in a request.
@db_task()
def check_roster_import(import_id: int) -> None:
    roster.run_check(import_id)


@db_task()
def apply_roster_import(import_id: int) -> None:
    roster.apply_import(import_id)

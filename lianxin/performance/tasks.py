"""Task-queue jobs of the duty record: the score roll-up, the mid-year pace warning, the record PDF."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import scoring, services


@db_task()
def recompute_scores(run_id: int) -> None:
    scoring.run_recompute(run_id)


# Nightly: the roll-up table the posting and ranking pages read.
@db_periodic_task(crontab(minute="40", hour="1"))
def refresh_scores() -> None:
    run = scoring.RecomputeRun.objects.create(years=[scoring.clock.today().year])
    scoring.run_recompute(run.pk)


# Daily; the service only acts from July and warns each deputy once a year.
@db_periodic_task(crontab(minute="30", hour="7"))
def warn_behind_pace() -> None:
    scoring.warn_behind_pace()


# WeasyPrint with CJK fonts takes seconds: never in a request.
@db_task()
def build_record_pdf(document_id: int) -> None:
    services.build_record_pdf(document_id)

"""Task-queue jobs of draft-law consultations: the adoption SMS, the summary PDF and the daily phase sweep."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import services


# An SMS gateway may be down for a while: retry for about half an hour.
@db_task(retries=6, retry_delay=300)
def notify_commenter(comment_id: int) -> None:
    services.deliver_notification(comment_id)


# WeasyPrint with CJK fonts takes seconds: never in a request. A failure is recorded on the document.
@db_task()
def build_summary_pdf(document_id: int) -> None:
    services.build_summary_pdf(document_id)


@db_periodic_task(crontab(minute="5", hour="0"))
def close_ended_consultations() -> None:
    services.sweep_phases()

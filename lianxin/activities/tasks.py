"""Task-queue jobs of reception days: publishing what is due, reminders the day before, cancellations."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import reception


@db_periodic_task(crontab(minute="5"))
def publish_reception_days() -> None:
    reception.publish_due()


@db_periodic_task(crontab(minute="20"))
def queue_reception_reminders() -> None:
    for appointment_id in reception.due_reminders():
        send_reception_reminder(appointment_id)


# An SMS gateway may be down for a while: retry for about half an hour.
@db_task(retries=6, retry_delay=300)
def send_reception_reminder(appointment_id: int) -> None:
    reception.send_reminder(appointment_id)


@db_task(retries=6, retry_delay=300)
def send_day_cancelled(appointment_id: int) -> None:
    reception.send_cancelled(appointment_id)

"""Task-queue jobs of the case engine: notifications (retried separately per channel) and the sweeper."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import notify, sweeper


@db_task(retries=3, retry_delay=30)
def deliver_event(event_id: int) -> None:
    notify.deliver(event_id)


# An SMS gateway may be down for a while: retry for about half an hour.
@db_task(retries=6, retry_delay=300)
def send_citizen_sms(event_id: int) -> None:
    notify.deliver_sms(event_id)


@db_task(retries=3, retry_delay=300)
def send_staff_email(address: str, subject: str, body: str) -> None:
    notify.deliver_email(address, subject, body)


@db_periodic_task(crontab(minute="*/5"))
def sweep_deadlines() -> None:
    sweeper.sweep()

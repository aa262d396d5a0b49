"""Task-queue jobs of the case engine: notifications (retried separately per channel) and the sweeper."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import notify, services, sweeper


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


# A received public submission becomes a case (queued on commit of the intake; see services.receive_submission).
@db_task(retries=5, retry_delay=10)
def register_intake_task(intake_id: int) -> None:
    services.register_intake(intake_id)


@db_periodic_task(crontab(minute="*/5"))
def sweep_deadlines() -> None:
    sweeper.sweep()


@db_periodic_task(crontab(minute="*"))
def register_pending_intakes() -> None:
    services.register_pending()

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


# Received public submissions become cases: queued by the first submission of each second in each
# web process (see services.KICK). While a drain finds work it queues one more a little later,
# for the submissions received while the kick was held.
@db_task(retries=5, retry_delay=10)
def register_new_intakes() -> None:
    if services.register_new():
        services.queue_registration(delay=services.KICK_SECONDS * 2)


@db_periodic_task(crontab(minute="*/5"))
def sweep_deadlines() -> None:
    sweeper.sweep()


@db_periodic_task(crontab(minute="*"))
def register_pending_intakes() -> None:
    services.register_pending()


@db_periodic_task(crontab(minute="*/10"))
def purge_submit_counters() -> None:
    services.purge_submit_counters()

from huey.contrib.djhuey import db_task

from . import notify


@db_task(retries=3, retry_delay=30)
def deliver_event(event_id: int) -> None:
    notify.deliver(event_id)

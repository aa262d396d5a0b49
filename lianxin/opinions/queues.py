"""The work queues of the staff case list (tabs over the same filtered list).

Each queue is a function ``(queryset, user, now) -> queryset`` over a queryset that is already
scoped with ``Opinion.objects.visible_to(user)``; the queue never widens what a user may see.
The deadline queues read the ``(status, due_at)`` index.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from lianxin.accounts.models import User

from . import deadlines
from .models import OPEN_STATUSES, Opinion, Satisfaction, Status

# How far ahead "due soon" looks, in working days.
DUE_SOON_DAYS = 2

Queue = Callable[[QuerySet[Opinion], User, datetime.datetime], QuerySet[Opinion]]


def new(qs: QuerySet[Opinion], user: User, now: datetime.datetime) -> QuerySet[Opinion]:
    return qs.filter(status=Status.SUBMITTED)


def mine(qs: QuerySet[Opinion], user: User, now: datetime.datetime) -> QuerySet[Opinion]:
    return qs.filter(status__in=OPEN_STATUSES, assignee=user)


def due_soon_limit(now: datetime.datetime) -> datetime.datetime:
    return deadlines.add_working_days(now, DUE_SOON_DAYS)


def due_soon(qs: QuerySet[Opinion], user: User, now: datetime.datetime) -> QuerySet[Opinion]:
    return qs.filter(status__in=OPEN_STATUSES, due_at__gte=now, due_at__lte=due_soon_limit(now))


def overdue(qs: QuerySet[Opinion], user: User, now: datetime.datetime) -> QuerySet[Opinion]:
    return qs.filter(status__in=OPEN_STATUSES, due_at__lt=now)


def returned(qs: QuerySet[Opinion], user: User, now: datetime.datetime) -> QuerySet[Opinion]:
    # Sent back by a unit as wrongly routed and not yet forwarded again.
    return qs.filter(status=Status.ACCEPTED, returned_count__gt=0, unit__isnull=True)


def unsatisfied(qs: QuerySet[Opinion], user: User, now: datetime.datetime) -> QuerySet[Opinion]:
    return qs.filter(satisfaction=Satisfaction.UNSATISFIED)


def everything(qs: QuerySet[Opinion], user: User, now: datetime.datetime) -> QuerySet[Opinion]:
    return qs


QUEUES: dict[str, tuple[Promise, Queue]] = {
    "new": (_("New"), new),
    "mine": (_("Mine"), mine),
    "due_soon": (_("Due soon"), due_soon),
    "overdue": (_("Overdue"), overdue),
    "returned": (_("Returned"), returned),
    "unsatisfied": (_("Unsatisfied"), unsatisfied),
    "all": (_("All"), everything),
}
DEFAULT_QUEUE = "all"


def apply(qs: QuerySet[Opinion], name: str, user: User, now: datetime.datetime) -> QuerySet[Opinion]:
    """The queue ``name`` (an unknown name is the default queue: queue names live in URLs)."""
    _label, queue = QUEUES.get(name) or QUEUES[DEFAULT_QUEUE]
    return queue(qs, user, now)


def normalise(name: str | None) -> str:
    return name if name in QUEUES else DEFAULT_QUEUE

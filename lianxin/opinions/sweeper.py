"""The deadline sweeper: warn before a deadline, escalate (督办) after it, close lapsed rating windows.

Run every five minutes by the task queue (``tasks.sweep_deadlines``) or by hand
(``lianxin sweep_deadlines``). Safe with several workers at once:

- candidates are read in keyset batches of (due_at, id) per status, which the (status, due_at)
  index (``opinion_due_idx``) serves as one range scan each;
- a warning is claimed with ``UPDATE … SET warned_at = now WHERE pk = x AND warned_at IS NULL``: of
  two sweepers only one updates the row, so only one warns;
- an escalation or a closing is claimed with ``UPDATE … WHERE pk = x AND version = seen`` in the
  same transaction as the service call: a second sweeper's UPDATE waits for the first one's row
  lock, then matches nothing (the service bumped the version). A case changed meanwhile (rated,
  replied, extended) is skipped the same way; a ``CaseError`` from the service is skipped and logged.
"""

from __future__ import annotations

import datetime
import functools
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lianxin.core import clock

from . import deadlines, notify, services
from .errors import CaseError
from .models import DeadlineRule, Opinion, Status

logger = logging.getLogger("lianxin.sweeper")

BATCH_SIZE = 200
# Stages whose deadline binds the staff (accept, handle); a replied case's due_at is the citizen's
# rating window, which only lapses.
STAFF_STAGES = (Status.SUBMITTED, Status.ACCEPTED, Status.TRANSFERRED)

Counts = dict[str, int]


def sweep(now: datetime.datetime | None = None) -> Counts:
    """One pass: warn, escalate, close. Returns the counts (also logged as one JSON line)."""
    now = now or clock.now()
    started = time.monotonic()
    counts: Counts = {"warned": 0, "escalated": 0, "closed": 0, "skipped": 0}
    warn_due_soon(now, counts)
    escalate_overdue(now, counts)
    close_lapsed(now, counts)
    logger.info(
        "deadlines.sweep",
        extra={**counts, "at": now.isoformat(), "duration_ms": round((time.monotonic() - started) * 1000, 1)},
    )
    return counts


def _batches(queryset: QuerySet[Opinion], *fields: str) -> Iterator[list[tuple[Any, ...]]]:
    """Rows (pk, version, due_at, *fields) in keyset pages over (due_at, id)."""
    last: tuple[datetime.datetime, int] | None = None
    while True:
        page = queryset
        if last is not None:
            page = page.filter(Q(due_at__gt=last[0]) | Q(due_at=last[0], pk__gt=last[1]))
        rows = list(page.order_by("due_at", "pk").values_list("pk", "version", "due_at", *fields)[:BATCH_SIZE])
        if not rows:
            return
        yield rows
        last = (rows[-1][2], rows[-1][0])


class _WarnDays:
    """warn_days per (category, urgency) as ``services.deadline_rule`` resolves them, loaded once per pass."""

    def __init__(self) -> None:
        self.rules = {(r.category_id, r.urgency): r.warn_days for r in DeadlineRule.objects.all()}
        self.default = services.DEFAULT_RULE.warn_days

    def __call__(self, category_id: int, urgency: str) -> int:
        found = self.rules.get((category_id, urgency))
        if found is None:
            found = self.rules.get((None, urgency), self.default)
        return found

    @property
    def longest(self) -> int:
        return max([self.default, *self.rules.values()])


# ---- (1) warn -------------------------------------------------------------------------------


def warn_due_soon(now: datetime.datetime, counts: Counts) -> None:
    warn_days = _WarnDays()
    # No deadline further than the longest warning period can qualify: bounds the index range.
    horizon = deadlines.add_working_days(now, warn_days.longest)
    for status in STAFF_STAGES:
        due_soon = Opinion.objects.filter(status=status, due_at__gt=now, due_at__lte=horizon, warned_at__isnull=True)
        for batch in _batches(due_soon, "category_id", "urgency"):
            for pk, _version, due, category_id, urgency in batch:
                if deadlines.working_days_between(now, due) > warn_days(category_id, urgency):
                    continue
                with transaction.atomic():
                    claimed = Opinion.objects.filter(
                        pk=pk, status=status, due_at=due, warned_at__isnull=True
                    ).update(warned_at=now)
                    if not claimed:  # another sweeper warned, or the case moved on
                        counts["skipped"] += 1
                        continue
                    notify.deadline_warning(Opinion.objects.select_related("unit", "station").get(pk=pk))
                counts["warned"] += 1


# ---- (2) escalate, (3) close ----------------------------------------------------------------


def escalate_overdue(now: datetime.datetime, counts: Counts) -> None:
    """Escalate each case once per overdue period: never escalated, or last escalated before this deadline."""
    not_yet = Q(escalated_at__isnull=True) | Q(escalated_at__lt=F("due_at"))
    for status in STAFF_STAGES:
        overdue = Opinion.objects.filter(status=status, due_at__lt=now).filter(not_yet)
        for batch in _batches(overdue):
            for pk, version, due in batch:
                with translation.override(settings.LANGUAGE_CODE):  # the note is stored, in the site's language
                    note = _("Overdue since %(due)s: escalated automatically.") % {
                        "due": timezone.localtime(due).strftime("%Y-%m-%d")
                    }
                _claimed(pk, version, "escalate", counts, "escalated",
                         functools.partial(services.escalate, pk, None, note=note, now=now))


def close_lapsed(now: datetime.datetime, counts: Counts) -> None:
    lapsed = Opinion.objects.filter(status=Status.REPLIED, due_at__lt=now)
    for batch in _batches(lapsed):
        for pk, version, _due in batch:
            _claimed(pk, version, "close_lapsed", counts, "closed",
                     functools.partial(services.close_lapsed, pk, now=now))


def _claimed(pk: int, version: int, action: str, counts: Counts, key: str, run: Callable[[], object]) -> None:
    try:
        with transaction.atomic():
            # Claim the row as it was read; the service's own change commits with the claim.
            if not Opinion.objects.filter(pk=pk, version=version).update(version=F("version")):
                counts["skipped"] += 1
                logger.info("deadlines.changed", extra={"opinion": pk, "action": action})
                return
            run()
    except CaseError as error:
        counts["skipped"] += 1
        logger.warning("deadlines.skipped", extra={"opinion": pk, "action": action, "code": error.code})
        return
    counts[key] += 1

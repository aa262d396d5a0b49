"""Bulk actions of the congress staff on selected cases: transfer to a unit, escalate (督办).

Not all-or-nothing, on purpose: each case goes through its own service call (its own transaction,
permission and state checks), so one refused case does not hold back the others. The result
lists what was done and what was refused, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from lianxin.accounts.models import User

from . import services
from .errors import CaseError
from .models import Opinion

NOT_FOUND = _("No such case in your area.")


@dataclass
class BulkResult:
    done: list[Opinion] = field(default_factory=list)
    # (tracking code or "#id" when the case is not visible, the refusal message)
    refused: list[tuple[str, str]] = field(default_factory=list)


def _each(user: User, ids: list[int], run: Callable[[Opinion], Any]) -> BulkResult:
    result = BulkResult()
    found = {op.pk: op for op in Opinion.objects.visible_to(user).filter(pk__in=ids).only("pk", "tracking_code")}
    for pk in ids:
        opinion = found.get(pk)
        if opinion is None:
            result.refused.append((f"#{pk}", str(NOT_FOUND)))
            continue
        try:
            run(opinion)
        except CaseError as error:
            result.refused.append((opinion.tracking_code, str(error.message)))
        else:
            result.done.append(opinion)
    return result


def bulk_transfer(user: User, ids: list[int], *, unit: Any, working_days: int | None = None,
                  note: str = "") -> BulkResult:
    return _each(user, ids, lambda op: services.transfer(op.pk, user, unit=unit, working_days=working_days,
                                                         internal_note=note))


def bulk_escalate(user: User, ids: list[int], *, note: str = "") -> BulkResult:
    return _each(user, ids, lambda op: services.escalate(op.pk, user, note=note))

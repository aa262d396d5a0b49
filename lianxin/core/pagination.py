"""Keyset pagination: pages are addressed by the last row seen, never by OFFSET.

The ordering must end on a unique column (the primary key) so the cursor is unambiguous; the
list's filter columns plus that ordering should be covered by an index.
"""

import base64
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet


@dataclass
class Page:
    rows: list[Any]
    next_cursor: str | None
    has_previous: bool


def _encode(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def _decode(cursor: str) -> list[Any] | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError):
        return None
    return values if isinstance(values, list) else None


def keyset_page(queryset: QuerySet, ordering: tuple[str, ...], cursor: str | None, size: int) -> Page:
    """Return one page of ``queryset`` ordered by ``ordering`` (ascending fields, last one unique).

    An invalid cursor is treated as the first page rather than an error: cursors live in URLs
    that people copy and truncate.
    """
    fields = [name.lstrip("-") for name in ordering]
    descending = [name.startswith("-") for name in ordering]
    qs = queryset.order_by(*ordering)
    values = _decode(cursor) if cursor else None
    if values is not None and len(values) == len(fields):
        # (a, b, id) > (x, y, z)  ==  a > x OR (a = x AND b > y) OR (a = x AND b = y AND id > z)
        condition = Q()
        for i, name in enumerate(fields):
            op = "lt" if descending[i] else "gt"
            term = Q(**{f"{name}__{op}": values[i]})
            for j in range(i):
                term &= Q(**{fields[j]: values[j]})
            condition |= term
        qs = qs.filter(condition)
    rows = list(qs[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = _encode([_attr(last, name) for name in fields])
    return Page(rows=rows, next_cursor=next_cursor, has_previous=values is not None)


def _attr(obj: Any, dotted: str) -> Any:
    for part in dotted.split("__"):
        obj = getattr(obj, part)
        if hasattr(obj, "pk") and not isinstance(obj, (str, int)):
            obj = obj.pk
    return obj

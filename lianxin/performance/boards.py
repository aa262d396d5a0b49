"""The posting (亮分) board of a site or district, and the rankings raw and normalised by workload.

Both read the ``Score`` roll-up only (never the raw activity tables), in a fixed number of queries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import DecimalField, ExpressionWrapper, F, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf

from .models import Score

if TYPE_CHECKING:
    from lianxin.accounts.models import User
    from lianxin.regions.models import Region
    from lianxin.stations.models import Station

# How a ranking may be ordered: raw total, or points earned per unit of workload at the deputy's sites.
ORDERS = ("raw", "per_opinion", "per_citizen")


def period_scores(user: User, year: int, quarter: int | None) -> QuerySet[Score]:
    rows = Score.objects.visible_to(user).filter(year=year).select_related("deputy")
    return rows.filter(quarter__isnull=True) if quarter is None else rows.filter(quarter=quarter)


def ranking(user: User, year: int, quarter: int | None, order: str) -> tuple[QuerySet[Score], tuple[str, ...]]:
    """Scores of the deputies in the user's scope and the keyset ordering for the chosen ranking."""
    rows = period_scores(user, year, quarter)
    ratio: DecimalField[Any, Any] = DecimalField(max_digits=12, decimal_places=4)
    rows = rows.annotate(
        # -1 for "no workload": such deputies sort last instead of dividing by zero.
        rank_per_opinion=Coalesce(
            ExpressionWrapper(F("earned") * Value(1.0) / NullIf(F("opinions_received"), 0), output_field=ratio),
            Value(-1), output_field=ratio),
        rank_per_citizen=Coalesce(
            ExpressionWrapper(F("earned") * Value(100.0) / NullIf(F("citizens_served"), 0), output_field=ratio),
            Value(-1), output_field=ratio),
    )
    keys = {"raw": "-total", "per_opinion": "-rank_per_opinion", "per_citizen": "-rank_per_citizen"}
    return rows, (keys.get(order, "-total"), "deputy_id")


def posting(user: User, year: int, quarter: int | None, *, station: Station | None = None,
            district: Region | None = None) -> list[Score]:
    """The board of one site or one district: its deputies' scores for the period, highest first."""
    from lianxin.deputies.models import Assignment
    from lianxin.regions.models import subtree_q

    sites = Assignment.objects.current()
    if station is not None:
        sites = sites.filter(station=station)
    elif district is not None:
        sites = sites.filter(subtree_q("station__region_path", district.path))
    else:
        return []
    rows = period_scores(user, year, quarter).filter(deputy_id__in=sites.values("deputy_id"))
    return list(rows.order_by("-total", "deputy__name", "deputy_id"))


def summary(rows: list[Score]) -> dict[str, Any]:
    grades: dict[str, int] = {}
    for row in rows:
        grades[row.grade] = grades.get(row.grade, 0) + 1
    return {"count": len(rows), "grades": grades}

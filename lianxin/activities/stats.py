"""Activity figures for ``lianxin stats``: counted from rows."""

from __future__ import annotations

from typing import Any

from lianxin.regions.models import subtree_q

from .models import Activity


def held_activities(region: Any = None) -> int:
    """Activities held (closed with minutes and attendance), in ``region``'s subtree or everywhere."""
    held = Activity.objects.filter(status=Activity.Status.HELD)
    if region is not None:
        held = held.filter(subtree_q("region_path", region.path))
    return held.count()

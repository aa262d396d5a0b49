"""Template helpers for deputies: level badges in the order of the five levels."""

from typing import Any

from django import template

from lianxin.deputies.models import Level
from lianxin.deputies.services import current_levels

register = template.Library()

LABELS: dict[str, str] = {str(value): str(label) for value, label in Level.choices}
# Bootstrap colours per level, so a mixed group reads at a glance.
BADGE: dict[str, str] = {
    Level.NATIONAL: "text-bg-danger",
    Level.PROVINCIAL: "text-bg-warning",
    Level.MUNICIPAL: "text-bg-primary",
    Level.COUNTY: "text-bg-success",
    Level.TOWNSHIP: "text-bg-secondary",
}


@register.filter
def level_badges(deputy: Any) -> list[tuple[str, str]]:
    """(label, css class) of the deputy's current seat levels, highest first."""
    return [(str(LABELS[level]), BADGE[level]) for level in current_levels(deputy)]


@register.filter
def level_badge_class(level: str) -> str:
    return BADGE.get(level, "text-bg-light")


@register.filter
def level_label(level: str) -> str:
    return str(LABELS.get(level, level))

"""The sites' effectiveness index (实效指数): from coverage to real effect.

Eight components per site over a period, from the monthly roll-ups (``models.SiteMonth``; the definitions
are those of ``lianxin.campaigns.metrics``):

====================  ==========================================================  =========
component             value                                                       direction
====================  ==========================================================  =========
``activities``        activities held per month of the period                     higher
``reception``         reception days held / reception days due                    higher
``attendance``        deputies attended / deputies expected at held activities    higher
``opinions``          citizens' opinions received per reception day held          higher
``on_time``           opinions replied on time / opinions replied                 higher
``resolved``          opinions closed as resolved / opinions closed               higher
``satisfaction``      satisfied + basically satisfied / rated                     higher
``repeats``           opinions reopened after an unsatisfied rating / opinions    lower
====================  ==========================================================  =========

Each value is normalised to a score in 0..1 against its target in ``settings.EFFECTIVENESS["TARGETS"]``:
``min(1, value / target)``, and for ``repeats`` ``max(0, 1 - value / target)``. The index is the weighted
mean of the scores of the components that have data (``settings.EFFECTIVENESS["WEIGHTS"]``, percent) × 100,
one decimal. A component without data (its denominator is 0) is left out and the other weights scale up;
a site without any activity, reception day or opinion in the period has no index at all (None, "quiet"),
never 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext, pgettext_lazy

COMPONENTS: tuple[str, ...] = ("activities", "reception", "attendance", "opinions", "on_time", "resolved",
                               "satisfaction", "repeats")
NEGATIVE = frozenset({"repeats"})
RATIOS = frozenset({"reception", "attendance", "on_time", "resolved", "satisfaction", "repeats"})

LABELS = {
    "activities": pgettext_lazy("effectiveness", "Activities per month"),
    "reception": pgettext_lazy("effectiveness", "Reception days held vs due"),
    "attendance": pgettext_lazy("effectiveness", "Deputies' attendance"),
    "opinions": pgettext_lazy("effectiveness", "Opinions per reception day"),
    "on_time": pgettext_lazy("effectiveness", "Answered on time"),
    "resolved": pgettext_lazy("effectiveness", "Resolved"),
    "satisfaction": pgettext_lazy("effectiveness", "Satisfaction"),
    "repeats": pgettext_lazy("effectiveness", "Repeat complaints"),
}

DEFAULT_WEIGHTS = {"activities": 15, "reception": 15, "attendance": 15, "opinions": 10, "on_time": 15,
                   "resolved": 15, "satisfaction": 10, "repeats": 5}
DEFAULT_TARGETS = {"activities": 4.0, "reception": 1.0, "attendance": 0.9, "opinions": 3.0, "on_time": 0.95,
                   "resolved": 0.8, "satisfaction": 0.9, "repeats": 0.1}


def weights() -> dict[str, float]:
    configured = getattr(settings, "EFFECTIVENESS", {}).get("WEIGHTS", {})
    return {key: float(configured.get(key, DEFAULT_WEIGHTS[key])) for key in COMPONENTS}


def targets() -> dict[str, float]:
    configured = getattr(settings, "EFFECTIVENESS", {}).get("TARGETS", {})
    return {key: float(configured.get(key, DEFAULT_TARGETS[key])) for key in COMPONENTS}


def _share(top: int, bottom: int) -> float | None:
    return top / bottom if bottom else None


def values(sums: Mapping[str, Any], months: int) -> dict[str, float | None]:
    """The components' values from a site's summed roll-up counters over ``months`` months."""
    s = {key: int(sums.get(key) or 0) for key in (
        "activities", "reception_due", "reception_held", "attendance_expected", "attendance_attended",
        "opinions", "replied", "replied_on_time", "closed", "resolved", "rated", "satisfied", "repeats")}
    return {
        "activities": s["activities"] / months if months else None,
        "reception": _share(s["reception_held"], s["reception_due"]),
        "attendance": _share(s["attendance_attended"], s["attendance_expected"]),
        "opinions": _share(s["opinions"], s["reception_held"]),
        "on_time": _share(s["replied_on_time"], s["replied"]),
        "resolved": _share(s["resolved"], s["closed"]),
        "satisfaction": _share(s["satisfied"], s["rated"]),
        "repeats": _share(s["repeats"], s["opinions"]),
    }


def has_data(sums: Mapping[str, Any]) -> bool:
    return any(int(sums.get(key) or 0) for key in ("activities", "reception_due", "reception_planned", "opinions"))


def normalise(key: str, value: float | None, target: float) -> float | None:
    if value is None:
        return None
    if target <= 0:
        return 1.0 if key not in NEGATIVE else (1.0 if value <= 0 else 0.0)
    if key in NEGATIVE:
        return max(0.0, 1.0 - value / target)
    return min(1.0, value / target)


def score(sums: Mapping[str, Any], months: int, goal: Mapping[str, float] | None = None,
          weight: Mapping[str, float] | None = None) -> tuple[dict[str, float | None], dict[str, float | None],
                                                             float | None]:
    """(values, scores, index) of one site; all None when it has no data in the period. ``goal`` and
    ``weight`` default to the settings' (pass them when scoring many sites)."""
    if not has_data(sums):
        return dict.fromkeys(COMPONENTS), dict.fromkeys(COMPONENTS), None
    vals = values(sums, months)
    goal, weight = goal or targets(), weight or weights()
    scores = {key: normalise(key, vals[key], goal[key]) for key in COMPONENTS}
    used = [key for key in COMPONENTS if scores[key] is not None and weight[key] > 0]
    total = sum(weight[key] for key in used)
    if not total:
        return vals, scores, None
    index = sum(weight[key] * (scores[key] or 0.0) for key in used) / total * 100
    return vals, scores, math.floor(index * 10 + 0.5 + 1e-9) / 10  # one decimal, halves up


def _number(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


def formula_text() -> str:
    """The formula as a translated sentence listing the weights and targets (shown on the dashboard)."""
    weight, goal = weights(), targets()
    parts = []
    for key in COMPONENTS:
        if key in RATIOS:
            target = gettext("%(percent)s%%") % {"percent": _number(round(goal[key] * 100, 1))}
        else:
            target = _number(goal[key])
        if key in NEGATIVE:
            parts.append(gettext("%(name)s %(weight)s%% (0 at %(target)s or more)")
                         % {"name": LABELS[key], "weight": _number(weight[key]), "target": target})
        else:
            parts.append(gettext("%(name)s %(weight)s%% (target %(target)s)")
                         % {"name": LABELS[key], "weight": _number(weight[key]), "target": target})
    return gettext(
        "Effectiveness index = weighted mean of the components below × 100, each component scored as its "
        "value divided by its target (at most 1; repeat complaints count against the site); components "
        "without data in the period are left out and the other weights scale up; sites with no activity, "
        "reception day or opinion in the period have no index. Weights and targets: %(parts)s."
    ) % {"parts": gettext("; ").join(parts)}

"""The effectiveness index against a hand computation; settings; the formula sentence."""

from __future__ import annotations

import pytest
from django.utils import translation

from lianxin.dashboard import effectiveness as eff

SUMS = {
    "activities": 6, "reception_due": 4, "reception_held": 3, "reception_planned": 5,
    "attendance_expected": 10, "attendance_attended": 8, "opinions": 12, "replied": 10, "replied_on_time": 9,
    "closed": 8, "resolved": 6, "rated": 5, "satisfied": 4, "repeats": 1,
}


def test_values_and_scores_by_hand():
    values, scores, index = eff.score(SUMS, 3)
    assert values == pytest.approx({"activities": 2.0, "reception": 0.75, "attendance": 0.8, "opinions": 4.0,
                                    "on_time": 0.9, "resolved": 0.75, "satisfaction": 0.8, "repeats": 1 / 12})
    # targets 4, 1.0, 0.9, 3, 0.95, 0.8, 0.9, 0.1 (repeats: 1 - share / 0.1)
    expected = {"activities": 0.5, "reception": 0.75, "attendance": 0.8 / 0.9, "opinions": 1.0,
                "on_time": 0.9 / 0.95, "resolved": 0.75 / 0.8, "satisfaction": 0.8 / 0.9, "repeats": 1 - (1 / 12) / 0.1}
    assert scores == pytest.approx(expected)
    weights = {"activities": 15, "reception": 15, "attendance": 15, "opinions": 10, "on_time": 15, "resolved": 15,
               "satisfaction": 10, "repeats": 5}
    by_hand = sum(weights[k] * expected[k] for k in weights) / 100 * 100
    assert index == pytest.approx(round(by_hand, 1))


def test_missing_components_are_left_out_and_weights_scale():
    sums = {"activities": 8, "reception_due": 0, "opinions": 0}
    values, scores, index = eff.score(sums, 2)
    # activities 4/month = target: score 1; every other component has no denominator
    assert scores["activities"] == 1.0 and all(scores[k] is None for k in eff.COMPONENTS if k != "activities")
    assert index == 100.0


def test_no_data_is_none_not_zero():
    values, scores, index = eff.score({}, 12)
    assert index is None and all(v is None for v in values.values())
    _values, _scores, zero = eff.score({"reception_planned": 2, "reception_due": 2}, 1)
    assert zero == 0.0  # reception days due but none held: real data, index 0


def test_repeats_above_tolerance_score_zero():
    assert eff.normalise("repeats", 0.5, 0.1) == 0.0
    assert eff.normalise("resolved", 2.0, 0.8) == 1.0


def test_settings_change_weights_and_targets(settings):
    settings.EFFECTIVENESS = {"WEIGHTS": dict.fromkeys(eff.COMPONENTS, 0) | {"resolved": 100},
                              "TARGETS": {"resolved": 1.0}}
    _values, _scores, index = eff.score(SUMS, 3)
    assert index == 75.0


def test_formula_lists_weights_and_targets(settings):
    translation.activate("en")
    text = eff.formula_text()
    assert "15%" in text and "95%" in text and "× 100" in text
    settings.EFFECTIVENESS = {"WEIGHTS": {"activities": 40}, "TARGETS": {"activities": 6}}
    text = eff.formula_text()
    assert "40%" in text and "target 6" in text

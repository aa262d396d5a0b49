"""The demo plan without a database: deterministic, and the figures the issue asks for."""

from collections import Counter

import pytest

from lianxin.demo.generator import DemoSpec, apportion, build_plan


@pytest.fixture(scope="module")
def plan():
    return build_plan()


def test_the_plan_is_the_same_for_the_same_seed(plan):
    first, second = plan, build_plan()
    assert [(s.code, s.name, s.tier, s.address) for s in first.sites] == [
        (s.code, s.name, s.tier, s.address) for s in second.sites
    ]
    assert [(p.name, p.phone, p.site.code) for p in first.persons] == [
        (p.name, p.phone, p.site.code) for p in second.persons
    ]


def test_the_plan_has_the_headline_numbers(plan):
    assert len(plan.sites) == 546 and len(plan.persons) == 4906
    kinds = Counter((s.kind, s.tier) for s in plan.sites if s.tier == "exemplary")
    assert kinds == {("station", "exemplary"): 43, ("point", "exemplary"): 57}
    assert len({r.code for r in plan.regions}) == len(plan.regions)
    assert len({u.code for u in plan.units}) == len(plan.units)


def test_another_seed_gives_another_demo(plan):
    assert [p.name for p in build_plan(DemoSpec(seed=1)).persons[:50]] != [p.name for p in plan.persons[:50]]


def test_apportion_respects_minimums_and_total():
    assert apportion(10, [1, 1, 8], [2, 2, 0]) == [2, 2, 6]
    assert sum(apportion(546, [3.5, 1, 9, 2.2], [1, 1, 1, 1])) == 546

"""The greedy grouping on small hand-made cases: bounds, level mix, areas, leaders."""

import pytest

from lianxin.demo.grouping import GroupingError, Member, Place, assign, leaders

TOWN_A, TOWN_B, COUNTY = "/1/2/3/", "/1/2/4/", "/1/2/"


def members(count, level, area, start, lat=37.8):
    return [Member(start + i, frozenset({level}), area, lat + i * 0.001, 112.5) for i in range(count)]


def test_every_member_is_placed_within_its_area_with_mixed_levels():
    people = members(12, 4, TOWN_A, 0) + members(9, 4, TOWN_B, 100, lat=37.9) + members(6, 3, COUNTY, 200)
    places = [Place(1, TOWN_A, 37.80, 112.5), Place(2, TOWN_A, 37.81, 112.5), Place(3, TOWN_B, 37.9, 112.5)]
    result = assign(people, places, min_size=3, max_size=20)

    assert len(result) == len(people)
    by_key = {m.key: m for m in people}
    for key, place in result.items():
        path = {1: TOWN_A, 2: TOWN_A, 3: TOWN_B}[place]
        assert path.startswith(by_key[key].area)
    for place in (1, 2, 3):
        group = [by_key[k] for k, p in result.items() if p == place]
        assert 3 <= len(group) <= 20
        assert len({level for m in group for level in m.levels}) >= 2


def test_a_place_far_from_everyone_still_gets_its_minimum():
    people = members(10, 3, COUNTY, 0) + members(4, 2, COUNTY, 50)
    places = [Place(1, TOWN_A, 37.80, 112.5), Place(2, TOWN_B, 38.5, 113.5)]  # nobody lives near place 2
    result = assign(people, places, min_size=3, max_size=20)
    assert all(list(result.values()).count(p) >= 3 for p in (1, 2))


def test_impossible_mix_raises():
    with pytest.raises(GroupingError):
        assign(members(6, 4, TOWN_A, 0), [Place(1, TOWN_A, 37.8, 112.5)], min_size=3, max_size=20)


def test_member_without_a_place_in_its_area_raises():
    with pytest.raises(GroupingError):
        assign(members(3, 4, TOWN_B, 0), [Place(1, TOWN_A, 37.8, 112.5)])


def test_leader_is_the_highest_level_member():
    people = members(3, 4, TOWN_A, 0) + [Member(9, frozenset({1, 4}), TOWN_A, 37.8, 112.5)]
    assert leaders(people, {m.key: 1 for m in people}) == {9}

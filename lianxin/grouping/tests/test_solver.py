import pytest

from lianxin.grouping import solver
from lianxin.grouping.solver import DeputyIn, SiteIn, Weights


def d(key, levels, allowed, distances, current=None):
    return DeputyIn(key, frozenset(levels), tuple(allowed), tuple(distances), current)


SMALL = [
    d(1, {"township"}, [1, 2], [1, 3]),
    d(2, {"county"}, [1, 2], [1, 2]),
    d(3, {"township"}, [1, 2], [2, 5]),
]
SITES = [SiteIn(1, 1, 2), SiteIn(2, 1, 2)]


def test_distance_only_optimum():
    # hand-computed: one deputy must go to site 2; the cheapest extra is deputy 2 (+1 km): 1 + 2 + 2 = 5
    result = solver.solve(SMALL, SITES, Weights(level_reward=0, move_penalty=0), time_limit=10)
    assert result.status == solver.OPTIMAL
    assert result.assignment == {1: 1, 2: 2, 3: 1}
    assert result.objective == pytest.approx(5)
    assert result.gap == 0


def test_level_reward_mixes_levels():
    # sending deputy 1 to site 2 costs 6 km but gives 3 level-presences: 6 - 15 = -9 (best of the three)
    result = solver.solve(SMALL, SITES, Weights(level_reward=5, move_penalty=0), time_limit=10)
    assert result.assignment == {1: 2, 2: 1, 3: 1}
    assert result.objective == pytest.approx(-9)
    assert result.bound == pytest.approx(-9)


def test_move_penalty_keeps_current_site():
    deputies = [d(1, {"township"}, [1, 2], [1.0, 1.2], current=2), d(2, {"county"}, [1, 2], [1, 1])]
    sites = [SiteIn(1, 0, 2), SiteIn(2, 0, 2)]
    assert solver.solve(deputies, sites, Weights(level_reward=0, move_penalty=0)).assignment[1] == 1
    assert solver.solve(deputies, sites, Weights(level_reward=0, move_penalty=0.5)).assignment[1] == 2


def test_site_below_minimum_is_explained():
    deputies = [d(1, {"county"}, [1], [1]), d(2, {"county"}, [1, 2], [1, 1]), d(3, {"county"}, [1], [1])]
    result = solver.solve(deputies, [SiteIn(1, 1, 5, "A"), SiteIn(2, 3, 5, "B")])
    assert result.status == solver.INFEASIBLE and not result.assignment
    assert "site B cannot reach its minimum of 3: only 1 deputies may be placed there" in result.problems


def test_deputy_without_site_and_capacity():
    deputies = [d(1, {"county"}, [], [], None), d(2, {"county"}, [1], [1]), d(3, {"county"}, [1], [1])]
    deputies[0] = DeputyIn(1, frozenset({"county"}), (), (), None, "王")
    result = solver.solve(deputies, [SiteIn(1, 0, 1, "A")])
    assert "deputy 王 has no allowed site within reach" in result.problems
    assert "total capacity 1 is below the 3 deputies" in result.problems


def test_hall_shortfall_is_explained():
    deputies = [d(k, {"township"}, [1], [1]) for k in range(1, 4)] + [d(k, {"county"}, [1, 2], [1, 1]) for k in (4, 5)]
    result = solver.solve(deputies, [SiteIn(1, 0, 2, "A"), SiteIn(2, 0, 10, "B")])
    assert result.status == solver.INFEASIBLE
    assert result.problems == ["3 deputies (#1, #2, #3) may only go to 1 sites (A), which hold at most 2 together"]


def test_hall_minimum_shortfall_is_explained():
    deputies = [d(1, {"county"}, [1, 2], [1, 1]), d(2, {"county"}, [1, 2], [1, 1]), d(3, {"county"}, [3], [1]),
                d(4, {"county"}, [3], [1])]
    result = solver.solve(deputies, [SiteIn(1, 2, 5, "A"), SiteIn(2, 2, 5, "B"), SiteIn(3, 0, 5, "C")])
    assert result.problems == [
        "2 sites (A, B) need at least 4 deputies together, but only 2 may be placed there"
    ]


def test_area_rules():
    levels = {"/14/": 1, "/14/1401/": 2, "/14/1401/140105/": 3, "/14/1401/140105/001/": 4,
              "/14/1401/140105/001/002/": 5}
    rules = solver.DEFAULT_AREA_BY_LEVEL
    village = "/14/1401/140105/001/002/"
    assert solver.seat_area("township", village, levels, rules) == "/14/1401/140105/001/"
    assert solver.seat_area("county", village, levels, rules) == "/14/1401/140105/"
    assert solver.seat_area("county", "/14/1401/140105/", levels, rules) == "/14/1401/140105/"
    assert solver.seat_area("municipal", "/14/1401/140105/", levels, rules) == "/14/1401/140105/"
    assert solver.seat_area("national", "/14/1401/", levels, rules) == "/14/1401/"
    assert solver.deputy_area(["/14/1401/140105/", "/14/1401/140105/001/"]) == "/14/1401/140105/001/"


def test_nearest_sites_within_area_plus_current():
    index = solver.SiteIndex([(1, "/a/x/", 37.80, 112.50), (2, "/a/x/", 37.90, 112.50),
                              (3, "/a/y/", 37.80, 112.51), (4, "/a/x/", 38.50, 112.50)])
    keys, dists = index.nearest("/a/x/", [(37.80, 112.50), None], 1)
    assert keys == (1,) and dists == (0.0,)
    keys, dists = index.nearest("/a/x/", [(38.0, 112.5), (37.80, 112.50)], 2, current=4)
    assert keys == (1, 2, 4)
    assert dists[1] == pytest.approx(solver.distance_km(37.9, 112.5, 38.0, 112.5), abs=1e-3)
    assert index.nearest("/a/z/", [None], 3) == ((), ())


def test_min_levels_makes_mixing_a_rule_not_only_a_reward():
    """Two sites, four deputies: the nearest grouping puts both township deputies at A; with
    min_levels=2 each site must mix a township and a county deputy."""
    from lianxin.grouping import solver

    deputies = [
        solver.DeputyIn(1, frozenset({"township"}), (10, 20), (0.1, 5.0)),
        solver.DeputyIn(2, frozenset({"township"}), (10, 20), (0.1, 5.0)),
        solver.DeputyIn(3, frozenset({"county"}), (20, 10), (0.1, 5.0)),
        solver.DeputyIn(4, frozenset({"county"}), (20, 10), (0.1, 5.0)),
    ]
    sites = [solver.SiteIn(10, 1, 3), solver.SiteIn(20, 1, 3)]
    free = solver.solve(deputies, sites, solver.Weights(level_reward=0.0), time_limit=10)
    assert free.assignment == {1: 10, 2: 10, 3: 20, 4: 20}
    mixed = solver.solve(deputies, sites, solver.Weights(level_reward=0.0), time_limit=10, min_levels=2)
    assert mixed.status == solver.OPTIMAL
    for site in (10, 20):
        levels = {level for d in deputies if mixed.assignment[d.key] == site for level in d.levels}
        assert levels == {"township", "county"}

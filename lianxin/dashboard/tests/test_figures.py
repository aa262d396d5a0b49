"""The figures contract against counts made here, scoping, and query counts constant in rows."""

from __future__ import annotations

import datetime

import pytest

from lianxin.dashboard import figures, rollups, stats
from lianxin.dashboard.coverage import scope_for
from lianxin.opinions.models import Opinion
from lianxin.stations.models import Station

from .test_rollups import NOW, activity, at, build, category, frozen, opinion  # noqa: F401

pytestmark = pytest.mark.django_db
SINCE = datetime.date(2020, 1, 1)
PERIOD = (datetime.date(2024, 1, 1), datetime.date(2024, 6, 30))


def city(world):
    return scope_for(world.users["city_admin"])


def district(world):
    return scope_for(world.users["district_admin"])


def test_headline_equals_stats(world):
    build(world)
    Station.objects.filter(pk=world.point_a.pk).update(tier=Station.Tier.EXEMPLARY)
    rollups.refresh()
    for scope, region in ((city(world), world.city), (district(world), world.district_a),
                          (figures.scope_for_region(world.district_b), world.district_b)):
        head, ref = figures.headline(scope, SINCE), stats.headline_figures(region)
        assert head["stations"] == ref["sites"]["stations"]
        assert head["points"] == ref["sites"]["points"]
        assert head["townships"] == ref["townships"]["total"]
        assert head["townships_covered"] == ref["townships"]["covered"]
        assert head["deputies"] == ref["deputies"]["active"]
        assert head["deputies_assigned"] == ref["deputies"]["active"] - ref["coverage"]["deputies_without_site"]
        assert head["activities"] == ref["activities"]["held"]
        assert head["opinions_heard"] == ref["opinions"]["heard"]
        assert head["matters_resolved"] == ref["opinions"]["resolved"]
        assert head["exemplary_stations"] == ref["sites"]["exemplary_stations"]
        assert head["exemplary_points"] == ref["sites"]["exemplary_points"]
    head = figures.headline(city(world), SINCE)
    assert (head["activities"], head["opinions_heard"], head["matters_resolved"]) == (4, 6, 2)
    assert (head["stations"], head["points"], head["exemplary_points"]) == (2, 1, 1)
    assert head["deputies"] == 2 and head["assigned_share"] == 100.0


def test_headline_since_a_day_inside_a_month(world):
    build(world)
    rollups.refresh()
    head = figures.headline(city(world), datetime.date(2024, 3, 9))
    # held from 9 March: 9 March (reception) and the two April activities; opinions from 9 March: April's 2
    assert head["activities"] == 3
    assert head["opinions_heard"] == 2 and head["matters_resolved"] == 1
    head = figures.headline(city(world), datetime.date(2024, 4, 1))
    assert head["activities"] == 2


def test_district_admin_sees_only_its_district(world):
    build(world)
    rollups.refresh()
    mine, theirs = district(world), scope_for(world.outsider)
    head = figures.headline(mine, SINCE)
    assert (head["activities"], head["opinions_heard"], head["stations"]) == (3, 5, 1)
    assert figures.headline(theirs, SINCE)["activities"] == 1
    assert {e.station_id for e in figures.effectiveness(mine, *PERIOD)} == {world.station_a.pk, world.point_a.pk}
    assert [d["name"] for d in figures.districts(mine, *PERIOD)] == [world.district_a.name]
    assert sum(t["activities"] for t in figures.trends(theirs, 6)) == 1
    assert dict(figures.categories(theirs, *PERIOD)) == {"城乡建设": 1}
    assert {p["id"] for p in figures.map_points(theirs)} == {world.station_b.pk}
    assert figures.quiet_sites(theirs).count == 0 and figures.quiet_deputies(theirs).count == 0


def test_site_manager_sees_its_sites(world):
    build(world)
    rollups.refresh()
    scope = scope_for(world.users["site_manager"])
    assert figures.headline(scope, SINCE)["activities"] == 3
    assert [e.station_id for e in figures.effectiveness(scope, *PERIOD)] == [world.station_a.pk]


def test_effectiveness_rows(world):
    build(world)
    rollups.refresh()
    effects = figures.effectiveness(city(world), *PERIOD)
    assert [e.station_id for e in effects] == [world.station_b.pk, world.station_a.pk, world.point_a.pk]
    a = next(e for e in effects if e.station_id == world.station_a.pk)
    # station A over January–June (6 months): 3 held, reception 1 of 3 due, attendance 2 of 4,
    # 4 opinions / 1 reception day held, on time 2 of 3 replied, resolved 1 of 2 closed, satisfied 2 of 3,
    # repeats 1 of 4
    assert a.values == pytest.approx({"activities": 0.5, "reception": 1 / 3, "attendance": 0.5, "opinions": 4.0,
                                      "on_time": 2 / 3, "resolved": 0.5, "satisfaction": 2 / 3, "repeats": 0.25})
    scores = {"activities": 0.125, "reception": 1 / 3, "attendance": 0.5 / 0.9, "opinions": 1.0,
              "on_time": (2 / 3) / 0.95, "resolved": 0.625, "satisfaction": (2 / 3) / 0.9, "repeats": 0.0}
    weights = {"activities": 15, "reception": 15, "attendance": 15, "opinions": 10, "on_time": 15, "resolved": 15,
               "satisfaction": 10, "repeats": 5}
    assert a.index == pytest.approx(round(sum(weights[k] * scores[k] for k in weights), 1))
    assert (a.code, a.district, a.kind, a.lat) == (world.station_a.code, world.district_a.name, "station", 37.8)
    assert len(a.cells) == 8 and a.cells[1] == pytest.approx(100 / 3)
    point = effects[-1]
    assert point.station_id == world.point_a.pk and point.index is None


def test_districts_and_trends_and_categories(world):
    build(world)
    rollups.refresh()
    rows = {d["name"]: d for d in figures.districts(city(world), *PERIOD)}
    a, b = rows[world.district_a.name], rows[world.district_b.name]
    assert (a["sites"], a["activities"], a["opinions"], a["resolved_share"], a["satisfaction"]) == (
        2, 3, 5, 50.0, pytest.approx(66.7))
    assert (b["sites"], b["activities"], b["opinions"], b["resolved_share"], b["satisfaction"]) == (1, 1, 1, 100.0, None)
    assert b["mean_index"] == next(e.index for e in figures.effectiveness(city(world), *PERIOD)
                                   if e.station_id == world.station_b.pk)
    trend = figures.trends(city(world), months=4)
    assert [t["month"] for t in trend] == [datetime.date(2024, m, 1) for m in (3, 4, 5, 6)]
    assert [(t["activities"], t["reception_held"], t["opinions"], t["resolved"]) for t in trend] == [
        (2, 1, 4, 1), (2, 0, 2, 1), (0, 0, 0, 0), (0, 0, 0, 0)]
    assert trend[0]["satisfaction"] == pytest.approx(66.7) and trend[2]["satisfaction"] is None
    assert figures.categories(city(world), *PERIOD) == [("城乡建设", 5), ("环境", 1)]
    assert figures.categories(city(world), datetime.date(2024, 5, 1), datetime.date(2024, 6, 30)) == []


def test_quiet_sites_and_deputies(world):
    build(world)
    rollups.refresh()
    sites = figures.quiet_sites(city(world), days=90)  # since 17 March: station A (3 April) and B are busy
    assert sites.count == 1 and [s["id"] for s in sites.rows] == [world.point_a.pk]
    assert sites.rows[0]["district"] == world.district_a.name
    assert figures.quiet_sites(city(world), days=60).count == 3
    deputies = figures.quiet_deputies(city(world), days=90)  # deputy A attended last on 9 March
    assert deputies.count == 1 and [d["id"] for d in deputies] == [world.deputy_a.pk]
    assert figures.quiet_deputies(city(world), days=180).count == 0


def test_overdue_live(world):
    build(world)
    late = opinion(world, world.station_a, status="transferred", due_at=at(datetime.date(2024, 6, 1)),
                   unit=world.unit_a)
    opinion(world, world.station_a, status="accepted", due_at=at(datetime.date(2024, 6, 20)))  # not yet due
    opinion(world, world.station_b, status="accepted", due_at=at(datetime.date(2024, 5, 1)))
    opinion(world, world.station_a, status="closed", outcome="resolved", due_at=at(datetime.date(2024, 1, 1)))
    data = figures.overdue(district(world))
    assert data["count"] == 1
    assert data["oldest"] == [{"id": late.pk, "title": late.title, "due_at": late.due_at, "site": world.station_a.name,
                               "unit": world.unit_a.name, "days_overdue": 14}]
    assert figures.overdue(city(world))["count"] == 2


def test_effects_computed_once_per_scope_and_period(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    build(world)
    rollups.refresh()
    scope = city(world)
    first = figures.effectiveness(scope, *PERIOD)
    with CaptureQueriesContext(connection) as captured:
        again = figures.effectiveness(scope, datetime.date(2024, 1, 15), datetime.date(2024, 6, 2))
    assert len(captured.captured_queries) == 0
    assert again == first and again is not first


def test_map_points_and_last_refresh(world):
    assert figures.last_refresh() is None
    build(world)
    rollups.refresh()
    assert figures.last_refresh() == NOW
    points = {p["id"]: p for p in figures.map_points(city(world))}
    assert set(points) == {world.station_a.pk, world.station_b.pk, world.point_a.pk}
    assert points[world.station_a.pk]["url"].endswith(f"/{world.station_a.pk}/")
    assert points[world.point_a.pk]["index"] is None and points[world.station_b.pk]["index"] is not None


def test_query_counts_constant_in_rows(world, django_assert_max_num_queries):
    build(world)
    rollups.refresh()

    def run_all(scope):
        figures.headline(scope, datetime.date(2020, 1, 15))
        figures.effectiveness(scope, *PERIOD)
        figures.districts(scope, *PERIOD)
        figures.trends(scope)
        figures.categories(scope, *PERIOD)
        figures.quiet_sites(scope)
        figures.quiet_deputies(scope)
        figures.overdue(scope)
        figures.map_points(scope)
        figures.last_refresh()

    scope = city(world)
    with django_assert_max_num_queries(40) as before:
        run_all(scope)
    for n in range(30):
        activity(world.station_b, datetime.date(2024, 1 + n % 5, 1 + n % 28), attendees=[(world.deputy_b, True)])
        opinion(world, world.station_a, day=datetime.date(2024, 1 + n % 5, 3), cat=category(f"c{n % 4}", f"类{n % 4}"),
                status="accepted", due_at=at(datetime.date(2024, 5, 1)))
    rollups.refresh()
    with django_assert_max_num_queries(len(before.captured_queries)) as after:
        run_all(city(world))  # a new scope: nothing remembered from the first run
    assert len(after.captured_queries) == len(before.captured_queries)
    assert Opinion.objects.count() > 30


def test_work_reports_visible_to_admins_of_the_area(world):
    from lianxin.dashboard.models import WorkReport

    def report(region):
        return WorkReport.objects.create(region=region, period="month", starts_on=datetime.date(2024, 5, 1),
                                         ends_on=datetime.date(2024, 5, 31), format="pdf")

    city_report, a_report, b_report = report(world.city), report(world.district_a), report(world.district_b)
    assert set(WorkReport.objects.visible_to(world.users["city_admin"])) == {city_report, a_report, b_report}
    assert set(WorkReport.objects.visible_to(world.users["district_admin"])) == {a_report}
    assert set(WorkReport.objects.visible_to(world.outsider)) == {b_report}
    assert not WorkReport.objects.visible_to(world.users["site_manager"]).exists()
    assert set(WorkReport.objects.visible_to(world.superuser)) == {city_report, a_report, b_report}
    name = city_report._meta.get_field("file").generate_filename(city_report, "x.pdf")
    assert name.startswith("reports/") and name.endswith(".pdf") and len(name) == len("reports/") + 24 + 4


def test_quiet_deputies_count_reused_from_the_headline(world, django_assert_max_num_queries):
    build(world)
    rollups.refresh()
    scope = city(world)
    figures.headline(scope, SINCE)
    with django_assert_max_num_queries(1):  # the rows only: the count came with the headline
        quiet = figures.quiet_deputies(scope, days=180)
    assert quiet.count == figures.quiet_deputies(city(world), days=180).count == 0
    scope = city(world)
    figures.headline(scope, SINCE)
    assert figures.quiet_deputies(scope, days=90).count == 1  # another window: counted anew

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.urls import reverse

from lianxin.accounts.models import AuditEntry as AuditLog
from lianxin.accounts.models import Role
from lianxin.deputies.models import Assignment, Deputy, Level, Seat
from lianxin.grouping import services
from lianxin.grouping.models import GroupingRun, Proposal
from lianxin.testing import make_station

PARAMS = {"min_size": "0", "max_size": "5", "level_reward": "5", "move_penalty": "0.5", "time_limit": "10"}


@pytest.fixture
def area(world):
    """District A: two sites near each other, a third far away; three deputies living near the far one."""
    far = make_station("S-FAR", "远站", world.street_a, latitude=Decimal("37.900000"), longitude=Decimal("112.700000"))
    deputies = []
    for i, level in enumerate([Level.TOWNSHIP, Level.COUNTY, Level.TOWNSHIP]):
        deputy = Deputy.objects.create(name=f"代表{i}", gender="m", home_latitude=Decimal("37.900000"),
                                       home_longitude=Decimal("112.700000"))
        Seat.objects.create(deputy=deputy, level=level, term=1, constituency=world.street_a)
        deputies.append(deputy)
    world.deputy_a.home_latitude, world.deputy_a.home_longitude = Decimal("37.8"), Decimal("112.58")
    world.deputy_a.save()
    return far, deputies


def test_run_task_and_diff(world, area, django_capture_on_commit_callbacks):
    far, deputies = area
    admin = world.users[Role.DISTRICT_ADMIN]
    with django_capture_on_commit_callbacks(execute=True):
        run = services.start_run(admin, world.district_a, PARAMS)
    run.refresh_from_db()  # huey is immediate in tests
    assert run.status == GroupingRun.Status.DONE and run.solver_status == "optimal" and run.gap == 0
    counts = services.counts(run)
    assert counts == {"move": 0, "new": 3, "stay": 1}
    assert set(run.proposals.filter(kind="new").values_list("to_station", flat=True)) == {far.pk}
    assert run.proposals.get(deputy=world.deputy_a).kind == Proposal.Kind.STAY
    assert not run.proposals.filter(deputy=world.deputy_b).exists()  # other district


def test_apply_all_and_part_with_history(world, area):
    far, deputies = area
    admin = world.users[Role.CITY_ADMIN]
    run = services.execute_run(GroupingRun.objects.create(area=world.district_a, params=services.clean_params(PARAMS)))
    first = run.proposals.get(deputy=deputies[0])
    assert services.apply_run(admin, run, [first.pk]) == 1
    assert Assignment.objects.current().filter(deputy__in=deputies).count() == 1
    assert services.apply_run(admin, run) == 2  # the remaining two
    assert services.apply_run(admin, run) == 0
    assert Assignment.objects.current().filter(deputy__in=deputies, station=far).count() == 3
    assert AuditLog.objects.filter(action="grouping.apply").count() == 3


def test_move_ends_old_assignment(world, area):
    far, deputies = area
    admin = world.users[Role.CITY_ADMIN]
    Assignment.objects.create(deputy=deputies[0], station=world.station_a)
    run = services.execute_run(GroupingRun.objects.create(area=world.district_a, params=services.clean_params(PARAMS)))
    move = run.proposals.get(deputy=deputies[0])
    assert move.kind == "move" and move.to_station == far and move.reason == "nearer"
    assert move.distance_before > move.distance_after
    services.apply_run(admin, run, [move.pk])
    history = Assignment.objects.filter(deputy=deputies[0]).order_by("id")
    assert [(a.station_id, a.ended_on is None) for a in history] == [(world.station_a.pk, False), (far.pk, True)]


def test_infeasible_run_explains_and_changes_nothing(world, area):
    before = Assignment.objects.count()
    run = services.execute_run(GroupingRun.objects.create(
        area=world.district_a, params=services.clean_params({**PARAMS, "min_size": "3"})))
    assert run.status == GroupingRun.Status.INFEASIBLE
    assert any("minimum sizes add up" in msgid for msgid, _ in run.explanation)
    assert Proposal.objects.count() == 0 and Assignment.objects.count() == before


def test_scoping(world, area, client_for):
    outsider = world.outsider  # district B admin
    with pytest.raises(PermissionDenied):
        services.start_run(outsider, world.district_a, PARAMS)
    with pytest.raises(PermissionDenied):
        services.start_run(world.users[Role.SITE_MANAGER], world.street_a, PARAMS)
    run = services.execute_run(GroupingRun.objects.create(area=world.district_a, params=services.clean_params(PARAMS)))
    with pytest.raises(PermissionDenied):
        services.apply_run(outsider, run)
    assert client_for(outsider).get(reverse("grouping:detail", args=[run.pk])).status_code == 404
    assert client_for(world.users[Role.SITE_MANAGER]).get(reverse("grouping:list")).status_code == 403


def test_bad_parameters_change_nothing(world, client_for):
    client = client_for(world.users[Role.DISTRICT_ADMIN])
    response = client.post(reverse("grouping:list"), {"area": world.district_a.pk, **PARAMS, "min_size": "9"})
    assert response.status_code == 400 and GroupingRun.objects.count() == 0
    response = client.post(reverse("grouping:list"), {"area": world.district_b.pk, **PARAMS})
    assert response.status_code == 400 and GroupingRun.objects.count() == 0


def test_pages(world, area, client_for, django_assert_max_num_queries, django_capture_on_commit_callbacks):
    client = client_for(world.users[Role.DISTRICT_ADMIN])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("grouping:list"), {"area": world.district_a.pk, **PARAMS})
    run = GroupingRun.objects.get()
    assert response.status_code == 302
    with django_assert_max_num_queries(15):
        page = client.get(reverse("grouping:detail", args=[run.pk]))
    assert page.status_code == 200 and page.content.decode().count('data-testid="proposal"') == 4
    ids = list(run.proposals.filter(kind="new").values_list("pk", flat=True)[:2])
    client.post(reverse("grouping:apply", args=[run.pk]), {"scope": "selected", "proposal": ids})
    assert run.proposals.filter(applied_at__isnull=False).count() == 2
    assert client.get(reverse("grouping:list")).status_code == 200


def test_command(world, area, capsys):
    with pytest.raises(CommandError, match="no proposal"):
        call_command("group_deputies", "--area", world.district_a.code, "--apply", "--time-limit", "5",
                     "--user", world.users[Role.CITY_ADMIN].username)
    # the default minimum (3) cannot be met here: explanation printed, nothing applied
    assert Assignment.objects.filter(station__code="S-FAR").count() == 0

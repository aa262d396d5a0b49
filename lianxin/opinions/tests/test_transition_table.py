"""The transition table, exhaustively: every transition × every status × every kind of actor.

For each combination a case in that status (driven there through the real services by the
``world`` personas) meets the transition run by that actor through the service function. It must
succeed exactly when ``transitions.allowed(name, status, actor)`` says so and the case is in the
actor's scope; a refusal must raise ``CaseError`` with the right code and change nothing (status,
version, events, extension requests).

Staff run the named service function with valid input. The citizen and the system have their own
service functions only for their transitions (rate; close_lapsed, escalate); for every other
transition they go through ``services._transition`` — the gate every service function passes.

The cases are built once for the module (inside a transaction rolled back at the end); each test
runs in a savepoint of it, so a successful transition never leaks into the next test.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from lianxin.accounts.models import Role
from lianxin.opinions import services
from lianxin.opinions.errors import CaseError
from lianxin.opinions.models import Category, ExtensionRequest, Opinion, OpinionEvent, Status
from lianxin.opinions.transitions import CITIZEN, SYSTEM, TRANSITIONS, allowed
from lianxin.testing import World, build_world
from lianxin.units.models import HandlingUnit

NOW = timezone.make_aware(datetime.datetime(2027, 3, 1, 10, 0))
ACTORS = [*Role.values, CITIZEN, SYSTEM]
STATUSES = list(Status.values)


@dataclass
class States:
    world: World
    township: HandlingUnit  # the township office of station_a's street: a target every site-side role may use
    cases: dict[str, int]  # status -> pk of a case in that status
    target: int  # an open case to merge into


def _build(world: World) -> States:
    category = Category.objects.create(code="urban", name="城乡建设", name_en="Urban construction")
    township = HandlingUnit.objects.create(
        code="U-140105001", name="坞城街道办事处", region=world.street_a, kind=HandlingUnit.Kind.TOWNSHIP,
        contact_name="办", contact_phone="0351-1111111",
    )
    admin, unit_user = world.users[Role.DISTRICT_ADMIN], world.users[Role.UNIT_STAFF]

    def submitted(title: str) -> Opinion:
        opinion, _ = services.submit_opinion(
            category=category, title=title, text=f"{title}，请尽快处理。", channel="portal",
            station=world.station_a, citizen_name="王小二", citizen_phone="13900001111",
        )
        return opinion

    def accepted(title: str) -> Opinion:
        return services.accept(submitted(title), admin)

    def transferred(title: str) -> Opinion:
        return services.transfer(accepted(title), admin, unit=world.unit_a)

    def replied(title: str) -> Opinion:
        return services.reply(transferred(title), unit_user, text="已安排维修。")

    target = submitted("合并目标")
    builders = {
        Status.SUBMITTED: submitted,
        Status.ACCEPTED: accepted,
        Status.TRANSFERRED: transferred,
        Status.REPLIED: replied,
        Status.CLOSED: lambda t: services.rate(replied(t), satisfaction="satisfied", resolved=True),
        Status.REJECTED: lambda t: services.reject(submitted(t), admin, reason="petition"),
        Status.MERGED: lambda t: services.merge(submitted(t), admin, into=target),
    }
    cases = {}
    for status, build in builders.items():
        opinion = build(f"路灯不亮{status}")
        assert opinion.status == status
        cases[str(status)] = opinion.pk
    return States(world, township, cases, target.pk)


@pytest.fixture(scope="module")
def states(django_db_setup: Any, django_db_blocker: Any) -> Any:
    traveller = time_machine.travel(NOW, tick=False)
    traveller.start()
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build(build_world())
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            traveller.stop()


def _noop(opinion: Opinion, at: datetime.datetime) -> None:
    return None


# Each staff transition's service function with valid input.
STAFF_CALLS = {
    "accept": lambda pk, u, st: services.accept(pk, u),
    "reject": lambda pk, u, st: services.reject(pk, u, reason="petition"),
    "merge": lambda pk, u, st: services.merge(pk, u, into=Opinion.objects.get(pk=st.target)),
    "answer": lambda pk, u, st: services.answer(pk, u, reply="已当场答复。"),
    "transfer": lambda pk, u, st: services.transfer(pk, u, unit=st.township),
    "acknowledge": lambda pk, u, st: services.acknowledge(pk, u),
    "reply": lambda pk, u, st: services.reply(pk, u, text="已处理完毕。"),
    "return_case": lambda pk, u, st: services.return_case(pk, u, reason="不属于本单位职责。"),
    "request_extension": lambda pk, u, st: services.request_extension(pk, u, working_days=5, reason="需现场勘查。"),
    "decide_extension": lambda pk, u, st: services.decide_extension(pk, u, approve=True),
    "escalate": lambda pk, u, st: services.escalate(pk, u, note="逾期督办"),
}


def attempt(name: str, pk: int, actor: str, st: States) -> Opinion:
    if actor == CITIZEN:
        if name == "rate":
            return services.rate(pk, satisfaction="satisfied", resolved=True)
        return services._transition(pk, name, services.CITIZEN_ACTOR, _noop)
    if actor == SYSTEM:
        if name == "close_lapsed":
            return services.close_lapsed(pk)
        if name == "escalate":
            return services.escalate(pk, None)
        return services._transition(pk, name, services.SYSTEM_ACTOR, _noop)
    user = st.world.users[actor]
    if name in STAFF_CALLS:
        return STAFF_CALLS[name](pk, user, st)
    # rate / close_lapsed have no staff entry point: try the staff actor at the common gate.
    return services._transition(pk, name, services.Actor.of(user), _noop)


def in_scope(actor: str, opinion: Opinion, st: States) -> bool:
    """Who may touch a case of station_a (district A) — stated here, then checked against visible_to."""
    if actor in (CITIZEN, SYSTEM):
        return True
    expected = {
        Role.CITY_ADMIN: True,
        Role.DISTRICT_ADMIN: True,
        Role.SITE_MANAGER: True,  # manages station_a
        Role.DEPUTY: True,  # deputy_a serves at station_a
        Role.UNIT_STAFF: opinion.unit_id == st.world.unit_a.pk,
        Role.AUDITOR: False,
    }[Role(actor)]
    visible = Opinion.objects.visible_to(st.world.users[actor]).filter(pk=opinion.pk).exists()
    assert visible == expected or (actor == Role.UNIT_STAFF and visible), (actor, visible, expected)
    return expected


def snapshot(pk: int) -> tuple[Any, ...]:
    op = Opinion.objects.get(pk=pk)
    return (op.status, op.version, op.outcome, op.unit_id, op.due_at, op.updated_at, op.escalation_count,
            op.acknowledged_at, op.merged_into_id, OpinionEvent.objects.filter(opinion_id=pk).count(),
            ExtensionRequest.objects.filter(opinion_id=pk).values_list("state", flat=True).first())


def expected_refusal(name: str, status: str, actor: str, opinion: Opinion, st: States) -> str:
    if actor not in TRANSITIONS[name].actors:
        return "not_allowed"
    if not in_scope(actor, opinion, st):
        return "not_found"
    assert not allowed(name, status, actor)
    return "wrong_state"


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("name", list(TRANSITIONS))
def test_transition_succeeds_exactly_when_the_table_and_the_scope_allow_it(
    states: States, db: Any, name: str, status: str, actor: str
) -> None:
    pk = states.cases[status]
    if name == "decide_extension" and status == Status.TRANSFERRED:
        # Something to decide on, so that only the table and the scope can refuse it.
        services.request_extension(pk, states.world.users[Role.UNIT_STAFF], working_days=5, reason="需现场勘查。")
    opinion = Opinion.objects.get(pk=pk)
    should_succeed = allowed(name, status, actor) and in_scope(actor, opinion, states)
    before = snapshot(pk)
    events_before = before[9]

    if should_succeed:
        changed = attempt(name, pk, actor, states)
        changed.refresh_from_db()
        target = TRANSITIONS[name].target
        if name == "rate":
            target = Status.CLOSED  # a satisfied rating closes
        assert changed.status == (target or status)
        assert changed.version == opinion.version + 1
        events = list(OpinionEvent.objects.filter(opinion_id=pk).order_by("created_at", "id"))
        assert len(events) == events_before + 1
        assert (events[-1].action, events[-1].from_status, events[-1].to_status) == (name, status, changed.status)
        staff = actor not in (CITIZEN, SYSTEM)
        assert events[-1].actor_kind == ("staff" if staff else actor)
        assert events[-1].actor_id == (states.world.users[actor].pk if staff else None)
    else:
        code = expected_refusal(name, status, actor, opinion, states)
        with pytest.raises(CaseError) as refused:
            attempt(name, pk, actor, states)
        assert refused.value.code == code
        assert str(refused.value.message)
        assert snapshot(pk) == before


def test_the_table_covers_every_status_and_actor_with_at_least_one_transition_each() -> None:
    # Sanity of the parametrisation: open states have someone who can move them, final ones nobody.
    for status in STATUSES:
        movers = [(n, a) for n in TRANSITIONS for a in ACTORS if allowed(n, status, a)]
        assert bool(movers) == (status in {Status.SUBMITTED, Status.ACCEPTED, Status.TRANSFERRED, Status.REPLIED})
    assert not [n for n in TRANSITIONS for s in STATUSES if allowed(n, s, Role.AUDITOR)]


@pytest.mark.parametrize("name", list(STAFF_CALLS))
def test_an_admin_of_another_district_is_refused_every_staff_transition_as_not_found(
    states: States, db: Any, name: str
) -> None:
    outsider = states.world.outsider
    for status in STATUSES:
        pk = states.cases[status]
        before = snapshot(pk)
        with pytest.raises(CaseError) as refused:
            STAFF_CALLS[name](pk, outsider, states)
        expected = "not_allowed" if Role.DISTRICT_ADMIN not in TRANSITIONS[name].actors else "not_found"
        assert refused.value.code == expected, (name, status)
        assert snapshot(pk) == before

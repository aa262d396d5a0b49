"""Staff opinion endpoints: scoped list with filters and keyset pages, detail, every transition, error codes."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.utils import timezone

from lianxin.accounts.models import AuditEntry, Role
from lianxin.api.services import issue_token
from lianxin.opinions import services
from lianxin.opinions.models import Category, ExtensionRequest, Opinion, OpinionEvent, Status
from lianxin.testing import make_user
from lianxin.units.models import HandlingUnit

NOW = timezone.make_aware(datetime.datetime(2027, 3, 1, 10, 0))
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def category(db):
    return Category.objects.create(code="urban", name="城乡建设", name_en="Urban construction")


@pytest.fixture
def traffic(db):
    return Category.objects.create(code="traffic", name="交通运输")


def submit(world, category, title="小区路灯不亮", station=None, **extra):
    opinion, _ = services.submit_opinion(
        category=category, title=title, text=f"{title}，已经一个月了。", channel="portal",
        station=station or world.station_a, citizen_name="王小二", citizen_phone="13900001111", **extra,
    )
    return opinion


def act(client, opinion, action, **data):
    opinion.refresh_from_db()
    data.setdefault("expected_version", opinion.version)
    return client.post(f"/api/v1/opinions/{opinion.tracking_code}/{action}", data, content_type="application/json")


def codes(response):
    assert response.status_code == 200, response.content
    return [row["tracking_code"] for row in response.json()["items"]]


# ---- list --------------------------------------------------------------------------------------


def test_list_is_scoped_district_b_sees_none_of_district_a(client_for, world, category):
    a = submit(world, category)
    b = submit(world, category, title="道路积水", station=world.station_b)
    assert codes(client_for(world.users[Role.DISTRICT_ADMIN]).get("/api/v1/opinions")) == [a.tracking_code]
    outsider = client_for(world.outsider)
    assert codes(outsider.get("/api/v1/opinions")) == [b.tracking_code]
    assert outsider.get(f"/api/v1/opinions/{a.tracking_code}").json()["code"] == "not_found"
    assert codes(client_for(world.users[Role.UNIT_STAFF]).get("/api/v1/opinions")) == []


def test_list_needs_a_staff_account_or_token(client, world, category):
    response = client.get("/api/v1/opinions")
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
    _token, raw = issue_token(world.users[Role.CITY_ADMIN], "client")
    submit(world, category)
    response = client.get("/api/v1/opinions", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert len(codes(response)) == 1


def test_list_filters(client_for, world, category, traffic):
    admin = world.users[Role.CITY_ADMIN]
    lamp = submit(world, category, deputy=world.deputy_a)
    with time_machine.travel(NOW - datetime.timedelta(days=10), tick=False):
        old = submit(world, traffic, title="公交站牌损坏")
    other = submit(world, traffic, title="道路积水严重", station=world.station_b)
    services.accept(lamp, admin)
    services.transfer(lamp, admin, unit=world.unit_a)
    client = client_for(admin)
    get = lambda **q: set(codes(client.get("/api/v1/opinions", q)))  # noqa: E731
    assert get(status="transferred") == {lamp.tracking_code}
    assert get(category="traffic") == {old.tracking_code, other.tracking_code}
    assert get(region="140106") == {other.tracking_code}
    assert get(region="140105") == {lamp.tracking_code, old.tracking_code}
    assert get(station=world.station_b.code) == {other.tracking_code}
    assert get(unit=world.unit_a.code) == {lamp.tracking_code}
    assert get(deputy=world.deputy_a.pk) == {lamp.tracking_code}
    assert get(date_from="2027-02-25") == {lamp.tracking_code, other.tracking_code}
    assert get(date_to="2027-02-25") == {old.tracking_code}
    assert get(q="积水") == {other.tracking_code}
    assert get(q="路灯 一个月") == {lamp.tracking_code}
    bad = client.get("/api/v1/opinions", {"status": "lost"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"
    assert client.get("/api/v1/opinions", {"region": "999999"}).json()["code"] == "invalid"


def test_list_pages_by_keyset_newest_first_each_row_once(client_for, world, category):
    made = []
    for i in range(7):
        with time_machine.travel(NOW - datetime.timedelta(hours=i), tick=False):
            made.append(submit(world, category, title=f"意见{i}").tracking_code)
    client = client_for(world.users[Role.DISTRICT_ADMIN])
    seen, cursor = [], None
    while True:
        data = client.get("/api/v1/opinions", {"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        seen += [row["tracking_code"] for row in data["items"]]
        cursor = data["next_cursor"]
        if not cursor:
            break
    assert seen == made


def test_list_query_count_does_not_grow_with_rows(client_for, world, category, django_assert_num_queries):
    admin = world.users[Role.DISTRICT_ADMIN]
    client = client_for(admin)

    def make(n):
        for i in range(n):
            op = submit(world, category, title=f"噪音扰民{i}", deputy=world.deputy_a)
            services.accept(op, admin)
            services.transfer(op, admin, unit=world.unit_a)

    make(2)
    client.get("/api/v1/opinions")  # warm up (content types, sessions)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert len(codes(client.get("/api/v1/opinions", {"q": "噪音"}))) == 2
    make(10)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(codes(client.get("/api/v1/opinions", {"q": "噪音"}))) == 12


# ---- detail ----------------------------------------------------------------------------------


def test_detail_has_events_masked_citizen_and_the_callers_actions(client_for, world, category):
    opinion = submit(world, category)
    services.accept(opinion, world.users[Role.SITE_MANAGER], internal_note="已电话联系")
    data = client_for(world.users[Role.DISTRICT_ADMIN]).get(f"/api/v1/opinions/{opinion.tracking_code}").json()
    assert data["citizen_phone"] == "139****1111" and data["citizen_name"] == "王*二"
    assert "13900001111" not in str(data)
    assert [e["action"] for e in data["events"]] == ["submit", "accept"]
    assert data["events"][1]["internal_note"] == "已电话联系" and data["events"][1]["actor"] == "manager"
    assert data["events"][0]["actor"] is None and data["events"][0]["actor_kind"] == "citizen"
    assert {a["name"] for a in data["actions"]} == {"reject", "merge", "answer", "transfer", "escalate"}
    assert data["version"] == 1


# ---- every staff transition --------------------------------------------------------------------


@pytest.fixture
def township(world):
    return HandlingUnit.objects.create(code="U-140105001", name="坞城街道办事处", region=world.street_a,
                                       kind=HandlingUnit.Kind.TOWNSHIP, contact_name="办", contact_phone="0351-1")


def _ok(response, status):
    assert response.status_code == 200, response.content
    assert response.json()["status"] == status
    return response.json()


def test_accept_transfer_acknowledge_extension_escalate_reply(client_for, world, category, traffic):
    opinion = submit(world, category)
    admin = client_for(world.users[Role.DISTRICT_ADMIN])
    data = _ok(act(admin, opinion, "accept", category="traffic", urgency="urgent", deputy=world.deputy_a.pk,
                   station=world.station_a.code), "accepted")
    assert data["category"]["code"] == "traffic" and data["deputy"]["id"] == world.deputy_a.pk
    _ok(act(admin, opinion, "transfer", unit=world.unit_a.code, working_days=5), "transferred")
    assert AuditEntry.objects.filter(action="opinion.transfer", target_id=str(opinion.pk)).exists()

    unit = client_for(world.users[Role.UNIT_STAFF])
    assert _ok(act(unit, opinion, "acknowledge"), "transferred")["acknowledged_at"]
    _ok(act(unit, opinion, "request_extension", working_days=5, reason="需现场勘查"), "transferred")
    admin = client_for(world.users[Role.DISTRICT_ADMIN])
    _ok(act(admin, opinion, "decide_extension", approve=True, note="同意"), "transferred")
    assert ExtensionRequest.objects.get(opinion=opinion).state == ExtensionRequest.State.APPROVED
    assert _ok(act(admin, opinion, "escalate", note="督办"), "transferred")["escalation_count"] == 1
    unit = client_for(world.users[Role.UNIT_STAFF])
    data = _ok(act(unit, opinion, "reply", text="已更换路灯。"), "replied")
    assert data["reply"] == "已更换路灯。"
    assert list(OpinionEvent.objects.filter(opinion=opinion).values_list("action", flat=True)) == [
        "submit", "accept", "transfer", "acknowledge", "request_extension", "decide_extension", "escalate", "reply"]


def test_reject_with_a_standard_reason(client_for, world, category):
    opinion = submit(world, category)
    data = _ok(act(client_for(world.users[Role.SITE_MANAGER]), opinion, "reject", reason="litigation"), "rejected")
    assert data["events"][-1]["public_note"]  # the standard guidance


def test_merge_into_an_open_case(client_for, world, category):
    main, dup = submit(world, category), submit(world, category, title="路灯又坏了")
    data = _ok(act(client_for(world.users[Role.DEPUTY]), dup, "merge", into=main.tracking_code), "merged")
    assert data["merged_into"] == main.tracking_code


def test_answer_on_the_spot(client_for, world, category):
    opinion = submit(world, category)
    client = client_for(world.users[Role.SITE_MANAGER])
    _ok(act(client, opinion, "accept"), "accepted")
    assert _ok(act(client, opinion, "answer", reply="已当场答复。"), "replied")["reply"] == "已当场答复。"


def test_site_manager_transfers_to_the_township_and_the_unit_returns_it(client_for, world, category, township):
    opinion = submit(world, category)
    client = client_for(world.users[Role.SITE_MANAGER])
    _ok(act(client, opinion, "accept"), "accepted")
    refused = act(client, opinion, "transfer", unit=world.unit_a.code)  # a district department: not from a site
    assert refused.status_code == 422 and refused.json()["code"] == "invalid"
    _ok(act(client, opinion, "transfer", unit=township.code), "transferred")
    clerk = make_user("clerk", Role.UNIT_STAFF, unit=township)
    _ok(act(client_for(clerk), opinion, "return_case", reason="应由区住建局办理"), "accepted")
    assert Opinion.objects.get(pk=opinion.pk).returned_count == 1


# ---- refusals: codes, statuses, languages, nothing changed --------------------------------------------


def test_wrong_state_is_409_in_chinese_by_default_and_english_on_request(client_for, world, category):
    opinion = submit(world, category)
    client = client_for(world.users[Role.DISTRICT_ADMIN])
    _ok(act(client, opinion, "accept"), "accepted")
    zh = act(client, opinion, "accept")
    assert zh.status_code == 409 and zh.json()["code"] == "wrong_state"
    assert CJK.search(zh.json()["message"]), zh.json()["message"]
    opinion.refresh_from_db()
    en = client.post(f"/api/v1/opinions/{opinion.tracking_code}/accept", {"expected_version": opinion.version},
                     content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert en.status_code == 409
    assert en.json() == {"code": "wrong_state", "message": "This cannot be done while the case is “Accepted”."}
    assert OpinionEvent.objects.filter(opinion=opinion).count() == 2


def test_stale_expected_version_is_409_conflict(client_for, world, category):
    opinion = submit(world, category)
    client = client_for(world.users[Role.DISTRICT_ADMIN])
    for action, extra in [("accept", {}), ("escalate", {})]:
        response = act(client, opinion, action, expected_version=opinion.version + 5, **extra)
        assert response.status_code == 409 and response.json()["code"] == "conflict", action
    opinion.refresh_from_db()
    assert opinion.status == Status.SUBMITTED and opinion.version == 0
    assert not AuditEntry.objects.filter(action__startswith="opinion.").exists()


def test_role_not_in_the_table_is_403_not_allowed(client_for, world, category):
    opinion = submit(world, category)
    admin = world.users[Role.DISTRICT_ADMIN]
    services.accept(opinion, admin)
    services.transfer(opinion, admin, unit=world.unit_a)
    services.request_extension(opinion, world.users[Role.UNIT_STAFF], working_days=3, reason="x")
    response = act(client_for(world.users[Role.SITE_MANAGER]), opinion, "decide_extension", approve=True)
    assert response.status_code == 403 and response.json()["code"] == "not_allowed"
    assert CJK.search(response.json()["message"])
    assert ExtensionRequest.objects.get(opinion=opinion).state == ExtensionRequest.State.PENDING


def test_out_of_scope_case_is_404_not_found(client_for, world, category):
    opinion = submit(world, category)
    response = act(client_for(world.outsider), opinion, "accept")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert Opinion.objects.get(pk=opinion.pk).status == Status.SUBMITTED


@pytest.mark.parametrize(
    "action, data",
    [("reject", {"reason": "because"}), ("reject", {}), ("answer", {"reply": "  "}), ("transfer", {"unit": "U-x"}),
     ("accept", {"station": "S-140106001"}), ("accept", {"expected_version": "x"}), ("merge", {"into": "ZZZZ"})],
)
def test_bad_input_is_422_invalid_and_changes_nothing(client_for, world, category, action, data):
    opinion = submit(world, category)
    if action in {"answer", "transfer"}:
        services.accept(opinion, world.users[Role.DISTRICT_ADMIN])
    opinion.refresh_from_db()
    before = (opinion.status, opinion.version)
    response = act(client_for(world.users[Role.DISTRICT_ADMIN]), opinion, action, **data)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid" and response.json()["message"]
    opinion.refresh_from_db()
    assert (opinion.status, opinion.version) == before


def test_every_staff_transition_is_an_endpoint_with_documented_errors(client, db):
    from lianxin.api.opinions import STAFF_ACTIONS
    from lianxin.opinions.transitions import TRANSITIONS

    schema = client.get("/api/v1/openapi.json").json()
    staff = {n for n, t in TRANSITIONS.items() if t.actors - {"citizen", "system"}}
    assert staff == set(STAFF_ACTIONS)
    for name in STAFF_ACTIONS:
        operation = schema["paths"][f"/api/v1/opinions/{{tracking_code}}/{name}"]["post"]
        assert {"200", "403", "404", "409", "422"} <= set(operation["responses"]), name
        assert operation["security"]
        assert "expected_version" in str(operation["requestBody"]) or operation["requestBody"]

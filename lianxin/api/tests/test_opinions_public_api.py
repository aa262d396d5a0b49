"""Public opinion endpoints: idempotent submit, follow by code + phone digits, rate, rate limits, error codes."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lianxin.accounts.models import Role
from lianxin.opinions import services
from lianxin.opinions.models import Category, Opinion, OpinionEvent, Status

NOW = timezone.make_aware(datetime.datetime(2027, 3, 1, 10, 0))
URL = "/api/v1/public/opinions"
TRACK = "/api/v1/public/opinions/track"
CJK = re.compile(r"[\u4e00-\u9fff]")

pytestmark = pytest.mark.usefixtures("_clear_cache")


@pytest.fixture
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def category(db):
    return Category.objects.create(code="urban", name="城乡建设", name_en="Urban construction")


def body(world, **extra):
    data = {
        "category": "urban", "title": "小区路灯不亮", "text": "坞城社区3号楼前路灯坏了一个月",
        "station": world.station_a.code, "name": "王小二", "phone": "13900001111", "consent": True,
        "latitude": 37.8, "longitude": 112.58,
    }
    data.update(extra)
    return data


def post(client, url, data, key=None, **headers):
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(url, data, content_type="application/json", **headers)


# ---- submit -------------------------------------------------------------------------------------


def test_submit_creates_one_opinion_and_a_retry_with_the_same_key_returns_it(client, world, category):
    first = post(client, URL, body(world), key="key-0001-abcdef")
    assert first.status_code == 201, first.content
    code = first.json()["tracking_code"]
    opinion = Opinion.objects.get()
    assert opinion.tracking_code == code and opinion.channel == "api" and opinion.status == Status.SUBMITTED
    assert opinion.station == world.station_a and opinion.citizen_phone == "13900001111"
    assert opinion.consent_at is not None and float(opinion.latitude) == 37.8

    again = post(client, URL, body(world, text="重复提交"), key="key-0001-abcdef")
    assert again.status_code == 200
    assert again.json()["tracking_code"] == code
    assert Opinion.objects.count() == 1
    assert OpinionEvent.objects.count() == 1


def test_the_same_key_from_another_phone_is_another_opinion_not_someone_elses(client, world, category):
    first = post(client, URL, body(world), key="shared-key-123")
    other = post(client, URL, body(world, phone="13700002222"), key="shared-key-123")
    assert first.status_code == other.status_code == 201
    assert first.json()["tracking_code"] != other.json()["tracking_code"]
    assert Opinion.objects.count() == 2


def test_missing_idempotency_key_is_422_invalid_and_stores_nothing(client, world, category):
    response = post(client, URL, body(world))
    assert response.status_code == 422
    data = response.json()
    assert data["code"] == "invalid" and data["message"] == "部分请求参数无效。"
    assert any("Idempotency-Key" in str(e["loc"]) for e in data["errors"])
    assert Opinion.objects.count() == 0


@pytest.mark.parametrize(
    "change",
    [{"consent": False}, {"phone": "12345"}, {"category": "nope"}, {"station": "S-000"}, {"station": None},
     {"deputy": "nobody", "station": None}],
)
def test_bad_submissions_are_422_invalid_with_a_message_and_store_nothing(client, world, category, change):
    response = post(client, URL, body(world, **change), key="key-bad-input")
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid" and response.json()["message"]
    assert Opinion.objects.count() == 0


def test_refusals_speak_chinese_by_default_and_english_when_asked(client, world, category):
    zh = post(client, URL, body(world, consent=False), key="key-lang-0001").json()
    en = post(client, URL, body(world, consent=False), key="key-lang-0001", HTTP_ACCEPT_LANGUAGE="en").json()
    assert zh["code"] == en["code"] == "invalid"
    assert en["message"] == "Please agree to the privacy notice to submit an opinion."
    assert CJK.search(zh["message"]), zh["message"]


def test_a_retry_answers_exactly_what_the_first_submission_answered(client, world, category):
    first = post(client, URL, body(world), key="key-same-answer")
    again = post(client, URL, body(world), key="key-same-answer")
    assert first.status_code == 201 and again.status_code == 200
    a, b = first.json(), again.json()
    assert set(a) == set(b) == {"tracking_code", "status", "status_label", "due_at"}
    assert all(a[name] == b[name] for name in ("tracking_code", "status", "status_label")) and a["status_label"]
    # The same instant (the first answer is in local time, the retry's as read back: UTC).
    assert datetime.datetime.fromisoformat(a["due_at"]) == datetime.datetime.fromisoformat(b["due_at"])


def test_submit_stores_one_row_and_the_queue_registers_the_case(client, world, category, monkeypatch,
                                                               django_capture_on_commit_callbacks):
    """The request only looks up its keys and stores the submission (one INSERT); the case engine makes
    the case from it afterwards, in a task queued on commit."""
    from huey.contrib.djhuey import HUEY

    from lianxin.opinions import services
    from lianxin.opinions.models import OpinionEvent, OpinionGram, OpinionIntake

    monkeypatch.setattr(HUEY, "immediate", False)  # as in production: a consumer registers it
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks() as queued:
        response = post(client, URL, body(world), key="key-lean-intake")
    assert response.status_code == 201, response.content
    sql = [q["sql"] for q in queries.captured_queries]
    writes = [q for q in sql if q.startswith(("INSERT", "UPDATE", "DELETE", "WITH"))]
    assert len(writes) == 1 and 'INSERT INTO "opinions_opinionintake"' in writes[0], writes
    if connection.vendor == "postgresql":  # the rate limits counted in the same statement
        assert writes[0].startswith('WITH h0 AS (INSERT INTO "opinions_submitcounter"'), writes
    selects = [q for q in sql if q.startswith("SELECT")]
    assert not any("ORDER BY" in q for q in selects), selects
    assert not any('FROM "opinions_opinion"' in q for q in selects)  # no case row is read
    assert len(queued) == 1 and Opinion.objects.count() == 0
    code = response.json()["tracking_code"]

    # Followed at once, before the queue has run: shown as received.
    tracked = post(client, TRACK, {"code": code, "phone_last4": "1111"})
    assert tracked.status_code == 200 and tracked.json()["status"] == "submitted"

    intake = OpinionIntake.objects.get()
    opinion = services.register_intake(intake.pk)
    assert opinion is not None and opinion.tracking_code == code
    assert opinion.station == world.station_a and opinion.region_path == world.station_a.region.path
    assert opinion.citizen_phone == "13900001111" and opinion.channel == "api"
    assert opinion.due_at == intake.due_at and opinion.created_at == intake.created_at
    assert OpinionEvent.objects.filter(opinion=opinion, action="submit").count() == 1
    assert OpinionGram.objects.filter(opinion=opinion).exists()
    assert services.register_intake(intake.pk) is None  # once
    assert Opinion.objects.count() == 1


def test_submissions_left_behind_are_registered_by_the_sweep(client, world, category, monkeypatch):
    from huey.contrib.djhuey import HUEY

    from lianxin.opinions import services

    monkeypatch.setattr(HUEY, "immediate", False)
    with time_machine.travel(datetime.datetime(2027, 3, 1, 10, 0, tzinfo=datetime.UTC), tick=False):
        assert post(client, URL, body(world), key="key-left-behind").status_code == 201
        assert services.register_pending() == 0  # too fresh: its own task is still due
    with time_machine.travel(datetime.datetime(2027, 3, 1, 10, 5, tzinfo=datetime.UTC), tick=False):
        assert services.register_pending() == 1
        assert services.register_pending() == 0
    assert Opinion.objects.count() == 1


def test_the_queue_gets_one_drain_a_second_and_a_drain_registers_everything_received(
        client, world, category, monkeypatch, django_capture_on_commit_callbacks):
    """Registration is queued by the first submission of each second in the process (the kick), not once
    per submission; one drain registers every intake received so far and queues one more for stragglers."""
    from huey.contrib.djhuey import HUEY

    from lianxin.opinions import tasks
    from lianxin.opinions.models import OpinionIntake

    monkeypatch.setattr(HUEY, "immediate", False)
    with django_capture_on_commit_callbacks() as queued:
        for i in range(3):
            assert post(client, URL, body(world, phone=f"1390000{i:04d}"), key=f"key-kick-{i}").status_code == 201
    assert len(queued) == 1  # the first claimed the kick; the next two, within the same second, did not
    with time_machine.travel(NOW + datetime.timedelta(seconds=2), tick=False), \
            django_capture_on_commit_callbacks() as queued:
        assert post(client, URL, body(world, phone="13900000009"), key="key-kick-9").status_code == 201
    assert len(queued) == 1  # a second later: the next kick
    assert OpinionIntake.objects.filter(registered_at__isnull=True).count() == 4 and Opinion.objects.count() == 0

    def drains(callbacks):  # the registration also queues the citizens' notifications
        return [c for c in callbacks if "queue_registration" in c.__qualname__]

    with django_capture_on_commit_callbacks() as queued:
        tasks.register_new_intakes.call_local()
    assert Opinion.objects.count() == 4 and not OpinionIntake.objects.filter(registered_at__isnull=True).exists()
    assert len(drains(queued)) == 1  # it found work: one more drain, a little later
    with django_capture_on_commit_callbacks() as queued:
        tasks.register_new_intakes.call_local()
    assert not drains(queued) and Opinion.objects.count() == 4  # nothing left: the chain stops


def test_a_retry_or_a_refused_submission_queues_no_drain_and_leaves_the_kick(
        client, world, category, monkeypatch, django_capture_on_commit_callbacks):
    from huey.contrib.djhuey import HUEY

    monkeypatch.setattr(HUEY, "immediate", False)
    assert post(client, URL, body(world), key="key-given-back").status_code == 201
    services.KICK.reset()  # as if a second had passed
    with django_capture_on_commit_callbacks() as queued:
        assert post(client, URL, body(world), key="key-given-back").status_code == 200  # a retry: nothing stored
        assert post(client, URL, body(world, category="nope"), key="key-given-back-2").status_code == 422
    assert not queued and services.KICK.at is None
    with django_capture_on_commit_callbacks() as queued:
        assert post(client, URL, body(world, phone="13900002222"), key="key-given-back-3").status_code == 201
    assert len(queued) == 1  # so the next new submission queues its registration at once


def test_a_body_that_is_not_json_is_422_invalid_in_the_callers_language(client, world, category):
    for raw in ("{not json", "title=x&text=y", ""):
        response = client.post(URL, raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY="key-not-json")
        assert response.status_code == 422 and response["Content-Type"].startswith("application/json")
        data = response.json()
        assert data["code"] == "invalid" and CJK.search(data["message"])
        assert data["errors"][0]["loc"] == ["body", "body"]
    english = client.post(URL, "{", content_type="application/json", HTTP_IDEMPOTENCY_KEY="key-not-json",
                          HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["message"] == "Some request parameters are invalid."
    assert client.get(URL).status_code == 405
    assert Opinion.objects.count() == 0


def test_the_documented_operation_answers_as_the_plain_view_does(client, world, category):
    """The route is served by a plain view (``submit_view``); the django-ninja operation that documents
    it in OpenAPI runs the same code and gives the same answers."""
    from ninja.testing import TestClient

    from lianxin.api.api import api

    ninja = TestClient(api)
    cases = [
        ({}, 201), ({"category": "nope"}, 422), ({"consent": False}, 422), ({"phone": "123"}, 422),
        ({"station": None}, 422), ({"title": ""}, 422), ({"latitude": 91}, 422),
    ]
    for n, (change, status) in enumerate(cases):
        plain = post(client, URL, body(world, **{"phone": f"1390000{n:04d}", **change}), key=f"key-plain-{n:04d}")
        documented = ninja.post("/public/opinions", json=body(world, **{"phone": f"1380000{n:04d}", **change}),
                                headers={"Idempotency-Key": f"key-ninja-{n:04d}"})
        assert plain.status_code == documented.status_code == status, (change, plain.content, documented.content)
        a, b = plain.json(), documented.json()
        assert set(a) == set(b), change
        assert a.get("code") == b.get("code") and a.get("message") == b.get("message"), change
        assert [e["loc"] for e in a.get("errors", [])] == [e["loc"] for e in b.get("errors", [])], change
    missing = client.post(URL, body(world), content_type="application/json").json()
    assert missing["errors"] == [{"type": "missing", "loc": ["header", "Idempotency-Key"], "msg": "Field required"}]
    assert Opinion.objects.count() == 2


def test_a_deputy_code_addresses_the_deputy_at_the_deputys_site(client, world, category):
    response = post(client, URL, body(world, station=None, deputy=world.deputy_a.public_code), key="key-deputy-1")
    assert response.status_code == 201, response.content
    opinion = Opinion.objects.get()
    assert opinion.deputy == world.deputy_a and opinion.station == world.station_a


def test_submissions_are_rate_limited_per_address(client, world, category, settings):
    settings.OPINION_API_SUBMIT_RATE_IP = (2, 600)
    for i in range(2):
        assert post(client, URL, body(world, phone=f"1390000{i:04d}"), key=f"key-rate-{i:04d}").status_code == 201
    refused = post(client, URL, body(world, phone="13900009999"), key="key-rate-9999")
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert Opinion.objects.count() == 2
    # A retry of an acknowledged submission still gets its answer.
    assert post(client, URL, body(world, phone="13900000000"), key="key-rate-0000").status_code == 200


def test_submissions_are_rate_limited_per_phone(client, world, category, settings):
    settings.OPINION_API_SUBMIT_RATE_PHONE = (1, 3600)
    assert post(client, URL, body(world), key="key-phone-0001").status_code == 201
    refused = post(client, URL, body(world), key="key-phone-0002", REMOTE_ADDR="10.0.0.9")
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"


def test_a_submission_refused_for_its_content_counts_against_the_limits(client, world, category, settings):
    from lianxin.opinions.models import OpinionIntake

    settings.OPINION_API_SUBMIT_RATE_IP = (2, 600)
    for i in range(2):
        bad = post(client, URL, body(world, category="nope", phone=f"1390000{i:04d}"), key=f"key-bad-{i:04d}")
        assert bad.status_code == 422 and bad.json()["code"] == "invalid"
    refused = post(client, URL, body(world, phone="13900009999"), key="key-bad-9999")
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    over = post(client, URL, body(world, category="nope", phone="13900008888"), key="key-bad-8888")
    assert over.status_code == 429  # over the limit: refused as such, whatever else is wrong
    assert not OpinionIntake.objects.exists() and not Opinion.objects.exists()


def test_on_postgresql_the_limits_ride_on_the_insert_in_an_unlogged_table_of_hashed_counters(
        client, world, category, settings, monkeypatch):
    from huey.contrib.djhuey import HUEY

    from lianxin.core import ratelimit
    from lianxin.opinions.models import OpinionIntake, SubmitCounter

    if connection.vendor != "postgresql":
        pytest.skip("the counters are counted in the database on PostgreSQL, in the cache elsewhere")
    monkeypatch.setattr(HUEY, "immediate", False)
    settings.OPINION_API_SUBMIT_RATE_IP = (3, 600)
    settings.OPINION_API_SUBMIT_RATE_PHONE = (2, 3600)
    with CaptureQueriesContext(connection) as queries:
        assert post(client, URL, body(world), key="key-counted-1").status_code == 201
    counted = [q["sql"] for q in queries.captured_queries if "opinions_submitcounter" in q["sql"]]
    assert len(counted) == 1 and 'INSERT INTO "opinions_opinionintake"' in counted[0]
    assert "13900001111" not in counted[0]  # values are parameters, and the phone is hashed

    ip = ratelimit.window_id("api-opinion-submit-ip", "127.0.0.1", ratelimit.Rate(3, 600), NOW.timestamp())
    phone = ratelimit.window_id("api-opinion-submit-phone", "13900001111", ratelimit.Rate(2, 3600), NOW.timestamp())
    assert dict(SubmitCounter.objects.values_list("key", "count")) == {ip: 1, phone: 1}
    # Each counter expires a second after the end of its window (NOW is on the hour: a window's start).
    expiry = dict(SubmitCounter.objects.values_list("key", "expires_at"))
    assert expiry == {ip: NOW + datetime.timedelta(seconds=601), phone: NOW + datetime.timedelta(seconds=3601)}

    assert post(client, URL, body(world), key="key-counted-2").status_code == 201
    refused = post(client, URL, body(world), key="key-counted-3")  # the phone's third: over its limit
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert dict(SubmitCounter.objects.values_list("key", "count")) == {ip: 3, phone: 3}  # both counted
    assert OpinionIntake.objects.count() == 2
    assert post(client, URL, body(world), key="key-counted-1").status_code == 200  # a retry still answered
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = 'opinions_submitcounter'")
        assert cursor.fetchone()[0] == "u"
        # The statement is prepared on the connection (parsed and planned once), Django's own are not.
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
        assert prepared and all("opinions_submitcounter" in statement for statement in prepared), prepared


def test_the_statement_is_not_prepared_when_turned_off(client, world, category, settings, monkeypatch):
    """Behind a transaction pooler that does not keep prepared statements (DB_PREPARED_INTAKE=0)."""
    from huey.contrib.djhuey import HUEY

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    monkeypatch.setattr(HUEY, "immediate", False)
    settings.INTAKE_PREPARED_STATEMENT = False
    assert post(client, URL, body(world), key="key-unprepared-1").status_code == 201
    assert type(services._SERVER_CURSORS[connections["default"]][1]) is services._binding_cursor()
    settings.INTAKE_PREPARED_STATEMENT = True
    assert post(client, URL, body(world, phone="13900002222"), key="key-unprepared-2").status_code == 201
    assert type(services._SERVER_CURSORS[connections["default"]][1]) is services._preparing_cursor()


def test_counters_of_ended_windows_are_purged_by_the_queue(db):
    from lianxin.opinions import tasks
    from lianxin.opinions.models import SubmitCounter

    SubmitCounter.objects.create(key=1, count=4, expires_at=NOW - datetime.timedelta(seconds=1))
    SubmitCounter.objects.create(key=-2, count=1, expires_at=NOW + datetime.timedelta(seconds=60))
    tasks.purge_submit_counters.call_local()
    assert list(SubmitCounter.objects.values_list("key", flat=True)) == [-2]


# ---- track and rate -----------------------------------------------------------------------------------


@pytest.fixture
def replied(world, category):
    opinion, _ = services.submit_opinion(
        category=category, title="小区路灯不亮", text="3号楼前路灯坏了", channel="api", station=world.station_a,
        citizen_name="王小二", citizen_phone="13900001111",
    )
    admin = world.users[Role.DISTRICT_ADMIN]
    services.accept(opinion, admin, internal_note="内部备注：联系过社区")
    services.transfer(opinion, admin, unit=world.unit_a, public_note="已转交住建局办理")
    services.escalate(opinion, admin, note="督办")
    services.reply(opinion, world.users[Role.UNIT_STAFF], text="已更换路灯。", internal_note="内部：张师傅")
    return Opinion.objects.get(pk=opinion.pk)


def test_track_with_the_right_digits_shows_status_unit_due_reply_and_public_timeline(client, replied, world):
    response = post(client, f"{URL}/track", {"code": replied.tracking_code.lower(), "phone_last4": "1111"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "replied" and data["can_rate"] is True
    assert data["unit"] == world.unit_a.name and data["site"] == world.station_a.name
    assert data["reply"] == "已更换路灯。" and data["due_at"]
    assert [e["action"] for e in data["timeline"]] == ["submit", "accept", "transfer", "reply"]  # no escalation
    notes = [e["note"] for e in data["timeline"]]
    assert "已转交住建局办理" in notes
    text = response.content.decode()
    assert "内部" not in text and "督办" not in text
    assert world.users[Role.DISTRICT_ADMIN].username not in text and "13900001111" not in text


def test_track_with_wrong_digits_or_code_is_404_and_the_same_answer(client, replied):
    wrong_digits = post(client, f"{URL}/track", {"code": replied.tracking_code, "phone_last4": "2222"})
    wrong_code = post(client, f"{URL}/track", {"code": "ZZZZZZZZZZ", "phone_last4": "1111"})
    assert wrong_digits.status_code == wrong_code.status_code == 404
    assert wrong_digits.json() == wrong_code.json()
    assert wrong_digits.json()["code"] == "not_found"
    bad = post(client, f"{URL}/track", {"code": replied.tracking_code, "phone_last4": "11a1"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"


def test_guessing_the_digits_is_stopped_per_tracking_code(client, replied, settings):
    settings.OPINION_API_LOOKUP_FAILURES_PER_CODE = (3, 3600)
    for digits in ("0000", "0001", "0002"):
        assert post(client, f"{URL}/track", {"code": replied.tracking_code, "phone_last4": digits}).status_code == 404
    blocked = post(client, f"{URL}/track", {"code": replied.tracking_code, "phone_last4": "1111"})
    assert blocked.status_code == 429 and blocked.json()["code"] == "rate_limited"


def test_rate_satisfied_closes_the_case_resolved(client, replied):
    response = post(client, f"{URL}/rate", {"code": replied.tracking_code, "phone_last4": "1111",
                                            "satisfaction": "satisfied", "resolved": True, "comment": "很满意"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "closed" and data["outcome"] == "resolved" and data["satisfaction"] == "satisfied"
    assert data["timeline"][-1]["action"] == "rate" and data["timeline"][-1]["note"] == "很满意"
    replied.refresh_from_db()
    assert replied.status == Status.CLOSED and replied.rated_at is not None


def test_rate_unsatisfied_reopens_with_the_unit(client, replied):
    response = post(client, f"{URL}/rate", {"code": replied.tracking_code, "phone_last4": "1111",
                                            "satisfaction": "unsatisfied", "resolved": False})
    assert response.status_code == 200
    assert response.json()["status"] == "transferred"


def test_rating_twice_or_too_early_is_409_wrong_state_and_changes_nothing(client, replied):
    rate = {"code": replied.tracking_code, "phone_last4": "1111", "satisfaction": "basic", "resolved": True}
    assert post(client, f"{URL}/rate", rate).status_code == 200
    events = OpinionEvent.objects.filter(opinion=replied).count()
    again = post(client, f"{URL}/rate", rate, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 409
    assert again.json()["code"] == "wrong_state" and "Closed" in again.json()["message"]
    assert OpinionEvent.objects.filter(opinion=replied).count() == events


def test_rate_with_wrong_digits_is_404_and_changes_nothing(client, replied):
    response = post(client, f"{URL}/rate", {"code": replied.tracking_code, "phone_last4": "9999",
                                            "satisfaction": "satisfied", "resolved": True})
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    replied.refresh_from_db()
    assert replied.status == Status.REPLIED


def test_public_opinion_endpoints_are_in_the_schema_without_security(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    for path in (URL, f"{URL}/track", f"{URL}/rate"):
        operation = schema["paths"][f"/api/v1/public/opinions{path[len(URL):]}"]["post"]
        assert "security" not in operation
        assert {"422", "429"} <= set(operation["responses"])
    submit = schema["paths"]["/api/v1/public/opinions"]["post"]
    assert {"200", "201"} <= set(submit["responses"])
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in submit["parameters"])


def test_a_closed_site_stops_taking_submissions_at_once(client, world, category):
    from lianxin.stations.models import Station

    assert post(client, URL, body(world), key="key-cached-site-1").status_code == 201  # cached now
    Station.objects.filter(pk=world.station_a.pk).update(status=Station.Status.INACTIVE)
    world.station_a.refresh_from_db()
    world.station_a.save()  # the save signal empties the cache of sites
    refused = post(client, URL, body(world, phone="13900002222"), key="key-cached-site-2")
    assert refused.status_code == 422 and refused.json()["code"] == "invalid"


@pytest.mark.django_db(transaction=True)
def test_a_submission_sends_no_health_check_and_survives_a_lost_connection(client, monkeypatch):
    """On PostgreSQL with a kept connection: no health check (``SELECT 1``) before the INSERT, which is
    idempotent; when the kept connection was lost meanwhile the INSERT is sent again on a new one."""
    from django.db import close_old_connections
    from huey.contrib.djhuey import HUEY
    from psycopg import connect

    from lianxin.opinions.models import OpinionIntake
    from lianxin.testing import build_world

    if connection.vendor != "postgresql":
        pytest.skip("server-side binding and the health check are PostgreSQL's")
    monkeypatch.setattr(HUEY, "immediate", False)
    world = build_world()
    Category.objects.create(code="urban", name="城乡建设", name_en="Urban construction")
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", True)
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    connection.close()  # the next request opens a kept connection with health checks on
    checks = []
    is_usable = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or is_usable())

    def submit(phone, key):
        close_old_connections()  # what the start of a request does in production (the test client doesn't)
        return post(client, URL, body(world, phone=phone), key=key)

    first = submit("13900002222", "key-health-1")
    assert first.status_code == 201, first.content
    assert connection.health_check_enabled and connection.connection is not None
    # The next request on the kept connection: its only statement is the INSERT, no health check.
    with CaptureQueriesContext(connection) as queries:
        second = submit("13900003333", "key-health-2")
    assert second.status_code == 201, second.content
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["WITH"] and checks == []

    # The server drops the kept connection between requests (a restart, an idle timeout).
    pid = connection.connection.info.backend_pid
    with connect(connection.connection.info.dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    third = submit("13900004444", "key-health-3")
    assert third.status_code == 201, third.content
    assert connection.connection.info.backend_pid != pid and checks == [1]  # found broken, replaced
    # A retry of the same submission still answers the first one; each submission is stored once.
    again = submit("13900004444", "key-health-3")
    assert again.status_code == 200 and again.json()["tracking_code"] == third.json()["tracking_code"]
    assert OpinionIntake.objects.count() == 3
    assert OpinionIntake.objects.filter(tracking_code=third.json()["tracking_code"]).count() == 1

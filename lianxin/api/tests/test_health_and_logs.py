"""/healthz reports the database, and every request writes one structured (JSON) log line."""

import json
import logging

import pytest
from django.conf import settings
from pythonjsonlogger.json import JsonFormatter


@pytest.mark.django_db
def test_healthz_answers_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.json()["status"] == "ok"


def _json_line(record: logging.LogRecord) -> dict:
    config = dict(settings.LOGGING["formatters"]["json"])
    config.pop("()")
    return json.loads(JsonFormatter(**config).format(record))


@pytest.mark.django_db
def test_a_request_writes_one_json_log_line_with_method_path_and_status(client, caplog):
    with caplog.at_level(logging.INFO, logger="lianxin.request"):
        client.get("/healthz")
    records = [r for r in caplog.records if r.name == "lianxin.request"]
    assert len(records) == 1
    line = _json_line(records[0])
    assert line["logger"] == "lianxin.request"
    assert line["method"] == "GET"
    assert line["path"] == "/healthz"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)


def test_a_token_request_logs_the_tokens_user(client, world, caplog):
    from lianxin.api.services import issue_token

    user = world.users["district_admin"]
    _token, raw = issue_token(user, "monitor")
    with caplog.at_level(logging.INFO, logger="lianxin.request"):
        response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    [record] = [r for r in caplog.records if r.name == "lianxin.request"]
    line = _json_line(record)
    assert (line["path"], line["status"], line["user_id"]) == ("/api/v1/me", 200, user.pk)


def test_task_queue_logs_are_json_lines_too():
    # huey's consumer adds a plain-text handler only when its logger has none: ours is the JSON one.
    import logging

    from pythonjsonlogger.json import JsonFormatter

    logger = logging.getLogger("huey")
    assert any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers)
    assert logger.propagate is False  # not printed twice through the root logger

import json

import pytest


@pytest.mark.django_db
def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["status"] == "ok"
    assert body["database"] == "ok"


def test_masking():
    from lianxin.core.masking import mask_name, mask_phone

    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("李明华") == "李*华"
    assert mask_name("李明") == "李*"

from lianxin.accounts.models import AuditEntry
from lianxin.testing import PASSWORD


def test_login_page_renders_in_chinese_by_default(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert 'lang="zh-CN"' in response.content.decode()


def test_staff_login_lands_on_overview_and_is_audited(client, world):
    response = client.post("/accounts/login/", {"username": "district", "password": PASSWORD})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="account.login", actor__username="district").exists()
    page = client.get(response["Location"])
    assert page.status_code == 200


def test_wrong_password_is_rejected(client, world):
    response = client.post("/accounts/login/", {"username": "district", "password": "nope"})
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated


def test_anonymous_is_sent_to_login(client, db):
    response = client.get("/staff/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_audit_entries_are_immutable(world):
    import pytest

    entry = AuditEntry.objects.create(action="x.y")
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()

"""API tokens: issued once by the command, stored hashed, act with their user's scope, revocable."""

import datetime
import hashlib
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from lianxin.accounts.models import AuditEntry
from lianxin.api.models import ApiToken
from lianxin.api.services import issue_token, revoke_token
from lianxin.testing import make_user


def _issue(username: str, *args: str) -> str:
    out, err = StringIO(), StringIO()
    call_command("api_token", username, *args, stdout=out, stderr=err)
    return out.getvalue().strip()


def test_command_prints_a_token_once_and_stores_only_its_hash(world):
    raw = _issue("district", "--name", "gis-sync")
    token = ApiToken.objects.get()
    assert raw.startswith("lx_") and len(raw) > 40
    assert token.name == "gis-sync"
    assert token.user == world.users["district_admin"]
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str([getattr(token, f.attname) for f in ApiToken._meta.fields])
    assert AuditEntry.objects.filter(action="api_token.create", target_id=str(token.pk)).exists()


def test_command_refuses_unknown_and_non_staff_accounts(world):
    make_user("citizen")  # no role: not a staff account
    with pytest.raises(CommandError):
        _issue("nobody")
    with pytest.raises(CommandError):
        _issue("citizen")
    assert ApiToken.objects.count() == 0


def test_command_lists_and_revokes_by_name(world):
    _issue("district", "--name", "gis-sync")
    listing = _issue("district", "--list")
    assert "gis-sync" in listing
    _issue("district", "--revoke", "gis-sync")
    assert ApiToken.objects.get().revoked
    assert AuditEntry.objects.filter(action="api_token.revoke").count() == 1


def test_bearer_token_acts_with_its_users_scope(client, world):
    _token, raw = issue_token(world.users["district_admin"], "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get("/api/v1/me", **auth).json()["username"] == "district"
    assert client.get(f"/api/v1/stations/{world.station_a.code}", **auth).status_code == 200
    assert client.get(f"/api/v1/stations/{world.station_b.code}", **auth).status_code == 404
    codes = {row["code"] for row in client.get("/api/v1/stations", **auth).json()["items"]}
    assert codes == {world.station_a.code, world.point_a.code}


@pytest.mark.parametrize("header", ["Bearer lx_not-a-real-token", "Bearer ", "Token abc", "Basic dXNlcjpwYXNz"])
def test_wrong_or_malformed_tokens_are_401(client, world, header):
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_and_deactivated_user_are_refused(client, world):
    token, raw = issue_token(world.users["district_admin"], "t")
    other, other_raw = issue_token(world.users["city_admin"], "t")
    revoke_token(token)
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    world.users["city_admin"].is_active = False
    world.users["city_admin"].save()
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {other_raw}").status_code == 401


def test_token_of_an_account_that_lost_its_role_is_refused(client, world):
    user = world.users["auditor"]
    _token, raw = issue_token(user, "t")
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    user.role = ""
    user.save()
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_last_used_is_recorded_but_not_rewritten_on_every_request(client, world):
    token, raw = issue_token(world.users["district_admin"], "t")
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    token.refresh_from_db()
    assert token.last_used_at == start
    with time_machine.travel(start + datetime.timedelta(minutes=1), tick=False):
        client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    token.refresh_from_db()
    assert token.last_used_at == start
    later = start + datetime.timedelta(minutes=10)
    with time_machine.travel(later, tick=False):
        client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    token.refresh_from_db()
    assert token.last_used_at == later


def test_session_auth_checks_csrf_on_unsafe_methods(world):
    from django.test import Client, RequestFactory
    from ninja.errors import HttpError

    from lianxin.api.auth import StaffSession

    user = world.users["city_admin"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/api/v1/me").status_code == 200  # safe methods need the session only

    # Every endpoint is read-only in v1, so check the auth class itself on a POST.
    request = RequestFactory().post("/api/v1/anything")
    request.user = user
    with pytest.raises(HttpError) as excinfo:
        StaffSession()(request)
    assert excinfo.value.status_code == 403

    secret = "a" * 32
    request = RequestFactory().post("/api/v1/anything", HTTP_X_CSRFTOKEN=secret)
    request.COOKIES["csrftoken"] = secret
    request.user = user
    assert StaffSession()(request) == user


def test_anonymous_and_non_staff_sessions_get_401_with_a_translated_message(client, world):
    response = client.get("/api/v1/stations", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 401
    assert response.json()["detail"] == "请先登录，或在 Authorization 请求头中提供 API 令牌。"
    client.force_login(make_user("citizen"))
    assert client.get("/api/v1/me").status_code == 401


def test_superuser_revokes_tokens_in_django_admin_and_it_is_audited(client, world):
    token, raw = issue_token(world.users["district_admin"], "t")
    client.force_login(world.superuser)
    response = client.post("/django-admin/api/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked
    assert AuditEntry.objects.filter(action="api_token.revoke", actor=world.superuser).exists()
    client.logout()
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401

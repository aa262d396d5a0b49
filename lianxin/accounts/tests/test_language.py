"""A staff account keeps its language: the switch stores it, log-in restores it, notifications use it."""

import pytest
from django.conf import settings

from lianxin.testing import PASSWORD


@pytest.mark.django_db
def test_language_switch_is_kept_on_the_account(client, world):
    user = world.users["district_admin"]
    client.force_login(user)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/staff/"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "en"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


@pytest.mark.django_db
def test_unknown_language_changes_nothing(client, world):
    user = world.users["district_admin"]
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/staff/"})
    user.refresh_from_db()
    assert user.language == ""


@pytest.mark.django_db
def test_anonymous_switch_only_sets_the_cookie(client, world):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


@pytest.mark.django_db
def test_login_restores_the_accounts_language(client, world):
    user = world.users["unit_staff"]
    user.language = "en"
    user.save()
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/staff/opinions/inbox/")
    assert page.status_code == 200
    assert 'lang="en"' in page.content.decode()

"""Every catalog is complete and compiled; pages render in Chinese (default) and English."""

import gettext
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent / "lianxin"
CATALOGS = sorted(ROOT.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"))


def test_there_are_catalogs():
    assert ROOT / "locale/zh_Hans/LC_MESSAGES/django.po" in CATALOGS


@pytest.mark.parametrize("po_path", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalog_is_fully_translated_and_compiled(po_path):
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale="zh_Hans")
    untranslated = [m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str) else m.string[0])]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [], f"untranslated in {po_path}"
    assert fuzzy == [], f"fuzzy in {po_path}"
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} missing: run compilemessages"
    with mo_path.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for message in catalog:
        if message.id and isinstance(message.id, str):
            if message.context:
                got = compiled.pgettext(message.context, message.id)
            else:
                got = compiled.gettext(message.id)
            assert got == message.string, f"{mo_path} is stale: run compilemessages"


@pytest.mark.django_db
def test_login_page_in_chinese_by_default_and_english_on_switch(client):
    page = client.get("/accounts/login/").content.decode()
    assert "工作人员登录" in page
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    page = client.get("/accounts/login/").content.decode()
    assert "Staff log-in" in page
    assert 'lang="en"' in page


def test_staff_overview_in_both_languages(world, client_for):
    client = client_for(world.users["city_admin"])
    assert "概览" in client.get("/staff/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/staff/"})
    assert "Overview" in client.get("/staff/").content.decode()

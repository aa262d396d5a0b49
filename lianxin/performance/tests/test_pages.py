"""The record page, its Excel and PDF; rankings and the posting board; who sees what."""

import contextlib
import datetime
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from lianxin.accounts.models import AuditEntry
from lianxin.deputies.models import Assignment, Deputy
from lianxin.performance import scoring
from lianxin.performance.models import RecordDocument, Score

from .helpers import activity, attend, opinion

D = datetime.date


def scored(world):
    for day in (D(2026, 1, 9), D(2026, 2, 13)):
        attend(activity(world.station_a, day, citizens=10), world.deputy_a, minutes=60)
    attend(activity(world.station_b, D(2026, 1, 9)), world.deputy_b)
    opinion(world, world.deputy_a)
    scoring.refresh_year(2026, [world.deputy_a.pk, world.deputy_b.pk], scoring.current_rules())


def test_a_deputy_sees_its_own_record_only(client_for, world):
    client = client_for(world.users["deputy"])
    assert client.get("/staff/performance/").url == f"/staff/performance/deputies/{world.deputy_a.pk}/"
    assert client.get(f"/staff/performance/deputies/{world.deputy_a.pk}/").status_code == 200
    assert client.get(f"/staff/performance/deputies/{world.deputy_b.pk}/").status_code == 404
    assert client.get(f"/staff/performance/deputies/{world.deputy_b.pk}/record.xlsx").status_code == 404


def test_a_district_admin_sees_its_district_only(client_for, world):
    scored(world)
    client = client_for(world.users["district_admin"])
    assert client.get(f"/staff/performance/deputies/{world.deputy_a.pk}/").status_code == 200
    assert client.get(f"/staff/performance/deputies/{world.deputy_b.pk}/").status_code == 404
    page = client.get("/staff/performance/rankings/?year=2026").content.decode()
    assert world.deputy_a.name in page and world.deputy_b.name not in page
    outsider = client_for(world.outsider).get("/staff/performance/rankings/?year=2026").content.decode()
    assert world.deputy_b.name in outsider and world.deputy_a.name not in outsider


def test_the_record_page_shows_the_figures(client_for, world, english):
    scored(world)
    page = client_for(world.users["deputy"]).get(f"/staff/performance/deputies/{world.deputy_a.pk}/?year=2026")
    text = page.content.decode()
    assert "Time at the sites: 2.0 hours over 2 visits" in text
    total = Score.objects.get(deputy=world.deputy_a, year=2026, quarter=None).total
    assert f'data-testid="record-total">{total}<' in text


def test_the_record_exports_to_excel(client_for, world, english):
    scored(world)
    response = client_for(world.users["site_manager"]).get(
        f"/staff/performance/deputies/{world.deputy_a.pk}/record.xlsx?year=2026")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = {row[0]: row for row in sheet.iter_rows(values_only=True)}
    assert rows["Activities attended at the sites"][1] == 2
    assert rows["Opinions recorded"][1] == 1
    assert rows["Total"][2] == float(Score.objects.get(deputy=world.deputy_a, year=2026, quarter=None).total)


def test_the_rankings_export_to_excel(client_for, world, english):
    scored(world)
    response = client_for(world.users["city_admin"]).get("/staff/performance/rankings.xlsx?year=2026")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "Deputy" and len(rows) == 3
    assert {r[0] for r in rows[1:]} == {world.deputy_a.name, world.deputy_b.name}


def test_rankings_raw_and_normalised(client_for, world, english):
    scored(world)
    client = client_for(world.users["city_admin"])
    raw = client.get("/staff/performance/rankings/?year=2026&order=raw")
    assert "raw league table" in raw.content.decode()
    assert [s.deputy_id for s in raw.context["page"].rows] == [world.deputy_a.pk, world.deputy_b.pk]
    per = client.get("/staff/performance/rankings/?year=2026&order=per_citizen")
    rows = per.context["page"].rows
    # A earned points with 20 citizens served at its site; B's site served none (sorts last)
    assert rows[0].deputy_id == world.deputy_a.pk and rows[0].per_100_citizens == rows[0].earned * 5
    assert rows[1].per_100_citizens is None


def test_the_posting_board_in_constant_queries(client_for, world, django_assert_max_num_queries):
    client = client_for(world.users["city_admin"])
    url = f"/staff/performance/posting/?year=2026&quarter=2&station={world.station_a.pk}"

    def add(n):
        for i in range(n):
            deputy = Deputy.objects.create(name=f"代表{Deputy.objects.count()}", gender="m")
            Assignment.objects.create(deputy=deputy, station=world.station_a)
        scoring.refresh_year(2026, list(Deputy.objects.values_list("pk", flat=True)), scoring.current_rules())

    add(2)
    client.get(url)
    with django_assert_max_num_queries(12) as few:
        response = client.get(url)
    assert len(response.context["rows"]) == 3
    add(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["rows"]) == 23
    district = client.get(f"/staff/performance/posting/?year=2026&quarter=2&district={world.district_a.pk}")
    assert len(district.context["rows"]) == 23


def test_the_posting_board_is_scoped(client_for, world):
    scored(world)
    client = client_for(world.outsider)
    response = client.get(f"/staff/performance/posting/?year=2026&quarter=2&district={world.district_a.pk}")
    assert response.context["rows"] == []


@pytest.mark.django_db(transaction=False)
def test_the_pdf_is_made_in_a_task_and_served_scoped(client_for, world, settings, django_capture_on_commit_callbacks):
    scored(world)
    client = client_for(world.users["deputy"])
    base = f"/staff/performance/deputies/{world.deputy_a.pk}"
    assert client.get(f"{base}/record.pdf?year=2026").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{base}/pdf/prepare/?year=2026", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    document = RecordDocument.objects.get()
    assert document.status == "ready", document.error
    assert Path(document.file.path).is_relative_to(Path(settings.MEDIA_ROOT))
    download = client.get(f"{base}/record.pdf?year=2026")
    body = b"".join(download.streaming_content)
    assert download["Content-Type"] == "application/pdf" and body.startswith(b"%PDF")
    assert AuditEntry.objects.filter(action="performance.record_pdf").count() == 1
    import shutil

    if shutil.which("fc-list"):  # Noto CJK embedded: the Chinese is drawn, not boxes
        assert b"CJK" in inflated(body)
    text = pdf_text(body)
    if text is not None:
        assert world.deputy_a.name in text and "2026" in text
    assert client_for(world.outsider).get(f"{base}/record.pdf?year=2026").status_code == 404


def pdf_text(body):
    """The PDF's text via pypdf or poppler's pdftotext, whichever is installed (None if neither)."""
    try:
        import pypdf
    except ImportError:
        import shutil
        import subprocess

        if not shutil.which("pdftotext"):
            return None
        return subprocess.run(["pdftotext", "-", "-"], input=body, capture_output=True, check=True).stdout.decode()
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)


def inflated(body):
    """The PDF with its compressed streams (fonts' names live in object streams) unpacked."""
    import re
    import zlib

    parts = [body]
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", body, re.S):
        with contextlib.suppress(zlib.error):
            parts.append(zlib.decompress(stream))
    return b"".join(parts)


@pytest.mark.parametrize(("role", "url"), [
    ("deputy", "/staff/performance/declare/"),
    ("city_admin", "/staff/performance/rules/edit/"),
    ("city_admin", "/staff/performance/rules/"),
    ("district_admin", "/staff/performance/declared/?status=all"),
    ("site_manager", "/staff/performance/posting/"),
])
def test_pages_render_in_chinese(client_for, world, role, url):
    response = client_for(world.users[role]).get(url)
    assert response.status_code == 200 and 'lang="zh-CN"' in response.content.decode()


def test_staff_land_on_the_rankings(client_for, world):
    assert client_for(world.users["city_admin"]).get("/staff/performance/").url == "/staff/performance/rankings/"


def test_the_rankings_page_in_constant_queries(client_for, world, django_assert_max_num_queries):
    client = client_for(world.users["city_admin"])
    url = "/staff/performance/rankings/?year=2026&order=per_opinion"
    scoring.refresh_year(2026, [world.deputy_a.pk, world.deputy_b.pk], scoring.current_rules())
    client.get(url)
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for i in range(25):
        Deputy.objects.create(name=f"代表{i}", gender="f", home_region=world.street_b)
    scoring.refresh_year(2026, list(Deputy.objects.values_list("pk", flat=True)), scoring.current_rules())
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["page"].rows) == 27

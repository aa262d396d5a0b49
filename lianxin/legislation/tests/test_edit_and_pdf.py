"""Editing a consultation, choosing sites by district, and the summary PDF made in a task."""

import datetime
from pathlib import Path

import pytest
from django.conf import settings

from lianxin.accounts.audit import AuditEntry
from lianxin.accounts.models import Role
from lianxin.legislation import services
from lianxin.legislation.models import Comment, Consultation, SummaryDocument
from lianxin.stations.models import Station
from lianxin.testing import PASSWORD, make_station

from .helpers import DRAFT, TODAY, make_consultation

pytestmark = pytest.mark.usefixtures("english")  # these tests read English messages


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _edit_payload(consultation, **extra):
    data = {"title": consultation.title, "organiser": consultation.organiser,
            "opens_on": consultation.opens_on.isoformat(), "closes_on": consultation.closes_on.isoformat(),
            "report_due_on": "", "stations": [s.pk for s in consultation.stations.all()]}
    data.update(extra)
    return data


def _snapshot(consultation):
    consultation.refresh_from_db()
    return (consultation.title, consultation.organiser, consultation.opens_on, consultation.closes_on,
            consultation.report_due_on, consultation.status,
            sorted(consultation.stations.values_list("pk", flat=True)))


# ---- editing ---------------------------------------------------------------------------------


def test_edit_page_saves_the_changes_and_audits(client, world):
    consultation = make_consultation(world, status=Consultation.Status.DRAFT, stations=[world.station_a])
    login(client, world.users[Role.CITY_ADMIN])
    detail = client.get(f"/staff/legislation/{consultation.pk}/").content.decode()
    assert f'href="/staff/legislation/{consultation.pk}/edit/"' in detail
    page = client.get(f"/staff/legislation/{consultation.pk}/edit/")
    assert page.status_code == 200 and f'id="lx-site-{world.station_a.pk}" checked' in page.content.decode()
    chinese = client.get(f"/staff/legislation/{consultation.pk}/edit/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert f'value="{consultation.opens_on.isoformat()}"' in chinese.content.decode()  # what <input type=date> reads
    response = client.post(f"/staff/legislation/{consultation.pk}/edit/", _edit_payload(
        consultation, title="新标题", organiser="省人大法工委", opens_on="2026-05-20", closes_on="2026-06-20",
        report_due_on="2026-07-01", stations=[world.station_b.pk]))
    assert response.status_code == 302 and response["Location"] == f"/staff/legislation/{consultation.pk}/"
    assert _snapshot(consultation) == ("新标题", "省人大法工委", datetime.date(2026, 5, 20), datetime.date(2026, 6, 20),
                                       datetime.date(2026, 7, 1), "draft", [world.station_b.pk])
    entry = AuditEntry.objects.get(action="consultation.edit")
    assert entry.data["title"][1] == "新标题"
    assert entry.data["stations"] == {"added": [world.station_b.pk], "removed": [world.station_a.pk]}


def test_edit_is_scoped_and_for_organisers_only(client, world):
    consultation = make_consultation(world, stations=[world.station_a])
    login(client, world.outsider)  # district admin of district B: the consultation is not in their area
    assert client.get(f"/staff/legislation/{consultation.pk}/edit/").status_code == 404
    assert client.post(f"/staff/legislation/{consultation.pk}/edit/",
                       _edit_payload(consultation, title="x")).status_code == 404
    login(client, world.users[Role.SITE_MANAGER])
    assert client.get(f"/staff/legislation/{consultation.pk}/edit/").status_code == 403
    assert consultation.title != "x" and not AuditEntry.objects.filter(action="consultation.edit").exists()


def test_a_district_admin_edits_only_the_sites_in_their_area(client, world):
    consultation = make_consultation(world, stations=[world.station_a, world.station_b])
    login(client, world.users[Role.DISTRICT_ADMIN])  # district A
    page = client.get(f"/staff/legislation/{consultation.pk}/edit/").content.decode()
    assert f'id="lx-site-{world.station_b.pk}"' not in page  # outside their area: not offered
    response = client.post(f"/staff/legislation/{consultation.pk}/edit/",
                           _edit_payload(consultation, stations=[world.point_a.pk]))
    assert response.status_code == 302
    assert set(consultation.stations.all()) == {world.point_a, world.station_b}  # B's site kept


def test_a_site_deactivated_since_is_kept_on_edit(client, world):
    consultation = make_consultation(world, stations=[world.station_a, world.point_a])
    Station.objects.filter(pk=world.point_a.pk).update(status=Station.Status.INACTIVE)
    login(client, world.users[Role.CITY_ADMIN])
    response = client.post(f"/staff/legislation/{consultation.pk}/edit/",
                           _edit_payload(consultation, stations=[world.station_a.pk], title="改名"))
    assert response.status_code == 302
    assert set(consultation.stations.all()) == {world.station_a, world.point_a}


@pytest.mark.parametrize(("case", "message"), [
    ("closes_before_opens", "The closing date must not be before the opening date."),
    ("report_before_close", "The feedback date must not be before the closing date."),
    ("open_closes_in_the_past", "the closing date cannot be before today"),
    ("open_start_moved_later", "the opening date cannot be moved after today"),
    ("bad_date", "Enter a valid date."),
    ("blank_title", "Give the title of the draft."),
    ("foreign_site", "Select a valid choice."),
    ("foreign_district", "A district chosen is not in your area"),
    ("site_with_comments", "cannot be removed"),
])
def test_bad_edits_change_nothing(client, world, case, message):
    consultation = make_consultation(world, stations=[world.station_a])  # open since TODAY - 5 days
    login(client, world.users[Role.DISTRICT_ADMIN])
    past, future = (TODAY - datetime.timedelta(days=1)).isoformat(), (TODAY + datetime.timedelta(days=2)).isoformat()
    changes = {
        "closes_before_opens": {"opens_on": "2026-05-01", "closes_on": "2026-04-30"},
        "report_before_close": {"report_due_on": (TODAY + datetime.timedelta(days=1)).isoformat()},
        "open_closes_in_the_past": {"closes_on": past},
        "open_start_moved_later": {"opens_on": future},
        "bad_date": {"closes_on": "2026-02-30"},
        "blank_title": {"title": "  "},
        "foreign_site": {"stations": [world.station_b.pk]},
        "foreign_district": {"districts": [world.district_b.pk]},
        "site_with_comments": {"stations": []},
    }[case]
    if case == "site_with_comments":
        Comment.objects.create(consultation=consultation, text="意见", station=world.station_a, channel="site",
                               moderation=Comment.Moderation.APPROVED)
    before = _snapshot(consultation)
    response = client.post(f"/staff/legislation/{consultation.pk}/edit/", _edit_payload(consultation, **changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _snapshot(consultation) == before
    assert not AuditEntry.objects.filter(action="consultation.edit").exists()


@pytest.mark.parametrize("status", [Consultation.Status.CLOSED, Consultation.Status.REPORTED, "ended_by_date"])
def test_a_closed_consultation_cannot_be_edited_or_reopened(client, world, status):
    consultation = make_consultation(world, status=Consultation.Status.OPEN if status == "ended_by_date" else status,
                                     stations=[world.station_a])
    if status == "ended_by_date":  # still "open" until the nightly sweep, but its closing date has passed
        Consultation.objects.filter(pk=consultation.pk).update(closes_on=TODAY - datetime.timedelta(days=1))
    before = _snapshot(consultation)
    login(client, world.users[Role.CITY_ADMIN])
    assert f'legislation/{consultation.pk}/edit/"' not in client.get(
        f"/staff/legislation/{consultation.pk}/").content.decode()
    response = client.get(f"/staff/legislation/{consultation.pk}/edit/", follow=True)
    assert "it can no longer be edited" in response.content.decode()
    response = client.post(f"/staff/legislation/{consultation.pk}/edit/", _edit_payload(
        consultation, closes_on=(TODAY + datetime.timedelta(days=30)).isoformat()))
    assert response.status_code == 302
    assert _snapshot(consultation) == before
    with pytest.raises(services.ConsultationError, match="no longer be edited"):
        services.update_consultation(world.users[Role.CITY_ADMIN], consultation, title="x", organiser="y",
                                     opens_on=consultation.opens_on, closes_on=TODAY + datetime.timedelta(days=30),
                                     report_due_on=None, stations=[])
    assert _snapshot(consultation) == before


def test_an_open_consultation_may_be_extended(world):
    consultation = make_consultation(world, stations=[world.station_a])
    services.update_consultation(world.users[Role.CITY_ADMIN], consultation, title=consultation.title,
                                 organiser=consultation.organiser, opens_on=consultation.opens_on,
                                 closes_on=TODAY + datetime.timedelta(days=20), report_due_on=None,
                                 stations=[world.station_a])
    consultation.refresh_from_db()
    assert consultation.closes_on == TODAY + datetime.timedelta(days=20) and consultation.status == "open"


# ---- choosing sites by district --------------------------------------------------------------


def _create_payload(**extra):
    data = {"organiser": "法工委", "text": DRAFT, "opens_on": "2026-05-10", "closes_on": "2026-06-10",
            "report_due_on": "", "save": "1"}
    data.update(extra)
    return data


def test_the_sites_are_grouped_by_district_with_counts(client, world):
    login(client, world.users[Role.CITY_ADMIN])
    html = client.get("/staff/legislation/new/").content.decode()
    assert html.count("<details") == 2 and "小店区" in html and "迎泽区" in html
    assert f'name="districts" value="{world.district_a.pk}"' in html
    assert "<span data-lx-group-count>0</span> / 2" in html  # 小店区: a station and a point
    assert "<span data-lx-group-count>0</span> / 1" in html  # 迎泽区: one station
    assert "legislation/sites.js" in html


def test_a_whole_district_choice_expands_to_its_active_sites_in_scope(client, world):
    make_station("S-140105999", "停用的联络站", world.street_a, status=Station.Status.INACTIVE)
    login(client, world.users[Role.CITY_ADMIN])
    response = client.post("/staff/legislation/new/", _create_payload(districts=[world.district_a.pk],
                                                                      stations=[world.station_b.pk]))
    assert response.status_code == 302
    consultation = Consultation.objects.get()
    assert set(consultation.stations.all()) == {world.station_a, world.point_a, world.station_b}


def test_a_district_outside_the_area_is_refused(client, world):
    login(client, world.users[Role.DISTRICT_ADMIN])
    response = client.post("/staff/legislation/new/", _create_payload(districts=[world.district_b.pk]))
    assert response.status_code == 400 and "A district chosen is not in your area" in response.content.decode()
    assert not Consultation.objects.exists()


def test_a_bound_form_shows_the_whole_district_ticked(client, world):
    login(client, world.users[Role.CITY_ADMIN])
    response = client.post("/staff/legislation/new/", _create_payload(save="", preview="1",
                                                                      districts=[world.district_a.pk]))
    html = response.content.decode()
    assert f'value="{world.district_a.pk}" id="lx-district-{world.district_a.pk}" data-lx-whole checked' in html
    assert f'id="lx-site-{world.point_a.pk}" checked' in html and "<span data-lx-group-count>2</span> / 2" in html


# ---- the summary PDF in a task ---------------------------------------------------------------


def _comments(consultation, n, station):
    for i in range(n):
        Comment.objects.create(consultation=consultation, article=consultation.articles.order_by("order")[i % 3],
                               text=f"意见{i}", moderation=Comment.Moderation.APPROVED, station=station, channel="site")


def test_the_pdf_is_made_in_a_task_and_downloaded_through_a_scoped_view(client, world,
                                                                      django_capture_on_commit_callbacks):
    consultation = make_consultation(world, stations=[world.station_a])
    _comments(consultation, 3, world.station_a)
    login(client, world.users[Role.CITY_ADMIN])
    page = client.get(f"/staff/legislation/{consultation.pk}/summary/").content.decode()
    assert "Prepare the PDF" in page and "pdf-download" not in page
    assert client.get(f"/staff/legislation/{consultation.pk}/summary.pdf").status_code == 404  # nothing yet
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/staff/legislation/{consultation.pk}/summary-pdf/prepare/")
    assert response.status_code == 302
    document = SummaryDocument.objects.get(consultation=consultation)
    assert document.status == "ready" and document.comment_count == 3 and document.finished_at is not None
    assert document.started_at is not None and document.requested_by == world.users[Role.CITY_ADMIN]
    path = Path(document.file.path)
    assert path.is_relative_to(Path(settings.MEDIA_ROOT)) and path.read_bytes().startswith(b"%PDF")
    assert document.size == path.stat().st_size > 5000
    status = client.get(f"/staff/legislation/{consultation.pk}/summary-pdf/status/").content.decode()
    assert "Download the PDF" in status and "from 3 comments" in status and "every 2s" not in status
    download = client.get(f"/staff/legislation/{consultation.pk}/summary.pdf")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    body = b"".join(download.streaming_content)
    assert body.startswith(b"%PDF") and len(body) == document.size
    assert "summary.pdf" in download["Content-Disposition"]
    assert AuditEntry.objects.filter(action="consultation.summary_pdf").count() == 1

    # A new PDF replaces the old file; new comments since are pointed out before that.
    _comments(consultation, 1, world.station_a)
    assert "new comments since" in client.get(f"/staff/legislation/{consultation.pk}/summary/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/staff/legislation/{consultation.pk}/summary-pdf/prepare/")
    document.refresh_from_db()
    assert document.comment_count == 4 and not path.exists() and Path(document.file.path).exists()
    assert SummaryDocument.objects.count() == 1

    outsider = client.__class__()
    login(outsider, world.outsider)
    for url in ("summary.pdf", "summary-pdf/status/"):
        assert outsider.get(f"/staff/legislation/{consultation.pk}/{url}").status_code == 404
    assert outsider.post(f"/staff/legislation/{consultation.pk}/summary-pdf/prepare/").status_code == 404


def test_while_being_prepared_the_box_polls_and_a_second_request_is_refused(client, world):
    consultation = make_consultation(world, stations=[world.station_a])
    login(client, world.users[Role.DISTRICT_ADMIN])
    # Without running the on-commit callbacks the task is not started: the request stays pending.
    response = client.post(f"/staff/legislation/{consultation.pk}/summary-pdf/prepare/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and 'hx-trigger="every 2s"' in html and "being prepared" in html
    response = client.post(f"/staff/legislation/{consultation.pk}/summary-pdf/prepare/", HTTP_HX_REQUEST="true")
    assert "The PDF is already being prepared." in response.content.decode()
    assert AuditEntry.objects.filter(action="consultation.summary_pdf").count() == 1
    # a request lost for longer than the limit (the worker stopped) may be made again
    SummaryDocument.objects.update(requested_at=datetime.datetime(2026, 5, 1, tzinfo=datetime.UTC))
    client.post(f"/staff/legislation/{consultation.pk}/summary-pdf/prepare/")
    assert AuditEntry.objects.filter(action="consultation.summary_pdf").count() == 2


def test_a_failed_pdf_is_reported_and_may_be_retried(client, world, monkeypatch, django_capture_on_commit_callbacks):
    consultation = make_consultation(world, stations=[world.station_a])

    def unavailable(*args, **kwargs):
        raise OSError("cannot load library 'libpango'")

    monkeypatch.setattr(services, "render_summary_pdf", unavailable)
    login(client, world.users[Role.CITY_ADMIN])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/staff/legislation/{consultation.pk}/summary-pdf/prepare/")
    document = SummaryDocument.objects.get()
    assert document.status == "failed" and not document.file
    html = client.get(f"/staff/legislation/{consultation.pk}/summary/").content.decode()
    assert "PDF output is not available on this server" in html and "Prepare the PDF" in html
    assert client.get(f"/staff/legislation/{consultation.pk}/summary.pdf").status_code == 404


def test_a_task_overtaken_by_a_newer_request_keeps_nothing(world, monkeypatch):
    consultation = make_consultation(world, stations=[world.station_a])
    document = SummaryDocument.objects.create(consultation=consultation)

    def render_while_a_new_request_comes(*args, **kwargs):
        SummaryDocument.objects.filter(pk=document.pk).update(status="pending", started_at=None)
        return b"%PDF-1.7 stale", 0

    monkeypatch.setattr(services, "render_summary_pdf", render_while_a_new_request_comes)
    assert services.build_summary_pdf(document.pk) is False
    document.refresh_from_db()
    assert document.status == "pending" and not document.file
    media = Path(settings.MEDIA_ROOT) / "legislation"
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))  # the stale file was removed
    monkeypatch.undo()
    assert services.build_summary_pdf(document.pk) is True  # the newer request is then made
    assert services.build_summary_pdf(document.pk) is False  # done: nothing left to claim

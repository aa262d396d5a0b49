"""Staff and public pages: scoping by role, bad input, query counts, Excel and printable output."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from lianxin.accounts.models import Role
from lianxin.legislation import services
from lianxin.legislation.models import Comment, Consultation, DraftArticle
from lianxin.legislation.services import NewComment
from lianxin.testing import PASSWORD

from .helpers import DRAFT, make_consultation

pytestmark = pytest.mark.usefixtures("english")  # these tests read English messages


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _create_payload(**extra):
    data = {"organiser": "法工委", "text": DRAFT, "opens_on": "2026-05-10", "closes_on": "2026-06-10",
            "report_due_on": ""}
    data.update(extra)
    return data


def test_create_preview_then_save(client, world):
    login(client, world.users[Role.DISTRICT_ADMIN])
    response = client.post("/staff/legislation/new/", _create_payload(preview="1", stations=[world.station_a.pk]))
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="draft-preview"' in html
    assert "第三条" in html and "第二章 管理" in html and Consultation.objects.count() == 0
    response = client.post("/staff/legislation/new/", _create_payload(save="1", stations=[world.station_a.pk]))
    consultation = Consultation.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/staff/legislation/{consultation.pk}/"
    assert consultation.articles.count() == 3 and list(consultation.stations.all()) == [world.station_a]


def test_create_from_an_uploaded_markdown_file(client, world):
    login(client, world.users[Role.CITY_ADMIN])
    upload = SimpleUploadedFile("draft.md", "# 办法\n\n**第一条** 甲。\n\n**第二条** 乙。".encode("gb18030"))
    response = client.post("/staff/legislation/new/", _create_payload(text="", upload=upload, save="1"))
    assert response.status_code == 302
    assert Consultation.objects.get().articles.count() == 2


@pytest.mark.parametrize("bad", [{"text": "没有条文的文字"}, {"text": "第一条 甲。\n第三条 乙。"},
                                 {"closes_on": "2026-05-01"}, {"upload": "exe"}, {"text": ""}])
def test_bad_drafts_on_the_page_change_nothing(client, world, bad):
    login(client, world.users[Role.CITY_ADMIN])
    if bad.get("upload") == "exe":
        bad = {"text": "", "upload": SimpleUploadedFile("draft.exe", b"MZ")}
    response = client.post("/staff/legislation/new/", _create_payload(save="1", **bad))
    assert response.status_code == 400
    assert Consultation.objects.count() == 0 and DraftArticle.objects.count() == 0
    if "第三条" in bad.get("text", ""):
        assert "Line 2" in response.content.decode() or "第2行" in response.content.decode()


STAFF_PAGES = ["", "{pk}/", "{pk}/comments/", "{pk}/summary/", "{pk}/summary/?print=1", "{pk}/summary.xlsx"]


@pytest.mark.parametrize("path", STAFF_PAGES + ["{pk}/moderation/", "{pk}/entry/", "new/"])
@pytest.mark.parametrize(("role", "allowed"), [
    (Role.CITY_ADMIN, True), (Role.DISTRICT_ADMIN, True), (Role.SITE_MANAGER, "some"), (Role.UNIT_STAFF, False),
    ("outsider", False),
])
def test_scoping_of_every_staff_page(client, world, path, role, allowed):
    consultation = make_consultation(world, stations=[world.station_a])
    user = world.outsider if role == "outsider" else world.users[role]
    login(client, user)
    response = client.get("/staff/legislation/" + path.format(pk=consultation.pk))
    if path == "":
        assert response.status_code == 200
        assert (consultation.title in response.content.decode()) == bool(allowed)
        return
    if path == "new/" and role == "outsider":  # another district's admin may start their own
        allowed = True
    if allowed is True or (allowed == "some" and path in STAFF_PAGES + ["{pk}/entry/"]):
        assert response.status_code == 200
    else:
        assert response.status_code in (403, 404)


def test_anonymous_is_sent_to_login(client, world):
    consultation = make_consultation(world)
    assert client.get(f"/staff/legislation/{consultation.pk}/").status_code == 302


def _comments(consultation, n, station=None):
    for i in range(n):
        article = consultation.articles.order_by("order")[i % 3]
        comment = Comment.objects.create(consultation=consultation, article=article, text=f"意见{i}",
                                         moderation=Comment.Moderation.APPROVED, station=station,
                                         channel="site" if station else "online", citizen_phone="13900001111")
        comment.save()


@pytest.mark.parametrize("path", ["{pk}/", "{pk}/comments/", "{pk}/summary/", "{pk}/summary.xlsx",
                                  "{pk}/moderation/", ""])
def test_query_counts_do_not_grow_with_rows(client, world, path):
    login(client, world.users[Role.CITY_ADMIN])
    consultation = make_consultation(world)
    url = "/staff/legislation/" + path.format(pk=consultation.pk)
    _comments(consultation, 1, world.station_a)
    if "moderation" in path:
        Comment.objects.update(moderation=Comment.Moderation.PENDING)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _comments(consultation, 12, world.station_b)
    make_consultation(world)
    if "moderation" in path:
        Comment.objects.update(moderation=Comment.Moderation.PENDING)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) <= len(few)


def test_public_pages_query_counts(client, world):
    consultation = make_consultation(world)
    _comments(consultation, 1)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/l/{consultation.pk}/")
        client.get("/l/")
    _comments(consultation, 10)
    make_consultation(world)
    with CaptureQueriesContext(connection) as many:
        client.get(f"/l/{consultation.pk}/")
        client.get("/l/")
    assert len(many) <= len(few)


def test_moderation_and_adoption_pages(client, world):
    consultation = make_consultation(world)
    comment, _ = services.submit_comment(consultation, NewComment(text="网上意见"))
    login(client, world.users[Role.DISTRICT_ADMIN])
    assert "网上意见" in client.get(f"/staff/legislation/{consultation.pk}/moderation/").content.decode()
    response = client.post(f"/staff/legislation/{consultation.pk}/moderation/",
                           {"comments": [comment.pk], "decision": "approved"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.moderation == "approved"
    # not adopted without a reason: refused, nothing changed
    client.post(f"/staff/legislation/{consultation.pk}/comments/{comment.pk}/decide/", {"adoption": "not_adopted"})
    comment.refresh_from_db()
    assert comment.adoption == ""
    client.post(f"/staff/legislation/{consultation.pk}/comments/{comment.pk}/decide/", {"adoption": "adopted"})
    comment.refresh_from_db()
    assert comment.adoption == "adopted"
    page = client.get(f"/l/{consultation.pk}/")
    assert page.context["figures"]["adopted"] == 1 and 'data-testid="adoption-figures"' in page.content.decode()


def test_site_manager_enters_a_session_comment(client, world):
    consultation = make_consultation(world, stations=[world.station_a])
    login(client, world.users[Role.SITE_MANAGER])
    article = consultation.articles.get(number=2)
    response = client.post(f"/staff/legislation/{consultation.pk}/entry/", {
        "station": world.station_a.pk, "session": "", "article": article.pk, "text": "座谈会上提出", "name": "",
        "phone": "", })
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert comment.station == world.station_a and comment.channel == "site" and comment.article == article
    # a site outside the consultation is not offered and is refused
    before = Comment.objects.count()
    response = client.post(f"/staff/legislation/{consultation.pk}/entry/", {
        "station": world.station_b.pk, "article": "", "text": "x"})
    assert response.status_code == 400 and Comment.objects.count() == before


def test_excel_has_one_sheet_per_article_and_the_comments(client, world):
    consultation = make_consultation(world)
    _comments(consultation, 4, world.station_a)
    login(client, world.users[Role.CITY_ADMIN])
    response = client.get(f"/staff/legislation/{consultation.pk}/summary.xlsx")
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 1 + 1 + 3  # overview, the whole draft, three articles
    overview = book.worksheets[0]
    rows = list(overview.iter_rows(values_only=True))
    assert rows[0][0] == consultation.title
    first = next(r for r in rows if r[0] == "第一条")
    assert first[2] == 2 and first[4] == 2 and world.station_a.name in first[9]
    sheet = book["第一条"]
    texts = [r[1] for r in sheet.iter_rows(min_row=4, values_only=True)]
    assert texts == ["意见0", "意见3"]


def test_printable_document(client, world):
    consultation = make_consultation(world)
    _comments(consultation, 3, world.station_a)
    login(client, world.users[Role.CITY_ADMIN])
    html = client.get(f"/staff/legislation/{consultation.pk}/summary/?print=1").content.decode()
    assert "@media print" in html and "Noto Serif CJK SC" in html and "break-before: page" in html
    assert html.count('class="lx-chapter"') == 2 and "意见2" in html and consultation.organiser in html
    assert "13900001111" not in html


def test_public_list_detail_and_comment(client, world):
    consultation = make_consultation(world)
    draft = make_consultation(world, status=Consultation.Status.DRAFT)
    html = client.get("/l/").content.decode()
    assert consultation.title in html and f"/l/{draft.pk}/" not in html
    assert client.get(f"/l/{draft.pk}/").status_code == 404
    article = consultation.articles.get(number=1)
    page = client.get(f"/l/{consultation.pk}/").content.decode()
    assert f"/l/{consultation.pk}/articles/{article.pk}/comment/" in page
    response = client.post(f"/l/{consultation.pk}/articles/{article.pk}/comment/",
                           {"key": "a" * 20, "text": "建议修改", "phone": "139 0000 1111", "consent": "on"})
    assert response.status_code == 302 and response["Location"] == f"/l/{consultation.pk}/thanks/"
    assert client.get(response["Location"]).status_code == 200
    # the same key again (double click): nothing new
    client.post(f"/l/{consultation.pk}/articles/{article.pk}/comment/", {"key": "a" * 20, "text": "建议修改"})
    comment = Comment.objects.get()
    assert comment.citizen_phone == "13900001111" and comment.moderation == "pending"
    # pending comments are not counted publicly; once approved they are
    page = client.get(f"/l/{consultation.pk}/")
    assert page.context["articles"][0].approved_count == 0
    services.moderate(world.users[Role.CITY_ADMIN], consultation, [comment.pk], Comment.Moderation.APPROVED)
    assert client.get(f"/l/{consultation.pk}/").context["articles"][0].approved_count == 1


@pytest.mark.parametrize("case", ["closed", "deleted", "no_consent", "bad_phone", "empty", "rate"])
def test_public_bad_comments_change_nothing(client, world, case, settings):
    consultation = make_consultation(world, status=Consultation.Status.CLOSED if case == "closed" else "open")
    article = consultation.articles.get(number=1)
    if case == "deleted":
        services.withdraw_article(world.users[Role.CITY_ADMIN], article)
    data = {"key": "b" * 20, "text": "意见"}
    if case == "no_consent":
        data["phone"] = "13900001111"
    if case == "bad_phone":
        data.update(phone="12345", consent="on")
    if case == "empty":
        data["text"] = ""
    if case == "rate":
        settings.LEGISLATION_RATE_IP = (1, 600)
        client.post(f"/l/{consultation.pk}/comment/", {"key": "c" * 20, "text": "第一条"})
    before = Comment.objects.count()
    response = client.post(f"/l/{consultation.pk}/articles/{article.pk}/comment/", data)
    assert response.status_code in (400, 409, 429) or (case in ("closed", "deleted") and response.status_code == 200)
    assert Comment.objects.count() == before
    if case in ("closed", "deleted"):
        assert "no longer accepted" in response.content.decode()


def test_pdf_document_with_embedded_chinese_fonts(world):
    # The page-level flow (prepare in a task, scoped download) is in test_edit_and_pdf.py.
    consultation = make_consultation(world, stations=[world.station_a])
    _comments(consultation, 3, world.station_a)
    import weasyprint
    from django.template.loader import render_to_string

    from lianxin.legislation.views import _summary
    html = render_to_string("legislation/staff/print.html", {**_summary(consultation), "pdf": True})
    raw = weasyprint.HTML(string=html).write_pdf(uncompressed_pdf=True)
    assert b"Noto-Serif-CJK-SC" in raw or b"Noto-Sans-CJK-SC" in raw  # Chinese fonts embedded
    assert raw.count(b"/Type /Page\n") >= 3 or raw.count(b"/Type /Page") - raw.count(b"/Type /Pages") >= 3
    assert b"Print or save as PDF" not in raw

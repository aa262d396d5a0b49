"""Staff pages of activities per role: scoping, read-only deputies, forms, calendar, export, uploads, queries."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from lianxin.accounts.models import AuditEntry, Role
from lianxin.activities import services
from lianxin.activities.models import Activity, ActivityFile, Attendance, Kind

pytestmark = pytest.mark.usefixtures("english")  # these tests read English messages

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def make(world, station=None, title="接待选民", hours_ago=3, **kw):
    station = station or world.station_a
    deputy = world.deputy_a if station == world.station_a else world.deputy_b
    now = timezone.now()
    return services.create_activity(
        world.superuser, station=station, kind=kw.pop("kind", Kind.RECEPTION), title=title,
        starts_at=now - datetime.timedelta(hours=hours_ago), ends_at=now - datetime.timedelta(hours=hours_ago - 1),
        deputies=[deputy], **kw)


def counts():
    return (Activity.objects.count(), Attendance.objects.count(), ActivityFile.objects.count(),
            AuditEntry.objects.count())


@pytest.mark.parametrize("role", [Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.SITE_MANAGER, Role.DEPUTY])
def test_list_and_detail_for_roles(world, client_for, role):
    a, b = make(world, title="坞城接待"), make(world, world.station_b, title="柳巷接待")
    client = client_for(world.users[role])
    page = client.get(reverse("activities:list"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "坞城接待" in text
    assert ("柳巷接待" in text) == (role == Role.CITY_ADMIN)
    assert client.get(reverse("activities:detail", args=[a.pk])).status_code == 200
    assert client.get(reverse("activities:detail", args=[b.pk])).status_code == (200 if role == Role.CITY_ADMIN else 404)


def test_other_district_admin_gets_404(world, client_for):
    a = make(world)
    client = client_for(world.outsider)
    for name in ("detail", "edit", "hold"):
        assert client.get(reverse(f"activities:{name}", args=[a.pk])).status_code == 404
    before = counts()
    assert client.post(reverse("activities:cancel", args=[a.pk]), {"reason": "x"}).status_code == 404
    assert client.post(reverse("activities:publish", args=[a.pk])).status_code == 404
    assert client.get(reverse("activities:site", args=[world.station_a.pk])).status_code == 404
    assert counts() == before


@pytest.mark.parametrize("role", [Role.UNIT_STAFF, Role.AUDITOR])
def test_unit_staff_and_auditor_forbidden(world, client_for, role):
    a = make(world)
    client = client_for(world.users[role])
    for url in (reverse("activities:list"), reverse("activities:calendar"), reverse("activities:detail", args=[a.pk]),
                reverse("activities:create")):
        assert client.get(url).status_code == 403


def test_anonymous_goes_to_login(world, client):
    assert client.get(reverse("activities:list")).status_code == 302


def test_deputy_reads_only(world, client_for):
    a = make(world)
    client = client_for(world.users[Role.DEPUTY])
    page = client.get(reverse("activities:detail", args=[a.pk])).content.decode()
    assert reverse("activities:edit", args=[a.pk]) not in page
    assert 'data-testid="cancel-form"' not in page
    before = counts()
    assert client.get(reverse("activities:edit", args=[a.pk])).status_code == 403
    assert client.get(reverse("activities:create")).status_code == 403
    assert client.post(reverse("activities:cancel", args=[a.pk]), {"reason": "x"}).status_code == 403
    assert client.post(reverse("activities:upload", args=[a.pk]),
                       {"file": SimpleUploadedFile("a.png", PNG)}).status_code == 403
    assert counts() == before


def test_create_via_form(world, client_for):
    client = client_for(world.users[Role.SITE_MANAGER])
    url = reverse("activities:create") + f"?station={world.station_a.pk}"
    # a manager of one site goes straight to the form; someone with several sites chooses first
    assert client.get(reverse("activities:create"))["Location"] == url
    pick = client_for(world.users[Role.CITY_ADMIN]).get(reverse("activities:create")).content.decode()
    assert world.station_a.name in pick and world.station_b.name in pick and 'name="station"' in pick
    page = client.get(url)
    assert world.deputy_a.name in page.content.decode()
    response = client.post(url, {"kind": Kind.TRAINING, "title": "代表履职培训", "starts_at": "2026-12-01T09:00",
                                 "ends_at": "2026-12-01T11:00", "deputies": [world.deputy_a.pk], "publish": "on"})
    activity = Activity.objects.get()
    assert response.status_code == 302 and response.url == reverse("activities:detail", args=[activity.pk])
    assert activity.status == Activity.Status.PUBLISHED
    assert list(activity.attendances.values_list("deputy_id", flat=True)) == [world.deputy_a.pk]


def test_create_bad_input(world, client_for):
    client = client_for(world.users[Role.SITE_MANAGER])
    url = reverse("activities:create") + f"?station={world.station_a.pk}"
    before = counts()
    page = client.post(url, {"kind": Kind.TRAINING, "title": "培训", "starts_at": "2026-12-01T11:00",
                             "ends_at": "2026-12-01T09:00"})
    assert "An activity must end after it starts." in page.content.decode()
    page = client.post(url, {"kind": Kind.TRAINING, "title": "培训", "starts_at": "2026-12-01T09:00",
                             "ends_at": "2026-12-01T11:00", "deputies": [world.deputy_b.pk]})
    assert "is not a deputy of this site" in page.content.decode()
    assert counts() == before
    # a site of another district is not offered and not accepted
    page = client.get(reverse("activities:create") + f"?station={world.station_b.pk}")
    assert page.status_code == 200 and 'name="title"' not in page.content.decode()


def test_edit_via_form(world, client_for):
    a = make(world)
    client = client_for(world.users[Role.DISTRICT_ADMIN])
    assert client.get(reverse("activities:edit", args=[a.pk])).status_code == 200
    response = client.post(reverse("activities:edit", args=[a.pk]), {
        "kind": Kind.INSPECTION, "title": "视察调研", "starts_at": "2026-01-01T09:00", "ends_at": "2026-01-01T10:00",
        "deputies": []})
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.title == "视察调研" and not a.attendances.exists()


def test_hold_via_form(world, client_for):
    a = make(world)
    client = client_for(world.users[Role.SITE_MANAGER])
    url = reverse("activities:hold", args=[a.pk])
    assert world.deputy_a.name in client.get(url).content.decode()
    local = timezone.localtime(a.starts_at)
    before = counts()
    page = client.post(url, {"minutes": "", "citizens_received": "3", f"came_{world.deputy_a.pk}": "on"})
    assert "Write the minutes" in page.content.decode()
    page = client.post(url, {"minutes": "纪要", "citizens_received": "3",
                             f"arrived_{world.deputy_a.pk}": local.strftime("%H:%M")})
    assert "only for deputies who came" in page.content.decode()
    page = client.post(url, {"minutes": "纪要", "citizens_received": "3", "extra_deputy": world.deputy_b.pk})
    assert "not in this site" in page.content.decode()
    assert counts() == before and Activity.objects.get(pk=a.pk).status == Activity.Status.PLANNED
    response = client.post(url, {
        "minutes": "接待群众3人，收集意见2条。", "citizens_received": "3", f"came_{world.deputy_a.pk}": "on",
        f"arrived_{world.deputy_a.pk}": local.strftime("%H:%M"),
        f"left_{world.deputy_a.pk}": (local + datetime.timedelta(minutes=20)).strftime("%H:%M")})
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.status == Activity.Status.HELD and a.citizens_received == 3
    page = client.get(reverse("activities:detail", args=[a.pk])).content.decode()
    assert 'data-testid="left-early"' in page and "接待群众3人" in page


def test_cancel_and_publish_via_page(world, client_for):
    a = make(world)
    client = client_for(world.users[Role.SITE_MANAGER])
    client.post(reverse("activities:publish", args=[a.pk]))
    assert Activity.objects.get(pk=a.pk).status == Activity.Status.PUBLISHED
    before = counts()
    response = client.post(reverse("activities:cancel", args=[a.pk]), {"reason": ""}, follow=True)
    assert "Give a reason for cancelling." in response.content.decode() and counts() == before
    client.post(reverse("activities:cancel", args=[a.pk]), {"reason": "场地维修"})
    assert Activity.objects.get(pk=a.pk).cancel_reason == "场地维修"


def test_upload_and_download(world, client_for):
    a = make(world)
    client = client_for(world.users[Role.SITE_MANAGER])
    response = client.post(reverse("activities:upload", args=[a.pk]),
                           {"file": SimpleUploadedFile("现场照片.png", PNG, "image/png")}, follow=True)
    assert "The file was added." in response.content.decode()
    stored = ActivityFile.objects.get()
    assert stored.is_photo
    got = client.get(reverse("activities:file", args=[a.pk, stored.pk]))
    assert got.status_code == 200 and b"".join(got.streaming_content).startswith(b"\x89PNG")
    before = counts()
    response = client.post(reverse("activities:upload", args=[a.pk]),
                           {"file": SimpleUploadedFile("evil.png", b"<script>", "image/png")}, follow=True)
    assert "is not a photo" in response.content.decode() and counts() == before
    assert client_for(world.outsider).get(reverse("activities:file", args=[a.pk, stored.pk])).status_code == 404


def test_filters_and_site_view(world, client_for):
    make(world, title="接待选民活动")
    make(world, title="主题监督调研", kind=Kind.SUPERVISION)
    client = client_for(world.users[Role.CITY_ADMIN])
    page = client.get(reverse("activities:list"), {"kind": Kind.SUPERVISION}).content.decode()
    assert "主题监督调研" in page and "接待选民活动" not in page
    page = client.get(reverse("activities:list"), {"q": "接待"}).content.decode()
    assert "接待选民活动" in page and "主题监督调研" not in page
    page = client.get(reverse("activities:list"), {"deputy": world.deputy_b.pk}).content.decode()
    assert "接待选民活动" not in page
    page = client.get(reverse("activities:list"), {"region": world.district_b.pk}).content.decode()
    assert "接待选民活动" not in page
    page = client.get(reverse("activities:list"), {"since": "2000-01-01", "until": "2000-01-02"}).content.decode()
    assert "接待选民活动" not in page
    page = client.get(reverse("activities:site", args=[world.station_a.pk])).content.decode()
    assert "接待选民活动" in page
    assert reverse("activities:site", args=[world.station_a.pk]) in client.get(
        reverse("stations:detail", args=[world.station_a.pk])).content.decode()


def test_export(world, client_for):
    make(world, title="接待选民活动")
    make(world, world.station_b, title="柳巷")
    response = client_for(world.users[Role.DISTRICT_ADMIN]).get(reverse("activities:list"), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][5] == "接待选民活动" and rows[1][8] == world.deputy_a.name


def test_calendar(world, client_for):
    a = make(world, title="日历中的活动")
    month = timezone.localtime(a.starts_at).strftime("%Y-%m")
    client = client_for(world.users[Role.DISTRICT_ADMIN])
    page = client.get(reverse("activities:calendar"), {"station": world.station_a.pk, "month": month}).content.decode()
    assert "日历中的活动" in page and f'data-day="{timezone.localtime(a.starts_at):%Y-%m-%d}"' in page
    page = client.get(reverse("activities:calendar"), {"region": world.district_a.pk, "month": month}).content.decode()
    assert "日历中的活动" in page
    page = client.get(reverse("activities:calendar"), {"month": "2001-01"}).content.decode()
    assert "日历中的活动" not in page
    assert client.get(reverse("activities:calendar"), {"station": world.station_b.pk}).status_code == 404
    assert client.get(reverse("activities:calendar"), {"region": world.district_b.pk}).status_code == 404


def _queries(client, url, params):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow(world, client_for):
    client = client_for(world.users[Role.CITY_ADMIN])
    a = make(world)
    month = timezone.localtime(a.starts_at).strftime("%Y-%m")
    _queries(client, reverse("activities:list"), {})  # the filter bar's options are cached (FILTER_OPTIONS)
    few = (_queries(client, reverse("activities:list"), {}),
           _queries(client, reverse("activities:calendar"), {"month": month}),
           _queries(client, reverse("activities:list"), {"export": "xlsx"}))
    for i in range(12):
        make(world, world.station_b if i % 2 else world.station_a, title=f"活动{i}", hours_ago=3 + i)
    many = (_queries(client, reverse("activities:list"), {}),
            _queries(client, reverse("activities:calendar"), {"month": month}),
            _queries(client, reverse("activities:list"), {"export": "xlsx"}))
    assert many == few


def test_opinions_taken_during_the_activity(world, client_for):
    from lianxin.opinions.models import Category, Opinion
    from lianxin.opinions.tests.staff_helpers import submit

    a = make(world)
    category = Category.objects.create(code="urban", name="城乡建设", name_en="Urban construction")
    opinion = submit(category, world.station_a, title="楼道灯不亮")
    Opinion.objects.filter(pk=opinion.pk).update(activity=a)
    submit(category, world.station_a, title="别的意见")
    page = client_for(world.users[Role.SITE_MANAGER]).get(reverse("activities:detail", args=[a.pk])).content.decode()
    assert "楼道灯不亮" in page and "别的意见" not in page
    assert f"{reverse('opinions:new')}?activity={a.pk}" in page
    page = client_for(world.users[Role.DEPUTY]).get(reverse("activities:detail", args=[a.pk])).content.decode()
    assert f"{reverse('opinions:new')}?activity={a.pk}" not in page


def test_hold_adds_a_deputy_who_came_unannounced(world, client_for):
    from lianxin.deputies.models import Assignment, Deputy

    other = Deputy.objects.create(name="王建国", gender="m", phone="13700000000", occupation="工程师",
                                  home_region=world.street_a)
    Assignment.objects.create(deputy=other, station=world.station_a, started_on=datetime.date(2024, 1, 1))
    a = make(world)
    client = client_for(world.users[Role.SITE_MANAGER])
    assert "王建国" in client.get(reverse("activities:hold", args=[a.pk])).content.decode()
    response = client.post(reverse("activities:hold", args=[a.pk]), {
        "minutes": "纪要", "citizens_received": "0", f"came_{world.deputy_a.pk}": "", "extra_deputy": other.pk,
        "extra_note": "临时参加"})
    assert response.status_code == 302
    rows = {r.deputy_id: r for r in Attendance.objects.filter(activity=a)}
    assert rows[world.deputy_a.pk].attended is False
    assert rows[other.pk].attended is True and rows[other.pk].expected is False
    page = client.get(reverse("activities:detail", args=[a.pk])).content.decode()
    assert "临时参加" in page


def test_admin_pages(world, client_for):
    a = make(world)
    client = client_for(world.superuser)
    assert client.get(reverse("admin:activities_activity_changelist")).status_code == 200
    assert client.get(reverse("admin:activities_activity_change", args=[a.pk])).status_code == 200


def test_deputy_filter_is_a_name_search_not_a_select_of_every_deputy(world, client_for):
    make(world, title="坞城接待")
    make(world, world.station_b, title="柳巷接待")
    client = client_for(world.users[Role.CITY_ADMIN])
    page = client.get(reverse("activities:list")).content.decode()
    assert '<select name="deputy"' not in page and 'name="deputy"' in page and 'type="search"' in page
    by_name = client.get(reverse("activities:list"), {"deputy": world.deputy_b.name[1:]}).content.decode()
    assert "柳巷接待" in by_name and "坞城接待" not in by_name
    by_id = client.get(reverse("activities:list"), {"deputy": str(world.deputy_a.pk)}).content.decode()
    assert "坞城接待" in by_id and "柳巷接待" not in by_id
    nobody = client.get(reverse("activities:list"), {"deputy": "无此代表"}).content.decode()
    assert "No activities match these filters." in nobody
    # a deputy outside the user's scope matches nothing, even by id
    district = client_for(world.users[Role.DISTRICT_ADMIN])
    other = district.get(reverse("activities:list"), {"deputy": str(world.deputy_b.pk)}).content.decode()
    assert "柳巷接待" not in other and "坞城接待" not in other


def test_site_and_area_filters_only_when_there_is_a_choice(world, client_for):
    make(world)
    single = client_for(world.users[Role.SITE_MANAGER]).get(reverse("activities:list")).content.decode()
    assert 'name="station"' not in single and 'name="region"' not in single
    several = client_for(world.users[Role.CITY_ADMIN]).get(reverse("activities:list")).content.decode()
    assert 'name="station"' in several and 'name="region"' in several


def test_change_history_in_words(world, client_for):
    a = make(world)
    services.cancel(world.superuser, a, reason="场地临时占用")
    page = client_for(world.superuser).get(reverse("activities:detail", args=[a.pk])).content.decode()
    history = page.split('data-testid="audit-list"', 1)[1]
    assert "Planned the activity" in history and "Cancelled the activity" in history and "场地临时占用" in history
    assert ">activity.cancel<" not in history


def test_export_rows_in_words_with_who_came(world, client_for, monkeypatch):
    from lianxin.activities import views

    monkeypatch.setattr(views, "EXPORT_BATCH", 2)  # several batches of activities
    held = make(world, title="已开展的活动", hours_ago=5)
    services.hold(world.superuser, held, minutes="纪要", citizens_received=7,
                  attendance=[services.Presence(world.deputy_a.pk, True)])
    make(world, title="计划中的活动", hours_ago=4)
    cancelled = make(world, title="取消的活动", hours_ago=3)
    services.cancel(world.superuser, cancelled, reason="下雨")
    response = client_for(world.users[Role.CITY_ADMIN]).get(reverse("activities:list"), {"export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [row[5] for row in rows[1:]] == ["取消的活动", "计划中的活动", "已开展的活动"]
    by_title = {row[5]: row for row in rows[1:]}
    assert by_title["已开展的活动"][4] == "Receiving citizens" and by_title["已开展的活动"][7] == "Held"
    assert by_title["已开展的活动"][8] == world.deputy_a.name and by_title["已开展的活动"][9] == world.deputy_a.name
    assert by_title["已开展的活动"][10] == 7 and by_title["已开展的活动"][11] == "纪要"
    assert by_title["计划中的活动"][9] is None and by_title["取消的活动"][12] == "下雨"

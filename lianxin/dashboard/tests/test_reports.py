"""Work reports: the figures of a period against direct counts, the workbook and the PDF read back, the
task's progress, scoping (another district's report is a 404), bad input, the command."""

import datetime
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from lianxin.activities.models import Activity, Attendance
from lianxin.dashboard import reports, rollups
from lianxin.dashboard.models import WorkReport
from lianxin.opinions.models import Category, Opinion

pytestmark = pytest.mark.django_db

URL = reverse("dashboard:reports")
MAY = datetime.date(2025, 5, 1)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(timezone.make_aware(datetime.datetime(2025, 6, 16, 10, 0)), tick=False):
        yield


@pytest.fixture
def english(settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def at(day, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def held(station, day, deputies=(), kind="reception"):
    activity = Activity.objects.create(station=station, kind=kind, title=f"{kind} {day}", starts_at=at(day, 9),
                                       ends_at=at(day, 11), status=Activity.Status.HELD, held_at=at(day, 12),
                                       citizens_received=3)
    for deputy in deputies:
        Attendance.objects.create(activity=activity, deputy=deputy, expected=True, attended=True)
    return activity


def opinion(station, region, day, title="路灯不亮", category=("urban", "城乡建设"), **fields):
    category = Category.objects.get_or_create(code=category[0], defaults={"name": category[1]})[0]
    return Opinion.objects.create(category=category, title=title, text="路灯坏了", channel="walk_in",
                                  region=region, station=station, created_at=at(day), citizen_name="张三丰",
                                  citizen_phone="13900001111", **fields)


@pytest.fixture
def busy(world):
    """May 2025: district A 3 activities, 2 opinions (one resolved and rated satisfied), district B 1
    activity, 1 opinion; April 2025: district A 1 activity. Roll-ups refreshed."""
    day = datetime.date(2025, 5, 12)
    for offset in range(3):
        held(world.station_a, day + datetime.timedelta(days=offset), [world.deputy_a])
    held(world.station_b, day, [world.deputy_b])
    held(world.station_a, datetime.date(2025, 4, 10), [world.deputy_a])
    opinion(world.station_a, world.street_a, day, title="坞城路灯不亮", status="closed", outcome="resolved",
            replied_at=at(day + datetime.timedelta(days=2)), closed_at=at(day + datetime.timedelta(days=5)),
            satisfaction="satisfied", rated_at=at(day + datetime.timedelta(days=5)))
    opinion(world.station_a, world.street_a, day, title="坞城积水", category=("water", "水务"))
    opinion(world.station_b, world.street_b, day, title="柳巷噪音扰民")
    rollups.refresh()
    return world


def count_held(region, start, end):
    return Activity.objects.filter(status="held", region_path__startswith=region.path,
                                   starts_at__gte=at(start, 0), starts_at__lt=at(end, 0)).count()


def summary(data):
    return {row["key"]: row for row in data["summary"]}


def test_period_bounds():
    assert reports.period_bounds("month", datetime.date(2023, 11, 17)) == (datetime.date(2023, 11, 1),
                                                                          datetime.date(2023, 11, 30))
    assert reports.period_bounds("quarter", datetime.date(2024, 2, 29)) == (datetime.date(2024, 1, 1),
                                                                            datetime.date(2024, 3, 31))
    assert reports.period_bounds("year", datetime.date(2024, 7, 1)) == (datetime.date(2024, 1, 1),
                                                                        datetime.date(2024, 12, 31))
    with pytest.raises(reports.ReportError):
        reports.period_bounds("week", datetime.date(2024, 7, 1))
    with pytest.raises(reports.ReportError) as error:
        reports.check_period("month", datetime.date(2025, 7, 1))
    assert error.value.code == "future"
    assert reports.check_period("month", datetime.date(2025, 6, 1))[0] == datetime.date(2025, 6, 1)  # to date


def test_city_figures_equal_direct_counts(busy):
    data = reports.report_data(busy.city, "month", MAY, datetime.date(2025, 5, 31))
    rows = summary(data)
    assert rows["activities"]["value"] == count_held(busy.city, MAY, datetime.date(2025, 6, 1)) == 4
    assert rows["activities"]["previous"] == 1 and rows["activities"]["change"] == 300.0
    assert rows["activities"]["last_year"] == 0 and rows["activities"]["yoy"] is None
    assert rows["opinions"]["value"] == Opinion.objects.filter(created_at__gte=at(MAY, 0)).count() == 3
    assert rows["resolved"]["value"] == 1 and rows["satisfaction_rate"]["value"] == 100.0
    assert rows["attendance_rate"]["value"] == 100.0 and rows["citizens"]["value"] == 12
    assert dict(data["categories"]) == {"城乡建设": 2, "水务": 1}
    assert data["headline"]["stations"] == 2
    assert [row["label"] for row in data["trend"]][-1] == "2025-05"
    assert "4" in data["texts"]["activities"]


def test_district_figures_only_its_district(busy):
    data = reports.report_data(busy.district_a, "month", MAY, datetime.date(2025, 5, 31))
    rows = summary(data)
    assert rows["activities"]["value"] == count_held(busy.district_a, MAY, datetime.date(2025, 6, 1)) == 3
    assert rows["opinions"]["value"] == 2
    names = [row[1] for row in reports.site_rows(data)]
    assert busy.station_b.name not in names


def test_workbook_contains_the_figures(busy, english):
    content = reports.render(busy.city, "quarter", datetime.date(2025, 4, 1), "xlsx", "en")
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Summary", "Monthly trend", "Districts", "Sites' effectiveness", "Categories"]
    sheet = book["Summary"]
    values = {row[0]: row[1:] for row in sheet.iter_rows(min_row=6, max_row=17, values_only=True)}
    assert values["Activities held"][0] == 5  # April + May
    assert values["Opinions received"][0] == 3
    assert len(sheet._charts) == 2  # native Excel charts on the summary
    districts = {row[0]: row for row in book["Districts"].iter_rows(min_row=2, values_only=True)}
    assert districts[busy.district_a.name][2] == 4 and districts[busy.district_b.name][2] == 1
    categories = dict(book["Categories"].iter_rows(min_row=2, values_only=True))
    assert categories == {"城乡建设": 2, "水务": 1}
    sites = [row[1] for row in book["Sites' effectiveness"].iter_rows(min_row=2, values_only=True)]
    assert busy.station_a.name in sites


def test_workbook_headers_are_chinese_by_default(busy):
    content = reports.render(busy.city, "month", MAY, "xlsx", "zh-hans")
    book = load_workbook(io.BytesIO(content))
    assert len(book.sheetnames) == 5  # the Chinese names come from the catalogue once compiled


def pdf_text(content):
    import pypdf

    return "".join(page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def test_pdf_contains_the_figures(busy, english):
    content = reports.render(busy.district_a, "month", MAY, "pdf", "en")
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    assert busy.district_a.name in text and "2025-05" in text
    assert "held 3 activities" in text  # the section's sentence, built from the figures
    assert busy.station_a.name in text and busy.station_b.name not in text


@pytest.mark.django_db(transaction=False)
def test_request_builds_with_progress_and_downloads_scoped(client_for, busy, english,
                                                         django_capture_on_commit_callbacks):
    client = client_for(busy.users["district_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"area": busy.district_a.code, "period": "month", "date": "2025-05-20",
                                     "format": "xlsx"})
    assert response.status_code == 302
    report = WorkReport.objects.get()
    assert report.status == "ready", report.error
    assert report.progress == 100 and report.starts_on == MAY and report.ends_on == datetime.date(2025, 5, 31)
    page = client.get(URL)
    assert 'data-testid="report-download"' in page.content.decode()
    download = client.get(reverse("dashboard:report_download", args=[report.pk]))
    assert download.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert "Summary" in book.sheetnames
    outsider = client_for(busy.outsider)
    assert outsider.get(reverse("dashboard:report_download", args=[report.pk])).status_code == 404
    assert outsider.get(reverse("dashboard:report_status", args=[report.pk])).status_code == 404
    assert report.pk not in [r.pk for r in outsider.get(URL).context["reports"]]


def test_progress_row_polls_while_in_progress(client_for, busy):
    report = WorkReport.objects.create(region=busy.district_a, period="month", starts_on=MAY,
                                       ends_on=datetime.date(2025, 5, 31), format="pdf", progress=35)
    html = client_for(busy.users["district_admin"]).get(reverse("dashboard:report_status", args=[report.pk]))
    body = html.content.decode()
    assert 'hx-trigger="every 1s"' in body and 'aria-valuenow="35"' in body


def test_another_districts_report_cannot_be_requested(client_for, busy):
    client = client_for(busy.users["district_admin"])
    for code in (busy.district_b.code, busy.city.code):
        response = client.post(URL, {"area": code, "period": "month", "date": "2025-05-01", "format": "pdf"})
        assert response.status_code == 404
    assert not WorkReport.objects.exists()


@pytest.mark.parametrize("data, field", [
    ({"area": "999999", "period": "month", "date": "2025-05-01", "format": "pdf"}, "area"),  # no such area
    ({"area": "140105", "period": "month", "date": "2025-07-01", "format": "pdf"}, "date"),  # the future
    ({"area": "140105", "period": "week", "date": "2025-05-01", "format": "pdf"}, "period"),
    ({"area": "140105", "period": "month", "date": "2025-05-01", "format": "doc"}, "format"),
])
def test_bad_input_makes_nothing(client_for, busy, data, field):
    response = client_for(busy.users["district_admin"]).post(URL, data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not WorkReport.objects.exists()


def test_service_refuses_an_area_outside(busy):
    with pytest.raises(reports.ReportError) as error:
        reports.request_report(busy.users["district_admin"], busy.city.code, "month", MAY, "pdf")
    assert error.value.code == "area"
    assert not WorkReport.objects.exists()


def test_city_admin_may_report_on_any_district_others_not_at_all(client_for, busy):
    codes = [code for code, _name in client_for(busy.users["city_admin"]).get(URL).context["form"]
             .fields["area"].choices]
    assert codes == [busy.city.code, busy.district_a.code, busy.district_b.code]
    assert client_for(busy.users["site_manager"]).get(URL).status_code == 403


def test_list_queries_do_not_grow_with_rows(client_for, busy, django_assert_max_num_queries):
    client = client_for(busy.users["city_admin"])

    def add(n):
        for i in range(n):
            WorkReport.objects.create(region=busy.district_a, period="month", starts_on=MAY,
                                      ends_on=datetime.date(2025, 5, 31), format="pdf", status="ready")

    add(2)
    client.get(URL)
    with django_assert_max_num_queries(12) as few:
        client.get(URL)
    add(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(URL)


def test_command_writes_a_file(busy, tmp_path, english):
    out = tmp_path / "report.xlsx"
    stdout = io.StringIO()
    call_command("work_report", "--area", busy.district_a.code, "--period", "month", "--date", "2025-05-01",
                 "--out", str(out), "--language", "en", stdout=stdout)
    assert str(out) in stdout.getvalue()
    book = load_workbook(out)
    values = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=6, max_row=17, values_only=True)}
    assert values["Activities held"] == 3


@pytest.mark.parametrize("args", [
    ["--area", "999999", "--period", "month", "--date", "2025-05-01"],
    ["--area", "140105", "--period", "week", "--date", "2025-05-01"],
    ["--area", "140105", "--period", "month", "--date", "2025-09-01"],
    ["--area", "140105", "--period", "month", "--date", "May"],
    ["--area", "140105001", "--period", "month", "--date", "2025-05-01"],  # a street is not an area
])
def test_command_bad_input(busy, tmp_path, args):
    out = tmp_path / "report.pdf"
    with pytest.raises(CommandError):
        call_command("work_report", *args, "--out", str(out))
    assert not out.exists()

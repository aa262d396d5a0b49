"""Roster import and export: the template, every kind of bad row, preview, apply, new term, round trip, scope."""

import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from lianxin.accounts.models import AuditEntry
from lianxin.deputies import roster
from lianxin.deputies.models import Deputy, Level, RosterImport, Seat

HEADERS = ["Person ID", "Name", "Gender", "Year of birth", "Ethnicity", "Political affiliation",
           "Work unit and position", "Mobile phone", "Home division code", "Level", "Term",
           "Constituency division code", "Constituency", "Seat start date"]

pytestmark = pytest.mark.usefixtures("_frozen")


@pytest.fixture
def _frozen():
    with time_machine.travel("2026-11-29 10:00 +0800", tick=False):
        yield


def row(name="王小红", gender="女", phone="13700001111", level="county", term=17, constituency="140105001",
        person=None, home="140105001", **extra):
    values = {"Person ID": person, "Name": name, "Gender": gender, "Mobile phone": phone,
              "Home division code": home, "Level": level, "Term": term, "Constituency division code": constituency}
    aliases = {"occupation": "Work unit and position"}
    values.update({aliases.get(k, k): v for k, v in extra.items()})
    return [values.get(h) for h in HEADERS]


def xlsx(*rows, headers=HEADERS):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for r in rows:
        sheet.append(r)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(content, name="roster.xlsx"):
    return SimpleUploadedFile(name, content)


def counts():
    return Deputy.objects.count(), Seat.objects.count(), Seat.objects.current().count()


def start(user, *rows, term=None):
    return roster.start_import(user, upload(xlsx(*rows)), term, language="en")


def test_template_has_headers_instructions_and_lists(client_for, world):
    response = client_for(world.users["city_admin"]).get(reverse("deputies:roster_template"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.worksheets) == 2
    first = book.worksheets[0]
    assert len([c.value for c in first[1]]) == len(HEADERS)
    assert len(first.data_validations.dataValidation) == 2


def test_template_needs_an_importing_role(client_for, world):
    response = client_for(world.users["site_manager"]).get(reverse("deputies:roster_template"))
    assert response.status_code == 403


def test_preview_counts_and_nothing_written_before_apply(world):
    before = counts()
    imp = start(world.users["city_admin"],
                row(),  # new person, new seat
                row(name="王小红", level="township", term=8, constituency="140105001001"),  # second seat
                row(person=world.deputy_a.pk, name="李明华", gender="男", phone="138****5678", level="county",
                    term=17, constituency="140105001", home="140105001001", occupation="坞城社区主任"),
                row(person=world.deputy_b.pk, name="赵淑芬", gender="女", phone="13987654321", level="county",
                    term=17, constituency="140106001", home="140106001", occupation="柳巷中学教师"))
    assert imp.status == RosterImport.Status.READY, imp.errors
    c = imp.counts
    assert (c["create"], c["change"], c["unchanged"], c["people_new"], c["errors"]) == (2, 1, 2, 1, 0), imp.preview
    change = imp.preview["change"][0]
    assert change["name"] == "赵淑芬"
    assert {"field": "work unit and position", "old": "柳巷小学教师", "new": "柳巷中学教师"} in change["changes"]
    assert counts() == before

    imp = roster.request_apply(world.users["city_admin"], imp)
    assert imp.status == RosterImport.Status.APPLIED
    new = Deputy.objects.get(name="王小红")
    assert new.phone == "13700001111" and new.home_region == world.street_a
    assert set(new.seats.values_list("level", "term")) == {("county", 17), ("township", 8)}
    assert Deputy.objects.get(pk=world.deputy_b.pk).occupation == "柳巷中学教师"
    assert AuditEntry.objects.filter(action="roster.import").count() == 1
    assert counts()[0] == before[0] + 1


BAD_ROWS = [
    ("phone", row(phone="12345"), "Mobile phone"),
    ("phone missing", row(phone=None), "Mobile phone"),
    ("masked phone for new", row(phone="137****1111"), "Mobile phone"),
    ("unknown region", row(constituency="999999"), "Constituency division code"),
    ("unknown home region", row(home="888888"), "Home division code"),
    ("unknown level", row(level="village"), "Level"),
    ("missing level", row(level=None), "Level"),
    ("gender", row(gender="x"), "Gender"),
    ("name", row(name=None), "Name"),
    ("term missing", row(term=None), "Term"),
    ("term not a number", row(term="abc"), "Term"),
    ("level area", row(level="township", constituency="140105"), "Constituency division code"),
    ("birth year", row(**{"Year of birth": 1800}), "Year of birth"),
    ("start date", row(**{"Seat start date": "yesterday"}), "Seat start date"),
    ("unknown person id", row(person=999999), "Person ID"),
    ("no seat for new person", row(level=None, term=None, constituency=None), "Level"),
]


@pytest.mark.parametrize(("case", "bad", "column"), BAD_ROWS, ids=[b[0] for b in BAD_ROWS])
def test_every_kind_of_bad_row_stops_the_import(world, case, bad, column):
    before = counts()
    imp = start(world.users["city_admin"], row(name="好人", phone="13600000000"), bad)
    assert imp.status == RosterImport.Status.INVALID
    assert [(e["row"], e["column"]) for e in imp.errors] == [(3, column)], imp.errors
    assert imp.errors[0]["message"]
    with pytest.raises(roster.ImportStateError):
        roster.request_apply(world.users["city_admin"], imp)
    assert counts() == before


def test_duplicate_person_and_conflicting_details(world):
    imp = start(world.users["city_admin"], row(), row(), row(occupation="另一单位", level="township", term=8,
                                                              constituency="140105001001"))
    assert [(e["row"], e["column"]) for e in imp.errors] == [(3, "Level"), (4, "Work unit and position")]


def test_person_already_on_the_roster_elsewhere_is_a_row_error_for_a_district_admin(world):
    imp = start(world.users["district_admin"],
                row(name="赵淑芬", phone="13987654321", constituency="140105001"))
    assert [e["column"] for e in imp.errors] == ["Name"]


def test_errors_in_chinese(world):
    imp = roster.start_import(world.users["city_admin"], upload(xlsx(row(phone="1"))), language="zh-hans")
    assert imp.errors and imp.errors[0]["row"] == 2


def test_not_an_excel_file_and_missing_headers(world):
    imp = roster.start_import(world.users["city_admin"], upload(b"hello"), language="en")
    assert imp.status == RosterImport.Status.INVALID and imp.errors[0]["row"] == 0
    imp = roster.start_import(world.users["city_admin"], upload(xlsx(["a", "b"], headers=["x", "y"])), language="en")
    assert "Name" in imp.errors[0]["message"]


def test_district_admin_rows_outside_the_district_are_errors(world):
    before = counts()
    imp = start(world.users["district_admin"], row(), row(name="外区", phone="13600000001", constituency="140106001"),
                row(person=world.deputy_b.pk, name="赵淑芬", phone="13987654321", constituency="140106001"))
    assert [(e["row"], e["column"]) for e in imp.errors] == [
        (3, "Constituency division code"), (4, "Constituency division code"), (4, "Person ID")]
    assert counts() == before


def test_new_term_ends_earlier_seats_and_keeps_history(world):
    user = world.users["city_admin"]
    imp = start(user, row(person=world.deputy_a.pk, name="李明华", gender="男", phone="138****5678", term=18,
                          home="140105001001", occupation="坞城社区主任"),
                term=18)
    assert imp.status == RosterImport.Status.READY, imp.errors
    # deputy_a's and deputy_b's county seats of term 17 end; deputy_a's municipal seat is another level.
    assert imp.counts["seats_ending"] == 2 and imp.counts["create"] == 1
    roster.request_apply(user, imp)
    a_seats = {(s.level, s.term): s.ended_on for s in world.deputy_a.seats.all()}
    assert a_seats[("county", 17)] is not None and a_seats[("county", 18)] is None
    assert a_seats[("municipal", 16)] is None
    b_seat = Seat.objects.get(deputy=world.deputy_b, level="county", term=17)
    assert b_seat.ended_on is not None
    assert Deputy.objects.filter(pk=world.deputy_b.pk).exists()


def test_new_term_rows_of_another_term_are_errors(world):
    imp = start(world.users["city_admin"], row(term=17), term=18)
    assert [e["column"] for e in imp.errors] == ["Term"]


def test_export_round_trip_is_no_change(client_for, world):
    client = client_for(world.users["city_admin"])
    response = client.get(reverse("deputies:list"), {"export": "roster"})
    assert response.status_code == 200
    content = response.content
    assert b"13812345678" not in content
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 4  # header + 3 seats
    assert rows[1][7] == "138****5678"
    imp = roster.start_import(world.users["city_admin"], upload(content), language="zh-hans")
    assert imp.status == RosterImport.Status.READY, imp.errors
    assert (imp.counts["create"], imp.counts["change"], imp.counts["unchanged"]) == (0, 0, 3)
    assert AuditEntry.objects.filter(action="deputy.export").count() == 1


def test_full_phone_export_is_audited_and_refused_to_other_roles(client_for, world):
    response = client_for(world.users["city_admin"]).get(reverse("deputies:list"),
                                                         {"export": "roster", "phones": "full"})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[1][7] == "13812345678"
    assert AuditEntry.objects.filter(action="pii.export").count() == 1
    response = client_for(world.users["site_manager"]).get(reverse("deputies:list"),
                                                           {"export": "roster", "phones": "full"})
    assert response.status_code == 403


def test_apply_rechecks_and_writes_nothing_when_data_changed(world):
    user = world.users["city_admin"]
    imp = start(user, row())
    # Meanwhile the same person is entered elsewhere (no seat or home: outside the admin's area).
    Deputy.objects.create(name="王小红", gender="f", phone="13700001111")
    before = counts()
    imp = roster.request_apply(user, imp)
    assert imp.status == RosterImport.Status.FAILED
    assert [e["column"] for e in imp.errors] == ["Name"]
    assert counts() == before


def test_large_file_runs_as_a_task_with_progress(world, settings, monkeypatch):
    monkeypatch.setattr(roster, "TASK_THRESHOLD", 5)
    rows = [row(name=f"代表{i}", phone=f"1370000{i:04d}") for i in range(12)]
    imp = start(world.users["city_admin"], *rows)
    assert imp.status == RosterImport.Status.READY and imp.rows_done == 12
    imp = roster.request_apply(world.users["city_admin"], imp)
    assert imp.status == RosterImport.Status.APPLIED
    assert Deputy.objects.filter(name__startswith="代表").count() == 12


def test_check_queries_do_not_grow_with_rows(world, django_assert_max_num_queries):
    user = world.users["city_admin"]
    raw = [(i + 2, dict(zip([c.key for c in roster.COLUMNS], row(name=f"人{i}", phone=f"1370000{i:04d}"),
                            strict=True))) for i in range(200)]
    with django_assert_max_num_queries(8):
        plan = roster.check_rows(user, raw)
    assert not plan.errors and len(plan.new_people) == 200


def test_pages_upload_preview_apply_and_history(client_for, world):
    client = client_for(world.users["district_admin"])
    assert client.get(reverse("deputies:roster")).status_code == 200
    response = client.post(reverse("deputies:roster_upload"), {"file": upload(xlsx(row()))})
    assert response.status_code == 303
    imp = RosterImport.objects.get()
    page = client.get(response["Location"])
    assert page.status_code == 200 and "王小红" in page.content.decode()
    response = client.post(reverse("deputies:roster_apply", args=[imp.pk]))
    assert response.status_code == 303
    assert Deputy.objects.filter(name="王小红").exists()
    assert client.get(reverse("deputies:roster_progress", args=[imp.pk]))["HX-Refresh"] == "true"
    # another district's admin does not see it
    other = client_for(world.outsider)
    assert other.get(reverse("deputies:roster_detail", args=[imp.pk])).status_code == 404
    assert client_for(world.users["site_manager"]).get(reverse("deputies:roster")).status_code == 403


def test_upload_refuses_other_files(client_for, world):
    client = client_for(world.users["city_admin"])
    response = client.post(reverse("deputies:roster_upload"), {"file": upload(b"x", "a.csv")})
    assert response.status_code == 400 and not RosterImport.objects.exists()


def test_command_prints_errors_and_exits_1(world, tmp_path, capsys):
    path = tmp_path / "r.xlsx"
    path.write_bytes(xlsx(row(phone="1")))
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_roster", str(path), "--user", "city", "--apply")
    assert exit_info.value.code == 1
    assert not Deputy.objects.filter(name="王小红").exists()
    path.write_bytes(xlsx(row()))
    capsys.readouterr()
    call_command("import_roster", str(path), "--user", "city", "--apply")
    assert "1" in capsys.readouterr().out
    assert Level.COUNTY in Deputy.objects.get(name="王小红").seats.values_list("level", flat=True)

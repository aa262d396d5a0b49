"""Declaring items done elsewhere and their review by staff of the deputy's area."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lianxin.accounts.models import AuditEntry
from lianxin.performance import services
from lianxin.performance.models import DeclaredItem
from lianxin.performance.services import PerformanceError

D = datetime.date


def pending(world, deputy=None):
    return DeclaredItem.objects.create(deputy=deputy or world.deputy_a, kind="meeting", done_on=D(2026, 3, 1),
                                       title="出席区人大常委会会议", evidence_text="会议通知")


def test_a_deputy_declares_an_item_with_a_file(client_for, world):
    client = client_for(world.users["deputy"])
    upload = SimpleUploadedFile("notice.pdf", b"%PDF-1.4 notice", content_type="application/pdf")
    response = client.post("/staff/performance/declare/", {
        "kind": "voter_visit", "done_on": "2026-04-01", "title": "入户走访选民", "evidence_file": upload})
    assert response.status_code == 302
    item = DeclaredItem.objects.get()
    assert item.deputy == world.deputy_a and item.status == "pending" and item.evidence_file
    assert AuditEntry.objects.filter(action="performance.declare", target_id=str(item.pk)).exists()
    manager = client_for(world.users["site_manager"])
    assert manager.get(f"/staff/performance/declared/{item.pk}/evidence/").status_code == 200


@pytest.mark.parametrize(("data", "message"), [
    ({"kind": "meeting", "done_on": "2026-04-01", "title": "会议"}, "Give the evidence"),
    ({"kind": "meeting", "done_on": "2026-06-01", "title": "会议", "evidence_text": "x"}, "in the future"),
    ({"kind": "absence", "done_on": "2026-04-01", "title": "会议", "evidence_text": "x"}, "Select a valid choice"),
    ({"kind": "meeting", "done_on": "not a date", "title": "会议", "evidence_text": "x"}, "Enter a valid date"),
    ({"kind": "meeting", "done_on": "2026-04-01", "title": "", "evidence_text": "x"}, "This field is required"),
])
def test_bad_declarations_change_nothing(client_for, world, english, data, message):
    client = client_for(world.users["deputy"])
    response = client.post("/staff/performance/declare/", data)
    assert response.status_code == 400 and message in response.content.decode()
    assert DeclaredItem.objects.count() == 0 and not AuditEntry.objects.filter(action="performance.declare").exists()


def test_a_bad_evidence_file_type_is_refused(client_for, world, english):
    upload = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    response = client_for(world.users["deputy"]).post("/staff/performance/declare/", {
        "kind": "meeting", "done_on": "2026-04-01", "title": "会议", "evidence_file": upload})
    assert response.status_code == 400 and DeclaredItem.objects.count() == 0


def test_only_deputies_declare(client_for, world):
    assert client_for(world.users["site_manager"]).get("/staff/performance/declare/").status_code == 403


def test_staff_approve_and_the_item_counts(client_for, world):
    from lianxin.performance.record import period, tally

    item = pending(world)
    assert tally([world.deputy_a.pk], *period(2026))[world.deputy_a.pk].count("meeting") == 0
    client = client_for(world.users["site_manager"])
    response = client.post(f"/staff/performance/declared/{item.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "approved" and item.decided_by == world.users["site_manager"]
    assert AuditEntry.objects.filter(action="performance.approve", target_id=str(item.pk)).exists()
    assert tally([world.deputy_a.pk], *period(2026))[world.deputy_a.pk].count("meeting") == 1


def test_a_rejection_needs_a_reason(client_for, world, english):
    item = pending(world)
    client = client_for(world.users["district_admin"])
    response = client.post(f"/staff/performance/declared/{item.pk}/decide/", {"decision": "reject"}, follow=True)
    assert "Give a reason" in response.content.decode()
    item.refresh_from_db()
    assert item.status == "pending" and not AuditEntry.objects.filter(action__startswith="performance.re").exists()
    client.post(f"/staff/performance/declared/{item.pk}/decide/", {"decision": "reject", "reason": "没有证明"})
    item.refresh_from_db()
    assert item.status == "rejected" and item.reason == "没有证明"
    assert AuditEntry.objects.filter(action="performance.reject").count() == 1
    # decided once: a second decision is refused
    with pytest.raises(PerformanceError):
        services.decide(world.users["district_admin"], item.pk, approve=True)


def test_review_is_scoped_to_the_deputys_area(client_for, world):
    item = pending(world)
    outsider = client_for(world.outsider)
    assert outsider.post(f"/staff/performance/declared/{item.pk}/decide/", {"decision": "approve"}).status_code == 404
    item.refresh_from_db()
    assert item.status == "pending"
    assert "出席区人大常委会会议" not in outsider.get("/staff/performance/declared/").content.decode()
    with pytest.raises(PerformanceError):
        services.decide(world.users["deputy"], item.pk, approve=True)  # a deputy never reviews


def test_the_review_queue_lists_pending_items_in_constant_queries(client_for, world, django_assert_max_num_queries):
    from lianxin.deputies.models import Assignment, Deputy

    client = client_for(world.users["district_admin"])
    client.get("/staff/performance/declared/")
    for i in range(15):
        deputy = Deputy.objects.create(name=f"代表{i}", gender="f")
        Assignment.objects.create(deputy=deputy, station=world.station_a)
        pending(world, deputy)
    with django_assert_max_num_queries(12):
        response = client.get("/staff/performance/declared/")
    assert response.content.decode().count("/decide/") == 15

"""The auditor's pages on a phone: my audits, scoring a visit, photos, submission, scoping."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lianxin.accounts.models import Role
from lianxin.campaigns.models import Application, AuditAssignment, AuditPhoto, AuditScore, Phase
from lianxin.campaigns.tests.conftest import manual_criteria
from lianxin.testing import make_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def assignment(world, application, auditor_b):
    application.status = Application.Status.RECOMMENDED
    application.save()
    return AuditAssignment.objects.create(application=application, auditor=auditor_b,
                                          assigned_by=world.users[Role.CITY_ADMIN])


def _form(template, share="0.5", notes="整体较好"):
    data = {"notes": notes, "action": "save"}
    for criterion in manual_criteria(template):
        data[f"points-{criterion.pk}"] = str((criterion.max_points * Decimal(share)).quantize(Decimal("0.01")))
        data[f"note-{criterion.pk}"] = "现场查看"
    return data


def test_an_auditor_sees_only_its_assignments(client_for, world, assignment, campaign, auditor_a,
                                                django_assert_max_num_queries):
    client = client_for(assignment.auditor)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("audits:index"))
    assert page.status_code == 200
    assert world.station_a.name in page.content.decode()
    assert world.district_a.name in page.content.decode()
    assert reverse("audits:detail", args=[assignment.pk]) in page.content.decode()

    other = client_for(auditor_a)
    page = other.get(reverse("audits:index"))
    assert world.station_a.name not in page.content.decode()
    assert other.get(reverse("audits:detail", args=[assignment.pk])).status_code == 404


def test_the_index_query_count_does_not_grow_with_rows(client_for, world, campaign, template, auditor_b,
                                                       django_assert_max_num_queries):
    from lianxin.campaigns.models import Application as App
    from lianxin.testing import make_station

    for i in range(6):
        site = make_station(f"S-X{i}", f"测试站{i}", world.street_b)
        app = App.objects.create(campaign=campaign, station=site, kind=site.kind, status=App.Status.RECOMMENDED)
        AuditAssignment.objects.create(application=app, auditor=auditor_b)
    client = client_for(auditor_b)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("audits:index"))
    assert page.content.decode().count('data-testid="audit-row"') == 6


@pytest.mark.parametrize("role", [Role.DISTRICT_ADMIN, Role.SITE_MANAGER, Role.DEPUTY])
def test_others_get_404(client_for, world, assignment, role):
    client = client_for(world.users[role])
    assert client.get(reverse("audits:detail", args=[assignment.pk])).status_code == 404
    assert client.post(reverse("audits:detail", args=[assignment.pk]), {"action": "save"}).status_code == 404


def test_the_city_admin_reads_but_cannot_score(client_for, world, assignment, campaign, at_phase, template):
    at_phase(campaign, Phase.AUDIT)
    client = client_for(world.users[Role.CITY_ADMIN])
    page = client.get(reverse("audits:detail", args=[assignment.pk]))
    assert page.status_code == 200
    assert 'name="points-' not in page.content.decode()
    assert client.post(reverse("audits:detail", args=[assignment.pk]), _form(template)).status_code == 404
    assert not AuditScore.objects.exists()


def test_the_page_shows_items_self_scores_and_a_map_link(client_for, world, assignment, campaign, at_phase,
                                                         template):
    from lianxin.campaigns.models import SelfScore

    at_phase(campaign, Phase.AUDIT)
    first = manual_criteria(template)[0]
    SelfScore.objects.create(application=assignment.application, criterion=first, points=Decimal("1.5"),
                             note="有值班表")
    page = client_for(assignment.auditor).get(reverse("audits:detail", args=[assignment.pk])).content.decode()
    assert page.count('data-testid="audit-item"') == len(manual_criteria(template))
    assert first.title in page and "有值班表" in page
    assert 'href="geo:37.8,112.58' in page or 'href="geo:37.800000,112.580000' in page
    assert 'capture="environment"' in page and 'inputmode="decimal"' in page


def test_saving_outside_the_audit_phase_is_refused_with_the_message(client_for, assignment, template, english):
    # the clock starts in the application phase
    response = client_for(assignment.auditor).post(reverse("audits:detail", args=[assignment.pk]), _form(template))
    assert response.status_code == 400
    assert "On-site audit" in response.content.decode()
    assert "can only be done in the phase" in response.content.decode()
    assert not AuditScore.objects.exists()


def test_the_auditor_saves_then_submits(client_for, assignment, campaign, at_phase, template):
    at_phase(campaign, Phase.AUDIT)
    client = client_for(assignment.auditor)
    data = _form(template)
    data.update(latitude="37.800123", longitude="112.580456", accuracy="12")
    response = client.post(reverse("audits:detail", args=[assignment.pk]), data)
    assert response.status_code == 302
    assignment.refresh_from_db()
    criteria = manual_criteria(template)
    assert AuditScore.objects.filter(assignment=assignment).count() == len(criteria)
    assert assignment.visited_at is not None and assignment.status == AuditAssignment.Status.ASSIGNED
    assert assignment.latitude == Decimal("37.800123") and assignment.location_accuracy == 12
    assert assignment.notes == "整体较好"

    data["action"] = "submit"
    assert client.post(reverse("audits:detail", args=[assignment.pk]), data).status_code == 302
    assignment.refresh_from_db()
    assert assignment.status == AuditAssignment.Status.SUBMITTED
    expected = sum((c.max_points * Decimal("0.5")).quantize(Decimal("0.01")) for c in criteria)
    assert assignment.total == expected
    page = client.get(reverse("audits:detail", args=[assignment.pk])).content.decode()
    assert 'name="points-' not in page  # read-only after submission
    data["notes"] = "改"
    assert client.post(reverse("audits:detail", args=[assignment.pk]), data).status_code == 400
    assignment.refresh_from_db()
    assert assignment.notes == "整体较好"


def test_an_incomplete_submission_is_refused(client_for, assignment, campaign, at_phase, template, english):
    at_phase(campaign, Phase.AUDIT)
    data = _form(template)
    first = manual_criteria(template)[0]
    data[f"points-{first.pk}"] = ""
    data["action"] = "submit"
    response = client_for(assignment.auditor).post(reverse("audits:detail", args=[assignment.pk]), data)
    assert response.status_code == 400
    assert "Score every item before submitting" in response.content.decode()
    assignment.refresh_from_db()
    assert assignment.status == AuditAssignment.Status.ASSIGNED
    # what was typed is saved as a draft and shown again
    assert AuditScore.objects.filter(assignment=assignment).count() == len(manual_criteria(template)) - 1


def test_points_out_of_range_are_shown_inline_and_nothing_is_saved(client_for, assignment, campaign, at_phase,
                                                                   template, english):
    at_phase(campaign, Phase.AUDIT)
    data = _form(template)
    first, second = manual_criteria(template)[:2]
    data[f"points-{first.pk}"] = str(first.max_points + 1)
    data[f"points-{second.pk}"] = "abc"
    response = client_for(assignment.auditor).post(reverse("audits:detail", args=[assignment.pk]), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Give between 0 and" in page and "Enter a number of points." in page
    assert 'value="abc"' in page
    assert not AuditScore.objects.exists()


def test_photos_wrong_type_refused_right_type_kept(client_for, assignment, campaign, at_phase, template, english):
    at_phase(campaign, Phase.AUDIT)
    client = client_for(assignment.auditor)
    first = manual_criteria(template)[0]
    data = _form(template)
    data[f"photo-{first.pk}"] = SimpleUploadedFile("notes.txt", b"just some text", content_type="image/jpeg")
    response = client.post(reverse("audits:detail", args=[assignment.pk]), data)
    assert response.status_code == 400
    assert "is not a JPEG, PNG or WebP photo" in response.content.decode()
    assert not AuditPhoto.objects.exists()

    data = _form(template)
    data[f"photo-{first.pk}"] = SimpleUploadedFile("room.png", PNG, content_type="image/png")
    assert client.post(reverse("audits:detail", args=[assignment.pk]), data).status_code == 302
    photo = AuditPhoto.objects.get()
    assert photo.criterion == first
    url = reverse("audits:photo", args=[assignment.pk, photo.pk])
    assert url in client.get(reverse("audits:detail", args=[assignment.pk])).content.decode()
    served = client.get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    stranger = make_user("auditor_c", Role.AUDITOR)
    assert client_for(stranger).get(url).status_code == 404


def test_a_refused_site_photo_is_named_in_the_banner(client_for, assignment, campaign, at_phase, template, english):
    at_phase(campaign, Phase.AUDIT)
    data = _form(template)
    data["photo-general"] = SimpleUploadedFile("site.pdf", b"%PDF-1.4 not a photo", content_type="application/pdf")
    response = client_for(assignment.auditor).post(reverse("audits:detail", args=[assignment.pk]), data)
    assert response.status_code == 400
    banner = response.content.decode()
    assert "Your scores were saved, but a photo was refused." in banner and "is not a JPEG, PNG or WebP" in banner
    assert AuditScore.objects.filter(assignment=assignment).exists() and not AuditPhoto.objects.exists()

"""Certificates (授牌): one PDF per designation or a campaign's batch, made by a task, served scoped."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from lianxin.accounts.models import Role
from lianxin.campaigns import certificates
from lianxin.campaigns.models import CertificateDocument, Designation
from lianxin.stations.models import Station


def pdf_text(content: bytes) -> str:
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def decided(world, campaign):
    campaign.decided_at = campaign.published_at = timezone.now()
    campaign.save()
    return [
        Designation.objects.create(station=world.station_a, campaign=campaign, tier=Station.Tier.EXEMPLARY,
                                   year=2023, certificate_no="SF2023-0001"),
        Designation.objects.create(station=world.station_b, campaign=campaign, tier=Station.Tier.EXEMPLARY,
                                   year=2023, certificate_no="SF2023-0002"),
    ]


def test_the_page_html_has_the_wording_and_a_qr_code(world, decided, settings):
    settings.PUBLIC_BASE_URL = "https://lianxin.example.org"
    html = certificates.render_html([decided[0]], "zh-hans")
    assert world.station_a.name in html and "SF2023-0001" in html
    assert "太原市" in html  # the issuing congress: the campaign's region
    assert "data:image/svg+xml" in html
    page = certificates.certificate_page(decided[0])
    assert page["url"] == f"https://lianxin.example.org{reverse('public:site', args=[world.station_a.code])}"
    assert "A4 landscape" in html


def test_a_city_admin_prepares_and_downloads_one_certificate(client_for, world, campaign, decided,
                                                             django_capture_on_commit_callbacks):
    client = client_for(world.users[Role.CITY_ADMIN])
    url = reverse("audits:certificate_prepare", args=[campaign.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"designation": decided[0].pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    doc = CertificateDocument.objects.get(campaign=campaign, designation=decided[0])
    assert doc.status == CertificateDocument.Status.READY, doc.error
    assert "hx-trigger" in response.content.decode()  # polls while the task runs
    status = client.get(reverse("audits:certificate_status", args=[campaign.pk]), {"designation": decided[0].pk})
    assert 'data-testid="certificate-download"' in status.content.decode()
    assert "hx-trigger" not in status.content.decode()
    pdf = client.get(reverse("audits:certificate_download", args=[campaign.pk]),
                     {"designation": decided[0].pk})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    content = b"".join(pdf.streaming_content)
    assert content.startswith(b"%PDF")
    found = pdf_text(content)
    assert world.station_a.name in found
    assert "SF2023-0001" in found
    assert world.station_b.name not in found


def test_the_batch_has_every_current_designation(client_for, world, campaign, decided,
                                                 django_capture_on_commit_callbacks):
    decided[1].withdrawn_at = timezone.now()
    decided[1].save()
    extra = Designation.objects.create(station=world.point_a, campaign=campaign, tier=Station.Tier.EXEMPLARY,
                                       year=2023, certificate_no="SF2023-0003")
    client = client_for(world.users[Role.CITY_ADMIN])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("audits:certificate_prepare", args=[campaign.pk]))
    doc = CertificateDocument.objects.get(campaign=campaign, designation__isnull=True)
    assert doc.status == CertificateDocument.Status.READY, doc.error
    found = pdf_text(doc.file.read())
    assert world.station_a.name in found and world.point_a.name in found
    assert "SF2023-0003" in found and extra.certificate_no in found
    assert world.station_b.name not in found  # withdrawn


def test_a_second_request_while_busy_is_refused(world, campaign, decided, english):
    admin = world.users[Role.CITY_ADMIN]
    certificates.request_certificates(admin, campaign, decided[0])  # no commit: stays pending
    with pytest.raises(certificates.CampaignError) as refused:
        certificates.request_certificates(admin, campaign, decided[0])
    assert refused.value.code == "busy"


def test_district_admins_get_their_area_only(client_for, world, campaign, decided):
    client = client_for(world.users[Role.DISTRICT_ADMIN])
    status = reverse("audits:certificate_status", args=[campaign.pk])
    assert client.get(status, {"designation": decided[0].pk}).status_code == 200
    assert client.get(status, {"designation": decided[1].pk}).status_code == 404
    assert client.get(status).status_code == 404  # the batch is the city's
    listing = client.get(reverse("audits:certificates", args=[campaign.pk])).content.decode()
    assert world.station_a.name in listing and world.station_b.name not in listing
    for role in (Role.SITE_MANAGER, Role.AUDITOR):
        other = client_for(world.users[role])
        assert other.get(status, {"designation": decided[0].pk}).status_code == 404
        assert other.get(reverse("audits:certificates", args=[campaign.pk])).status_code == 404


def test_certificates_need_a_decision(world, campaign, english):
    campaign.decided_at = None
    campaign.published_at = None
    campaign.save()
    with pytest.raises(certificates.CampaignError) as refused:
        certificates.request_certificates(world.users[Role.CITY_ADMIN], campaign)
    assert refused.value.code == "phase"


# ---- the generic request/build flow (lianxin.core.documents) ------------------------------------------


def test_a_stale_request_no_longer_blocks(world, campaign, decided):
    import datetime

    import time_machine

    admin = world.users[Role.CITY_ADMIN]
    first = certificates.request_certificates(admin, campaign, decided[0])
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=11), tick=False):
        again = certificates.request_certificates(admin, campaign, decided[0])
    assert again.pk == first.pk and again.status == CertificateDocument.Status.PENDING


def test_a_failed_render_is_recorded_and_a_superseded_one_discarded(world, campaign, decided):
    from lianxin.core.documents import build_document

    admin = world.users[Role.CITY_ADMIN]
    doc = certificates.request_certificates(admin, campaign, decided[0])

    def broken(document):
        raise ValueError("boom")

    assert build_document(CertificateDocument, doc.pk, broken, "c.pdf") is False
    doc.refresh_from_db()
    assert doc.status == CertificateDocument.Status.FAILED and doc.error == "failed"

    CertificateDocument.objects.filter(pk=doc.pk).update(status=CertificateDocument.Status.PENDING)

    def superseded(document):
        # a newer request arrives while this one renders
        CertificateDocument.objects.filter(pk=document.pk).update(status=CertificateDocument.Status.PENDING,
                                                                  started_at=None)
        return b"%PDF-1.7 old"

    assert build_document(CertificateDocument, doc.pk, superseded, "c.pdf") is False
    doc.refresh_from_db()
    assert doc.status == CertificateDocument.Status.PENDING and not doc.file

    assert build_document(CertificateDocument, doc.pk, lambda document: b"%PDF-1.7 new", "c.pdf") is True
    doc.refresh_from_db()
    assert doc.status == CertificateDocument.Status.READY and doc.size == len(b"%PDF-1.7 new")
    assert doc.file.name.startswith("campaigns/certificates/") and doc.error == ""
    assert build_document(CertificateDocument, doc.pk, lambda document: b"x", "c.pdf") is False  # not pending

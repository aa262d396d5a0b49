"""Certificates (授牌) of designations as PDFs: one per designation, or a campaign's whole batch.

Made by a task through ``CertificateDocument`` and the generic flow of ``lianxin.core.documents``;
the QR code on each certificate opens the site's public page (``PUBLIC_BASE_URL``).
"""

from __future__ import annotations

from typing import Any

import segno
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from huey.contrib.djhuey import db_task

from lianxin.accounts.audit import log_action
from lianxin.core.documents import DocumentBusy, build_document, request_document
from lianxin.public.services import public_url
from lianxin.stations.models import Station

from .models import Campaign, CertificateDocument, Designation
from .services import CampaignError, can_manage

# The award's wording per tier and kind of site (the certificate's title).
TITLES: dict[tuple[str, str], Any] = {
    (Station.Tier.EXEMPLARY, Station.Kind.STATION): gettext_lazy("Exemplary deputy liaison station"),
    (Station.Tier.EXEMPLARY, Station.Kind.POINT): gettext_lazy("Exemplary deputy liaison point"),
    (Station.Tier.STAR, Station.Kind.STATION): gettext_lazy("Star-rated deputy liaison station"),
    (Station.Tier.STAR, Station.Kind.POINT): gettext_lazy("Star-rated deputy liaison point"),
    (Station.Tier.STANDARD, Station.Kind.STATION): gettext_lazy("Standardised deputy liaison station"),
    (Station.Tier.STANDARD, Station.Kind.POINT): gettext_lazy("Standardised deputy liaison point"),
}


def can_request(user: Any, campaign: Campaign, designation: Designation | None) -> bool:
    """City admin: any; a district admin: single certificates of sites in its area."""
    if can_manage(user):
        return True
    if designation is None or not getattr(user, "is_admin", False):
        return False
    return Station.objects.visible_to(user).filter(pk=designation.station_id).exists()


def site_url(station: Station) -> str:
    return public_url(reverse("public:site", args=[station.code]))


def certificate_page(designation: Designation) -> dict[str, Any]:
    """What one certificate page shows (translated in the active language)."""
    campaign = designation.campaign
    station = designation.station
    title = TITLES.get((designation.tier, station.kind)) or TITLES[(Station.Tier.EXEMPLARY, station.kind)]
    region = campaign.region.name if campaign is not None else ""
    issued = (campaign.published_at or campaign.decided_at) if campaign is not None else None
    url = site_url(station)
    return {
        "designation": designation, "station": station, "title": title,
        "citation": _("%(site)s has been named a %(title)s of %(year)s. This certificate is awarded in recognition.")
        % {"site": station.name, "title": title, "year": designation.year},
        "issuer": _("Standing Committee of the %(region)s People's Congress") % {"region": region} if region else "",
        "issued_on": (issued or designation.designated_at).date(),
        "qr": segno.make(url, error="q", micro=False).svg_data_uri(scale=4, border=2, dark="#8b0000"),
        "url": url,
    }


def render_html(designations: list[Designation], language: str) -> str:
    with translation.override(language):
        pages = [certificate_page(designation) for designation in designations]
        return render_to_string("campaigns/certificate.html", {"pages": pages, "LANGUAGE_CODE": language})


def designations_of(document: CertificateDocument) -> list[Designation]:
    rows = Designation.objects.select_related("station", "campaign__region")
    if document.designation_id is not None:
        return list(rows.filter(pk=document.designation_id))
    found = list(rows.current().filter(campaign_id=document.campaign_id).order_by("certificate_no"))
    return sorted(found, key=lambda d: d.station.kind != Station.Kind.STATION)  # stations first


def render_pdf(document: CertificateDocument) -> bytes:
    import weasyprint  # type: ignore[import-untyped]

    designations = designations_of(document)
    if not designations:
        raise ValueError("no designations")
    return weasyprint.HTML(string=render_html(designations, document.language)).write_pdf()  # type: ignore[no-any-return]


def request_certificates(user: Any, campaign: Campaign, designation: Designation | None = None,
                         language: str = "zh-hans", request: Any = None) -> CertificateDocument:
    """Queue the PDF of one designation's certificate, or (``designation`` None) of all current ones."""
    if not can_request(user, campaign, designation):
        raise CampaignError("forbidden", _("You may not prepare these certificates."))
    if designation is not None and designation.campaign_id != campaign.pk:
        raise CampaignError("invalid", _("This designation is not of this campaign."))
    if campaign.decided_at is None:
        raise CampaignError("phase", _("Certificates can be prepared once the campaign is decided."))
    if designation is None and not Designation.objects.current().filter(campaign=campaign).exists():
        raise CampaignError("empty", _("The campaign has no current designations."))
    with transaction.atomic():
        try:
            document = request_document(CertificateDocument, {"campaign": campaign, "designation": designation},
                                        user, language, build_certificates_task)
        except DocumentBusy:
            raise CampaignError("busy", _("The certificates are already being prepared.")) from None
        log_action(user, "campaigns.certificates", designation or campaign,
                   {"campaign": campaign.pk, "designation": designation.pk if designation else None}, request)
    return document


def build_certificates(document_id: int) -> bool:
    """The task's body (``tasks.build_certificates`` calls it)."""
    return build_document(CertificateDocument, document_id, render_pdf, "certificates.pdf")


# WeasyPrint with CJK fonts takes seconds per page: never in a request. (``tasks`` imports this so the
# consumer knows the task.)
@db_task()
def build_certificates_task(document_id: int) -> None:
    build_certificates(document_id)

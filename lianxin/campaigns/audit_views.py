"""The on-site audit on a phone: an auditor's assignments and the scoring page of one visit.

Only the assigned auditor scores; a city admin may open the page read-only; anyone else gets 404.
Every change goes through ``services.save_audit`` and ``services.add_audit_photo``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lianxin.accounts.decorators import staff_required
from lianxin.public.services import geo_uri
from lianxin.regions.models import Region
from lianxin.stations.models import Station

from . import certificates as certificates_module
from . import exports, services
from .models import (
    AuditAssignment,
    AuditPhoto,
    AuditScore,
    Campaign,
    CertificateDocument,
    Criterion,
    Designation,
    Evidence,
    Phase,
    SelfScore,
)
from .services import CampaignError

MAX_NOTE = 2000


@dataclass
class Item:
    """One manual criterion as a card: the site's self-score and evidence, the auditor's score."""

    criterion: Criterion
    self_points: Decimal | None = None
    self_note: str = ""
    evidence: list[Evidence] = field(default_factory=list)
    points: str = ""
    note: str = ""
    photos: list[AuditPhoto] = field(default_factory=list)
    error: str = ""


def _assignments(request: HttpRequest) -> Any:
    return AuditAssignment.objects.visible_to(request.user)  # type: ignore[arg-type]


def _may_open(user: Any, assignment: AuditAssignment) -> bool:
    return bool(assignment.auditor_id == user.pk or services.can_manage(user))


def _assignment(request: HttpRequest, pk: int) -> AuditAssignment:
    found = (_assignments(request).filter(pk=pk)
             .select_related("application__campaign__template", "application__campaign__region",
                             "application__station__region", "auditor")
             .first())
    if found is None or not _may_open(request.user, found):
        raise Http404
    return found


@staff_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """My audits: newest campaign first, the visits still to make before those already scored."""
    user: Any = request.user
    rows = _assignments(request)
    if not services.can_manage(user):
        rows = rows.filter(auditor=user)
    rows = list(rows.select_related("application__campaign__region", "application__station__region", "auditor")
                .order_by("-application__campaign__year", "-application__campaign_id", "-status", "id")[:200])
    districts = _district_names([(row.application.station, row.application.campaign) for row in rows])
    for row in rows:
        row.district_name = districts.get(row.application.station_id, "")  # type: ignore[attr-defined]
    return render(request, "campaigns/audit_index.html", {"assignments": rows, "is_manager": services.can_manage(user)})


def _district_names(sites: list[tuple[Station, Campaign]]) -> dict[int, str]:
    """Site id → the name of its district (the campaign region's child containing it), in one query."""
    wanted: dict[int, str] = {}
    for station, campaign in sites:
        codes = station.region_path.strip("/").split("/")
        depth = len(campaign.region.path.strip("/").split("/"))
        if len(codes) > depth:
            wanted[station.pk] = codes[depth]
    names = dict(Region.objects.filter(code__in=set(wanted.values())).values_list("code", "name"))
    return {pk: names.get(code, "") for pk, code in wanted.items()}


def _items(assignment: AuditAssignment) -> list[Item]:
    application = assignment.application
    criteria = list(Criterion.objects.filter(dimension__template_id=application.campaign.template_id,
                                             kind=Criterion.Kind.MANUAL).select_related("dimension"))
    items = {criterion.pk: Item(criterion) for criterion in criteria}
    for own in SelfScore.objects.filter(application=application):
        if own.criterion_id in items:
            items[own.criterion_id].self_points, items[own.criterion_id].self_note = own.points, own.note
    for evidence in Evidence.objects.filter(application=application).select_related("activity", "opinion"):
        if evidence.criterion_id in items:
            items[evidence.criterion_id].evidence.append(evidence)
    for score in AuditScore.objects.filter(assignment=assignment):
        if score.criterion_id in items:
            items[score.criterion_id].points = _plain(score.points)
            items[score.criterion_id].note = score.note
    for photo in AuditPhoto.objects.filter(assignment=assignment):
        if photo.criterion_id in items:
            items[photo.criterion_id].photos.append(photo)
    return list(items.values())


def _plain(value: Decimal) -> str:
    """2.50 → "2.5", 3.00 → "3" for the number inputs."""
    text = format(value.normalize(), "f")
    return text


def _decimal(text: str | None) -> Decimal | None:
    if text is None or not text.strip():
        return None
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError from None
    if not value.is_finite():
        raise ValueError
    return value


def _context(assignment: AuditAssignment, items: list[Item], user: Any, **extra: Any) -> dict[str, Any]:
    application = assignment.application
    campaign = application.campaign
    phase = campaign.phase()
    own = assignment.auditor_id == user.pk
    editable = own and assignment.status == AuditAssignment.Status.ASSIGNED
    return {
        "assignment": assignment, "application": application, "campaign": campaign, "site": application.station,
        "items": items, "editable": editable, "in_window": phase == Phase.AUDIT, "phase_label": Phase(phase).label,
        "geo_uri": geo_uri(application.station) if application.station.latitude is not None else "",
        "scored": sum(1 for item in items if item.points != ""),
        "district_name": _district_names([(application.station, campaign)]).get(application.station_id, ""),
        "general_photos": AuditPhoto.objects.filter(assignment=assignment, criterion__isnull=True),
        **extra,
    }


@staff_required
@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _assignment(request, pk)
    user: Any = request.user
    items = _items(assignment)
    if request.method == "GET":
        return render(request, "campaigns/audit_detail.html", _context(assignment, items, user))
    if assignment.auditor_id != user.pk:
        raise Http404
    return _save(request, assignment, items)


def _save(request: HttpRequest, assignment: AuditAssignment, items: list[Item]) -> HttpResponse:
    user: Any = request.user
    submit = request.POST.get("action") == "submit"
    scores: dict[int, tuple[Decimal, str]] = {}
    invalid = False
    for item in items:
        key = item.criterion.pk
        item.points = request.POST.get(f"points-{key}", "").strip()
        item.note = request.POST.get(f"note-{key}", "")[:MAX_NOTE]
        try:
            value = _decimal(item.points)
        except ValueError:
            item.error, invalid = _("Enter a number of points."), True
            continue
        if value is None:
            continue
        if value < 0 or value > item.criterion.max_points:
            item.error = _("Give between 0 and %(max)s points.") % {"max": _plain(item.criterion.max_points)}
            invalid = True
            continue
        scores[key] = (value, item.note)
    notes = request.POST.get("notes", "")[:MAX_NOTE]
    location: dict[str, Any] = {}
    try:
        latitude, longitude = _decimal(request.POST.get("latitude")), _decimal(request.POST.get("longitude"))
        accuracy = _decimal(request.POST.get("accuracy"))
        if latitude is not None and longitude is not None and -90 <= latitude <= 90 and -180 <= longitude <= 180:
            location = {"latitude": latitude.quantize(Decimal("0.000001")),
                        "longitude": longitude.quantize(Decimal("0.000001")),
                        "accuracy": int(accuracy) if accuracy is not None and accuracy >= 0 else None}
    except ValueError:
        location = {}
    if invalid:
        return _refuse(request, assignment, items, _("Some items need correcting; nothing was saved."), notes)
    photos = [(item, request.FILES.get(f"photo-{item.criterion.pk}")) for item in items]
    general = request.FILES.get("photo-general")
    try:
        services.save_audit(user, assignment, scores, notes=notes, submit=False, **location)
    except CampaignError as failure:
        return _refuse(request, assignment, items, failure.message, notes)
    failed, refused = False, ""
    for item, upload in photos:
        if upload is None:
            continue
        try:
            services.add_audit_photo(user, assignment, upload, criterion=item.criterion)
        except CampaignError as failure:
            item.error, failed = failure.message, True
    if general is not None:
        try:
            services.add_audit_photo(user, assignment, general)
        except CampaignError as failure:
            refused, failed = str(failure.message), True
    if failed:
        assignment.refresh_from_db()
        message = _("Your scores were saved, but a photo was refused.")
        return _refuse(request, assignment, _items_with(assignment, items), f"{message} {refused}".strip(), notes)
    if submit:
        try:
            services.save_audit(user, assignment, scores, notes=notes, submit=True, **location)
        except CampaignError as failure:
            assignment.refresh_from_db()
            return _refuse(request, assignment, _items_with(assignment, items), failure.message, notes)
        messages.success(request, _("Your audit was submitted. Thank you."))
    else:
        messages.success(request, _("Your scores were saved."))
    return redirect("audits:detail", assignment.pk)


def _items_with(assignment: AuditAssignment, typed: list[Item]) -> list[Item]:
    """Fresh items (new photos) carrying what the auditor typed and the errors."""
    fresh = _items(assignment)
    by_id = {item.criterion.pk: item for item in typed}
    for item in fresh:
        old = by_id.get(item.criterion.pk)
        if old is not None:
            item.points, item.note, item.error = old.points, old.note, old.error
    return fresh


def _refuse(request: HttpRequest, assignment: AuditAssignment, items: list[Item], message: str,
            notes: str) -> HttpResponse:
    context = _context(assignment, items, request.user, error=message, notes=notes)
    return render(request, "campaigns/audit_detail.html", context, status=400)


# ---- files, through scoped views (never a public media URL) --------------------------------------------


def _file_response(file: Any) -> HttpResponse:
    if not file or not file.storage.exists(file.name):
        raise Http404
    name = file.name.rsplit("/", 1)[-1]
    kind = {"pdf": "application/pdf", "png": "image/png", "webp": "image/webp"}.get(name.rsplit(".", 1)[-1].lower(),
                                                                                      "image/jpeg")
    response = FileResponse(file.open("rb"), content_type=kind, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    return response  # type: ignore[return-value]


@staff_required
@require_GET
def photo(request: HttpRequest, pk: int, photo_pk: int) -> HttpResponse:
    assignment = _assignment(request, pk)
    found = AuditPhoto.objects.filter(assignment=assignment, pk=photo_pk).first()
    if found is None:
        raise Http404
    return _file_response(found.file)


@staff_required
@require_GET
def evidence(request: HttpRequest, pk: int, evidence_pk: int) -> HttpResponse:
    assignment = _assignment(request, pk)
    found = Evidence.objects.filter(application_id=assignment.application_id, pk=evidence_pk).exclude(file="").first()
    if found is None:
        raise Http404
    return _file_response(found.file)


# ---- certificates (授牌) and the Excel list of designations ---------------------------------------------


def _campaign(request: HttpRequest, pk: int) -> Campaign:
    found = Campaign.objects.visible_to(request.user).filter(pk=pk).select_related("region").first()  # type: ignore[arg-type]
    if found is None:
        raise Http404
    return found


def _designation(request: HttpRequest, campaign: Campaign) -> Designation | None:
    """The designation named by ``?designation=`` (None: the whole batch); 404 when not of the campaign."""
    raw = request.GET.get("designation") or request.POST.get("designation") or ""
    if not raw:
        return None
    try:
        pk = int(raw)
    except ValueError:
        raise Http404 from None
    found = Designation.objects.filter(pk=pk, campaign=campaign).select_related("station").first()
    if found is None:
        raise Http404
    return found


def _certificate_context(campaign: Campaign, designation: Designation | None, error: str = "") -> dict[str, Any]:
    doc = CertificateDocument.objects.filter(campaign=campaign, designation=designation).first()
    return {"campaign": campaign, "designation": designation, "doc": doc, "error": error}


@staff_required
@require_GET
def certificates(request: HttpRequest, pk: int) -> HttpResponse:
    """The campaign's current designations with their certificates (city admin: all; district admin: its area)."""
    campaign = _campaign(request, pk)
    user: Any = request.user
    manager = services.can_manage(user)
    if not manager and not getattr(user, "is_admin", False):
        raise Http404
    rows = (Designation.objects.current().filter(campaign=campaign).select_related("station", "application")
            .order_by("-station__kind", "application__rank", "certificate_no"))  # stations, then points
    if not manager:
        rows = rows.filter(station__in=Station.objects.visible_to(user).values("pk"))
    docs = {doc.designation_id: doc for doc in CertificateDocument.objects.filter(campaign=campaign)}
    return render(request, "campaigns/certificate_list.html", {
        "campaign": campaign, "rows": [(row, docs.get(row.pk)) for row in rows], "batch": docs.get(None),
        "can_batch": manager,
    })


@staff_required
@require_POST
def certificate_prepare(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    designation = _designation(request, campaign)
    if not certificates_module.can_request(request.user, campaign, designation):
        raise Http404
    error = ""
    try:
        certificates_module.request_certificates(request.user, campaign, designation, request.LANGUAGE_CODE, request)
    except CampaignError as failure:
        error = str(failure.message)
    if request.headers.get("HX-Request"):
        return render(request, "campaigns/certificate_status.html", _certificate_context(campaign, designation, error))
    if error:
        messages.error(request, error)
    return redirect("audits:certificates", campaign.pk)


@staff_required
@require_GET
def certificate_status(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    designation = _designation(request, campaign)
    if not certificates_module.can_request(request.user, campaign, designation):
        raise Http404
    return render(request, "campaigns/certificate_status.html", _certificate_context(campaign, designation))


@staff_required
@require_GET
def certificate_download(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    designation = _designation(request, campaign)
    if not certificates_module.can_request(request.user, campaign, designation):
        raise Http404
    doc = CertificateDocument.objects.filter(campaign=campaign, designation=designation).exclude(file="").first()
    if doc is None or not doc.file.storage.exists(doc.file.name):
        raise Http404
    name = f"certificate-{designation.certificate_no}.pdf" if designation else f"certificates-{campaign.year}.pdf"
    response = FileResponse(doc.file.open("rb"), content_type="application/pdf", as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    return response  # type: ignore[return-value]


@staff_required
@require_GET
def designations_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """The Excel list of the campaign's current designations (city admin)."""
    campaign = _campaign(request, pk)
    if not services.can_manage(request.user):  # type: ignore[arg-type]
        raise Http404
    return exports.xlsx_response(campaign)  # type: ignore[no-any-return]

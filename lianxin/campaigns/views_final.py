"""Staff pages after the district review: auditor assignment, the final review and decision, designations."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import F, Max, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from lianxin.accounts.decorators import staff_required
from lianxin.accounts.models import Role, User
from lianxin.core.export import xlsx_response
from lianxin.core.pagination import keyset_page
from lianxin.regions.models import Region, subtree_q
from lianxin.stations.models import Station

from . import services
from .forms import DesignationReviewForm, OverrideForm
from .models import Application, AuditAssignment, Campaign, Designation, DesignationReview, PlatformScore
from .services import CampaignError
from .views import district_names, district_of, get_campaign, is_admin, require_manager
from .views_applications import get_application

DESIGNATION_ORDER = ("-year", "id")


# ---- auditor assignment -------------------------------------------------------------------------------------


def _recommended(user: Any, campaign: Campaign) -> Any:
    audits = Prefetch("audits", AuditAssignment.objects.select_related("auditor").order_by("id"))
    return (Application.objects.visible_to(user).filter(campaign=campaign, status=Application.Status.RECOMMENDED)
            .select_related("station").prefetch_related(audits).order_by("kind", "station__region_path", "id"))


@staff_required
def assignments(request: HttpRequest, pk: int) -> HttpResponse:
    user = require_manager(request)
    campaign = get_campaign(request, pk)
    applications = list(_recommended(user, campaign))
    # The conflict rule of ``services.eligible_auditors`` applied in memory, so the page costs the same
    # number of queries for 10 or 300 applications; the service checks it again when assigning.
    auditors = list(User.objects.filter(role=Role.AUDITOR, is_active=True).select_related("region")
                    .order_by("username"))
    names = district_names()
    rows = []
    for app in applications:
        taken = {a.auditor_id for a in app.audits.all()}
        offered = [a for a in auditors if a.pk not in taken and not (
            campaign.auditors_outside_district and a.region is not None
            and app.station.region_path.startswith(a.region.path))]
        rows.append({"app": app, "district": district_of(app.station.region_path, names), "offered": offered,
                     "missing": max(0, campaign.auditors_per_site - len(taken))})
    return render(request, "campaigns/assignments.html", {"campaign": campaign, "rows": rows})


@staff_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    user = require_manager(request)
    app = get_application(request, pk)
    auditor = User.objects.filter(pk=request.POST.get("auditor") or 0, role=Role.AUDITOR).first() \
        if (request.POST.get("auditor") or "").isdigit() else None
    if auditor is None:
        messages.error(request, _("Choose an auditor."))
    else:
        try:
            services.assign_auditors(user, app, [auditor])
        except CampaignError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("%(auditor)s was assigned.") % {"auditor": auditor})
    return redirect("campaigns:assignments", app.campaign_id)


@staff_required
@require_POST
def auto_assign(request: HttpRequest, pk: int) -> HttpResponse:
    user = require_manager(request)
    campaign = get_campaign(request, pk)
    try:
        made = services.auto_assign(user, campaign)
    except CampaignError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(count)d assignments were made.") % {"count": made})
    return redirect("campaigns:assignments", campaign.pk)


@staff_required
@require_POST
def unassign(request: HttpRequest, pk: int) -> HttpResponse:
    user = require_manager(request)
    assignment = (AuditAssignment.objects.visible_to(user).select_related("application").filter(pk=pk).first())
    if assignment is None:
        raise Http404
    try:
        services.unassign(user, assignment)
    except CampaignError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The assignment was removed."))
    return redirect("campaigns:assignments", assignment.application.campaign_id)


# ---- final review -------------------------------------------------------------------------------------------


def _require_admin(request: HttpRequest) -> Any:
    user: Any = request.user
    if not is_admin(user):
        raise PermissionDenied
    return user


def _ranking(user: Any, campaign: Campaign) -> list[dict[str, Any]]:
    """Per kind the recommended applications in rank order with every score component (constant queries)."""
    # unranked rows (scores not computed yet) last on both databases
    applications = list(_recommended(user, campaign).order_by("kind", F("rank").asc(nulls_last=True), "id"))
    names = district_names()
    tables = []
    for kind, label in Station.Kind.choices:
        rows = [app for app in applications if app.kind == kind]
        if not rows and kind not in campaign.kinds:
            continue
        for app in rows:
            app.district_name = district_of(app.station.region_path, names)  # type: ignore[attr-defined]
            app.audit_totals = [(a.auditor, a.total) for a in app.audits.all()  # type: ignore[attr-defined]
                                if a.status == AuditAssignment.Status.SUBMITTED]
        tables.append({"kind": kind, "label": label, "rows": rows, "quota": campaign.quota(kind),
                       "decided_in": sum(1 for app in rows if app.decided_in)})
    return tables


@staff_required
def final(request: HttpRequest, pk: int) -> HttpResponse:
    user = _require_admin(request)
    campaign = get_campaign(request, pk)
    refreshed = PlatformScore.objects.filter(application__campaign=campaign).aggregate(at=Max("computed_at"))["at"]
    return render(request, "campaigns/final.html", {
        "campaign": campaign, "phase": campaign.phase(), "tables": _ranking(user, campaign),
        "refreshed": refreshed, "can_manage": services.can_manage(user), "override_choices":
        Application.Override.choices,
    })


@staff_required
@require_POST
def override(request: HttpRequest, pk: int) -> HttpResponse:
    user = require_manager(request)
    app = get_application(request, pk)
    form = OverrideForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("campaigns:final", app.campaign_id)
    try:
        services.set_override(user, app, form.cleaned_data.get("override") or "", form.cleaned_data.get("reason") or "")
    except CampaignError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The override of %(site)s was saved.") % {"site": app.station.name})
    return redirect("campaigns:final", app.campaign_id)


@staff_required
@require_POST
def refresh(request: HttpRequest, pk: int) -> HttpResponse:
    from .tasks import refresh_campaign

    require_manager(request)
    campaign = get_campaign(request, pk)
    if campaign.decided_at is not None:
        messages.error(request, _("The scores are kept as they were when the decision was taken."))
        return redirect("campaigns:final", campaign.pk)
    refresh_campaign(campaign.pk)
    messages.success(request, _("The scores are being recomputed; reload the page in a moment."))
    return redirect("campaigns:final", campaign.pk)


@staff_required
@require_http_methods(["GET", "POST"])
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what the decision would designate (confirmation); POST: ``services.decide``."""
    user = require_manager(request)
    campaign = get_campaign(request, pk)
    if request.method == "POST":
        try:
            made = services.decide(user, campaign)
        except CampaignError as error:
            messages.error(request, error.message)
            return redirect("campaigns:final", campaign.pk)
        messages.success(request, _("The decision was recorded: %(count)d sites designated.") % {"count": len(made)})
        return redirect("campaigns:detail", campaign.pk)
    tables = _ranking(user, campaign)
    return render(request, "campaigns/decide.html", {
        "campaign": campaign,
        "tables": [{**t, "chosen": [app for app in t["rows"] if app.decided_in]} for t in tables],
    })


@staff_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    user = require_manager(request)
    campaign = get_campaign(request, pk)
    try:
        services.publish(user, campaign)
    except CampaignError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The designations were published."))
    return redirect("campaigns:detail", campaign.pk)


def _number(value: Any) -> Any:
    return float(value) if value is not None else ""


@staff_required
def final_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    user = _require_admin(request)
    campaign = get_campaign(request, pk)
    overrides = dict(Application.Override.choices)
    body = []
    for table in _ranking(user, campaign):
        for app in table["rows"]:
            body.append([
                str(table["label"]), app.rank or "", app.station.code, app.station.name, app.district_name,
                _number(app.self_percent), _number(app.audit_percent),
                "; ".join(f"{auditor}: {total}" for auditor, total in app.audit_totals),
                _number(app.platform_percent), _number(app.final_score), _("yes") if app.tied else "",
                _("yes") if app.disagreement else "", _("yes") if app.within_quota else "",
                str(overrides.get(app.override, app.override)) if app.override else "", app.override_reason,
                _("yes") if app.decided_in else "", _("yes") if app.designated else ""])
    heads = [_("Kind"), _("Rank"), _("Site code"), _("Site"), _("District"), _("Self-assessment (%)"),
             _("On-site audit (%)"), _("Auditors' totals"), _("Platform figures (%)"), _("Final score"), _("Tied"),
             _("Auditors disagree"), _("Within the quota"), _("Override"), _("Reason for the override"),
             _("Decided in"), _("Designated")]
    return xlsx_response(_("campaign-ranking-%(year)d.xlsx") % {"year": campaign.year}, heads, body)


# ---- designations -------------------------------------------------------------------------------------------


@staff_required
def designations(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    rows = Designation.objects.visible_to(user).select_related("station", "campaign").prefetch_related(
        Prefetch("reviews", DesignationReview.objects.select_related("reviewed_by")))
    year = request.GET.get("year", "")
    if year.isdigit():
        rows = rows.filter(year=int(year))
    tier = request.GET.get("tier", "")
    if tier in Station.Tier.values:
        rows = rows.filter(tier=tier)
    state = request.GET.get("state", "current")
    if state == "current":
        rows = rows.filter(withdrawn_at__isnull=True)
    elif state == "withdrawn":
        rows = rows.filter(withdrawn_at__isnull=False)
    districts = Region.objects.filter(level=Region.Level.COUNTY).order_by("path")
    district_id = request.GET.get("district", "")
    district = districts.filter(pk=int(district_id)).first() if district_id.isdigit() else None
    if district is not None:
        rows = rows.filter(subtree_q("station__region_path", district.path))
    page = keyset_page(rows, DESIGNATION_ORDER, request.GET.get("cursor"), settings.PAGE_SIZE)
    names = district_names()
    return render(request, "campaigns/designations.html", {
        "page": page, "total": rows.count(), "year": year, "tier": tier, "state": state, "district": district,
        "districts": list(districts.only("pk", "name")), "tiers": Station.Tier.choices,
        "rows": [(d, district_of(d.station.region_path, names)) for d in page.rows],
        "can_manage": services.can_manage(user), "form": DesignationReviewForm(),
    })


@staff_required
@require_POST
def designation_review(request: HttpRequest, pk: int) -> HttpResponse:
    user = require_manager(request)
    designation = Designation.objects.visible_to(user).filter(pk=pk).first()
    if designation is None:
        raise Http404
    form = DesignationReviewForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("campaigns:designations")
    try:
        services.review_designation(user, designation, year=form.cleaned_data["year"],
                                    keep=form.cleaned_data["outcome"] == "keep", reason=form.cleaned_data["reason"])
    except CampaignError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The re-check was recorded."))
    return redirect("campaigns:designations")

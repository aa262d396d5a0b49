"""Staff pages of the exemplary-site campaign: the list, criteria templates, campaign set-up and detail.

The application pages are in ``views_applications``, the audit assignment, final review and
designations in ``views_final``. Every state change goes through ``services``; views only read
(scoped with ``visible_to``) and translate ``CampaignError`` into a message or a form error.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from lianxin.accounts.decorators import staff_required
from lianxin.core import clock
from lianxin.regions.models import Region
from lianxin.stations.models import Station

from . import services
from .forms import CampaignForm, TemplateMetaForm, criterion_formset
from .models import (
    Application,
    AuditAssignment,
    Campaign,
    CriteriaTemplate,
    Criterion,
    Designation,
    Dimension,
    Phase,
)
from .services import CampaignError

PHASE_ORDER = [Phase.PREPARATION, Phase.APPLICATION, Phase.DISTRICT_REVIEW, Phase.AUDIT, Phase.FINAL_REVIEW,
               Phase.DECIDED, Phase.PUBLISHED]


# ---- shared helpers -----------------------------------------------------------------------------------------


def get_campaign(request: HttpRequest, pk: int) -> Campaign:
    found = Campaign.objects.visible_to(request.user).select_related("template", "region").filter(pk=pk).first()  # type: ignore[arg-type]
    if found is None:
        raise Http404
    return found


def require_manager(request: HttpRequest) -> Any:
    user: Any = request.user
    if not services.can_manage(user):
        raise PermissionDenied
    return user


def is_admin(user: Any) -> bool:
    return bool(user.is_superuser or getattr(user, "role", "") in ("city_admin", "district_admin"))


def district_names() -> dict[str, str]:
    """County-level regions by path (one query): a site's district is the one whose path prefixes its own."""
    return dict(Region.objects.filter(level=Region.Level.COUNTY).values_list("path", "name"))


def district_of(path: str, districts: dict[str, str]) -> str:
    for prefix, name in districts.items():
        if path.startswith(prefix):
            return name
    return ""


def phase_badge(phase: str) -> str:
    badges: dict[str, str] = {Phase.PREPARATION: "secondary", Phase.APPLICATION: "primary", Phase.DISTRICT_REVIEW: "info",
            Phase.AUDIT: "warning", Phase.FINAL_REVIEW: "danger", Phase.DECIDED: "success",
            Phase.PUBLISHED: "success"}
    return badges.get(phase, "secondary")


def timeline(campaign: Campaign) -> list[dict[str, Any]]:
    """The phases with their dates, the current one marked (the final review ends with the decision)."""
    current = campaign.phase()
    dates = {Phase.APPLICATION: campaign.application_opens, Phase.DISTRICT_REVIEW: campaign.district_review_opens,
             Phase.AUDIT: campaign.audit_opens, Phase.FINAL_REVIEW: campaign.final_review_opens,
             Phase.DECIDED: campaign.decided_at, Phase.PUBLISHED: campaign.published_at or campaign.publication_on}
    index = PHASE_ORDER.index(Phase(current))
    return [{"phase": phase, "label": Phase(phase).label, "date": dates.get(phase), "current": phase == current,
             "done": PHASE_ORDER.index(phase) < index} for phase in PHASE_ORDER[1:]]


def fail(request: HttpRequest, error: CampaignError) -> None:
    messages.error(request, error.message)


# ---- the list -----------------------------------------------------------------------------------------------


@staff_required
def index(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    campaigns = list(Campaign.objects.visible_to(user).select_related("template"))
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (Application.objects.visible_to(user).filter(campaign__in=campaigns)
                .values("campaign_id", "status").annotate(n=Count("id")).order_by()):
        counts[row["campaign_id"]][row["status"]] = row["n"]
    rows = [{"campaign": c, "phase": c.phase(), "badge": phase_badge(c.phase()),
             "counts": [(label, counts[c.pk].get(value, 0)) for value, label in Application.Status.choices
                        if counts[c.pk].get(value)]} for c in campaigns]
    return render(request, "campaigns/index.html", {
        "rows": rows, "can_manage": services.can_manage(user),
        "my_sites": _my_sites(user, campaigns) if getattr(user, "role", "") == "site_manager" else None,
    })


def _my_sites(user: Any, campaigns: list[Campaign]) -> list[dict[str, Any]]:
    """For a site manager: per open campaign, each of its sites with its application or why it cannot apply."""
    today = clock.today()
    open_campaigns = [c for c in campaigns if c.decided_at is None and c.phase() != Phase.FINAL_REVIEW]
    stations = list(Station.objects.visible_to(user).order_by("region_path", "code"))
    existing = {(a.campaign_id, a.station_id): a for a in
                Application.objects.visible_to(user).filter(campaign__in=open_campaigns)}
    result = []
    for campaign in open_campaigns:
        phase = campaign.phase(today)
        for station in stations:
            found = existing.get((campaign.pk, station.pk))
            reason = ""
            if found is None:
                if station.kind not in campaign.kinds:
                    reason = _("This campaign takes no sites of this kind.")
                elif not station.is_active:
                    reason = _("The site is deactivated.")
                elif phase == Phase.PREPARATION:
                    reason = _("Applications open on %(date)s.") % {"date": campaign.application_opens.isoformat()}
                elif phase != Phase.APPLICATION:
                    closed = campaign.district_review_opens - datetime.timedelta(days=1)
                    reason = _("The application window closed on %(date)s.") % {"date": closed.isoformat()}
            result.append({"campaign": campaign, "station": station, "application": found, "reason": reason})
    return result


@staff_required
@require_POST
def start(request: HttpRequest, pk: int, station: int) -> HttpResponse:
    user: Any = request.user
    campaign = get_campaign(request, pk)
    site = Station.objects.visible_to(user).filter(pk=station).first()
    if site is None:
        raise Http404
    try:
        application = services.start_application(user, campaign, site)
    except CampaignError as error:
        fail(request, error)
        return redirect("campaigns:index")
    messages.success(request, _("The application was started: self-score each item and add evidence."))
    return redirect("campaigns:application", application.pk)


# ---- criteria templates --------------------------------------------------------------------------------------


@staff_required
def templates(request: HttpRequest) -> HttpResponse:
    versions = list(CriteriaTemplate.objects.annotate(used=Count("campaigns")).order_by("family", "-version"))
    families: dict[str, list[CriteriaTemplate]] = defaultdict(list)
    for version in versions:
        families[version.family].append(version)
    return render(request, "campaigns/templates.html", {
        "families": dict(families), "can_manage": services.can_manage(request.user)})  # type: ignore[arg-type]


def _dimensions(template: CriteriaTemplate) -> list[Dimension]:
    return list(template.dimensions.prefetch_related(Prefetch("criteria", Criterion.objects.order_by("order", "id"))))


@staff_required
def template_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from .metrics import FORMULAS

    template = CriteriaTemplate.objects.filter(pk=pk).first()
    if template is None:
        raise Http404
    dimensions = _dimensions(template)
    return render(request, "campaigns/template_detail.html", {
        "template": template, "formulas": FORMULAS, "campaigns": template.campaigns.all(),
        "dimensions": [(d, sum((c.max_points for c in d.criteria.all()), 0)) for d in dimensions],
        "total": sum((c.max_points for d in dimensions for c in d.criteria.all()), 0),
        "can_manage": services.can_manage(request.user),  # type: ignore[arg-type]
        "newest": CriteriaTemplate.objects.filter(family=template.family).aggregate(v=Max("version"))["v"],
    })


@staff_required
@require_http_methods(["GET", "POST"])
def template_new(request: HttpRequest, family: str) -> HttpResponse:
    """A new version of ``family``, prefilled from its newest one; saving never touches older versions."""
    user = require_manager(request)
    latest = CriteriaTemplate.objects.filter(family=family).order_by("-version").first()
    if latest is None:
        raise Http404
    initial = [{"dimension": d.code, "title": c.title, "guidance": c.guidance, "evidence": c.evidence,
                "max_points": c.max_points, "kind": c.kind, "metric": c.metric, "target": c.target}
               for d in _dimensions(latest) for c in d.criteria.all()]
    meta = TemplateMetaForm(request.POST or None, initial={"name": latest.name, "description": latest.description})
    rows = request.GET.get("rows", "")
    extra = min(30, max(1, int(rows))) if rows.isdigit() else 3
    formset: Any = criterion_formset(extra)(request.POST or None, initial=initial, prefix="items")
    status = 200
    if request.method == "POST":
        if meta.is_valid() and formset.is_valid():
            try:
                saved = services.save_template_version(user, family, dimensions=formset.dimensions(),
                                                       **meta.cleaned_data)
            except CampaignError as error:
                meta.add_error(None, error.message)
            else:
                messages.success(request, _("Version %(version)d of the criteria was saved.")
                                 % {"version": saved.version})
                return redirect("campaigns:template", saved.pk)
        status = 400
    totals: dict[str, Any] = defaultdict(int)
    for form in formset.forms:
        data = form.cleaned_data if form.is_bound and hasattr(form, "cleaned_data") else form.initial
        if data.get("title") and data.get("max_points") and not data.get("DELETE"):
            totals[str(data["dimension"])] += data["max_points"]
    from .models import DimensionCode

    return render(request, "campaigns/template_edit.html", {
        "latest": latest, "meta": meta, "formset": formset, "more_rows": min(30, extra + 5),
        "totals": [(label, totals.get(code, 0)) for code, label in DimensionCode.choices],
        "total": sum(totals.values()),
    }, status=status)


# ---- campaigns ----------------------------------------------------------------------------------------------


def _campaign_form(request: HttpRequest, instance: Campaign | None = None) -> CampaignForm:
    user: Any = request.user
    return CampaignForm(request.POST or None, instance=instance, templates=services.latest_templates(),
                        regions=Region.objects.visible_to(user).filter(level__lte=Region.Level.COUNTY))


@staff_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    user = require_manager(request)
    form = _campaign_form(request)
    if not request.POST:
        form.initial.setdefault("year", clock.today().year)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                campaign = services.create_campaign(user, **form.values())
            except CampaignError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("The campaign was created."))
                return redirect("campaigns:detail", campaign.pk)
        status = 400
    return render(request, "campaigns/campaign_form.html", {"form": form, "campaign": None}, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = require_manager(request)
    campaign = get_campaign(request, pk)
    original = Campaign.objects.get(pk=campaign.pk)  # the form mutates its instance while validating
    form = _campaign_form(request, campaign)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_campaign(user, original, **form.values())
            except CampaignError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("The campaign was saved."))
                return redirect("campaigns:detail", campaign.pk)
        status = 400
    return render(request, "campaigns/campaign_form.html", {"form": form, "campaign": original}, status=status)


@staff_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    campaign = get_campaign(request, pk)
    visible = Application.objects.visible_to(user).filter(campaign=campaign)
    by_kind: dict[str, dict[str, int]] = defaultdict(dict)
    for row in visible.values("kind", "status").annotate(n=Count("id")).order_by():
        by_kind[row["kind"]][row["status"]] = row["n"]
    kinds = [(value, label) for value, label in Station.Kind.choices if value in campaign.kinds or by_kind.get(value)]
    audits = {row["status"]: row["n"] for row in AuditAssignment.objects.visible_to(user)
              .filter(application__campaign=campaign).values("status").annotate(n=Count("id")).order_by()}
    designations = Designation.objects.filter(campaign=campaign, withdrawn_at__isnull=True).count()
    return render(request, "campaigns/detail.html", {
        "campaign": campaign, "phase": campaign.phase(), "badge": phase_badge(campaign.phase()),
        "timeline": timeline(campaign),
        "statuses": Application.Status.choices,
        "figures": [{"kind": label, "quota": campaign.quota(value),
                     "counts": [by_kind[value].get(status, 0) for status, _label in Application.Status.choices],
                     "total": sum(by_kind[value].values())} for value, label in kinds],
        "audits_done": audits.get(AuditAssignment.Status.SUBMITTED, 0),
        "audits_assigned": sum(audits.values()), "designations": designations,
        "can_manage": services.can_manage(user), "is_admin": is_admin(user),
        "my_applications": list(visible.select_related("station")) if getattr(user, "role", "") in
        ("site_manager", "auditor") else [],
    })

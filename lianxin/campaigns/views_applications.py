"""Staff pages of one application (self-assessment, evidence, district review) and the district queue."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from lianxin.accounts.decorators import staff_required
from lianxin.core.pagination import keyset_page
from lianxin.regions.models import Region, subtree_q
from lianxin.stations.models import Station

from . import metrics, services
from .forms import EvidenceForm, ReviewForm, SelfScoreForm
from .models import Application, ApplicationEvent, Criterion, Evidence, Phase
from .services import CampaignError
from .views import district_names, district_of, get_campaign, is_admin

QUEUE_ORDER = ("id",)

# What the history shows for each ApplicationEvent.action (the codes written by ``services``).
EVENT_LABELS = {
    "created": pgettext_lazy("application event", "Application started"),
    "submitted": pgettext_lazy("application event", "Submitted"),
    "resubmitted": pgettext_lazy("application event", "Resubmitted after changes"),
    "returned": pgettext_lazy("application event", "Returned for changes"),
    "recommended": pgettext_lazy("application event", "Recommended by the district"),
    "not_recommended": pgettext_lazy("application event", "Not recommended"),
    "withdrawn": pgettext_lazy("application event", "Withdrawn"),
    "auditors_assigned": pgettext_lazy("application event", "Auditors assigned"),
    "auditor_removed": pgettext_lazy("application event", "Auditor removed"),
    "override": pgettext_lazy("application event", "Committee's override"),
}
ACTIVITY_CHOICES = 100


def get_application(request: HttpRequest, pk: int) -> Application:
    found = (Application.objects.visible_to(request.user)  # type: ignore[arg-type]
             .select_related("campaign__template", "station").filter(pk=pk).first())
    if found is None:
        raise Http404
    return found


def is_editable(user: Any, application: Application) -> bool:
    """What the page offers; the services check the same rules again when saving."""
    phase = application.campaign.phase()
    if application.status == Application.Status.DRAFT:
        window = phase == Phase.APPLICATION
    elif application.status == Application.Status.RETURNED:
        window = phase in (Phase.APPLICATION, Phase.DISTRICT_REVIEW)
    else:
        return False
    return window and services.can_apply(user, application.station)


def _activities(application: Application) -> list[Any]:
    """The site's held activities in the campaign's data period, newest first (for linking as evidence)."""
    from lianxin.activities.models import Activity

    from .metrics import _bounds

    low, high = _bounds(application.campaign.data_from, application.campaign.data_to)
    return list(Activity.objects.filter(station=application.station, status=Activity.Status.HELD,
                                        starts_at__gte=low, starts_at__lt=high)
                .order_by("-starts_at", "-id").only("pk", "title", "starts_at")[:ACTIVITY_CHOICES])


def _items(application: Application) -> tuple[list[dict[str, Any]], list[Criterion]]:
    """Per dimension its items with the self-score, the evidence, and for automatic items the figure so far."""
    campaign = application.campaign
    dimensions = list(campaign.template.dimensions.prefetch_related(
        Prefetch("criteria", Criterion.objects.order_by("order", "id"))))
    evidence: dict[int, list[Evidence]] = {}
    for proof in application.evidence.select_related("activity", "opinion"):
        evidence.setdefault(proof.criterion_id, []).append(proof)
    scores = {s.criterion_id: s for s in application.self_scores.all()}
    values: dict[str, Any] = {}
    for metric in {c.metric for d in dimensions for c in d.criteria.all() if c.is_automatic}:
        values[metric] = metrics.compute(metric, [application.station_id], campaign.data_from,
                                         campaign.data_to).get(application.station_id)
    result: list[dict[str, Any]] = []
    manual: list[Criterion] = []
    for dimension in dimensions:
        rows = []
        for item in dimension.criteria.all():
            row: dict[str, Any] = {"item": item, "score": scores.get(item.pk), "evidence": evidence.get(item.pk, [])}
            if item.is_automatic:
                value = values.get(item.metric)
                row.update(value=value, points=metrics.points(item.max_points, value, item.target),
                           formula=metrics.FORMULAS.get(item.metric, ""))
            else:
                manual.append(item)
            rows.append(row)
        result.append({"dimension": dimension, "rows": rows,
                       "max": sum((c.max_points for c in dimension.criteria.all()), 0)})
    return result, manual


@staff_required
@require_http_methods(["GET", "POST"])
def application(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    app = get_application(request, pk)
    editable = is_editable(user, app)
    dimensions, manual = _items(app)
    scores = {s.criterion_id: s for s in app.self_scores.all()}
    form = SelfScoreForm(request.POST if request.method == "POST" else None, criteria=manual, scores=scores,
                         initial={"summary": app.summary})
    status = 200
    if request.method == "POST":
        if not editable and not services.can_apply(user, app.station):
            raise PermissionDenied
        if form.is_valid():
            try:
                services.save_self_scores(user, app, form.scores(), summary=form.cleaned_data["summary"])
                if request.POST.get("action") == "submit":
                    services.submit_application(user, app)
            except CampaignError as error:
                messages.error(request, error.message)
                form.add_error(None, error.message)
            else:
                if request.POST.get("action") == "submit":
                    messages.success(request, _("The application was submitted to the district."))
                else:
                    messages.success(request, _("The draft was saved."))
                return redirect("campaigns:application", app.pk)
        status = 400
    activities = _activities(app) if editable else []
    return render(request, "campaigns/application.html", {
        "app": app, "campaign": app.campaign, "dimensions": dimensions, "form": form, "editable": editable,
        "evidence_form": EvidenceForm(criteria=manual, activities=activities) if editable else None,
        "events": [(event, EVENT_LABELS.get(event.action, event.action)) for event in
                   ApplicationEvent.objects.filter(application=app).select_related("actor")],
        "review_form": ReviewForm() if (app.status == Application.Status.SUBMITTED
                                        and services.can_review(user, app)) else None,
        "can_withdraw": services.can_apply(user, app.station) and app.campaign.decided_at is None
        and app.status not in (Application.Status.WITHDRAWN, Application.Status.NOT_RECOMMENDED),
        "district": district_of(app.station.region_path, district_names()),
    }, status=status)


@staff_required
@require_POST
def evidence_add(request: HttpRequest, pk: int) -> HttpResponse:
    from lianxin.activities.models import Activity
    from lianxin.opinions.models import Opinion

    user: Any = request.user
    app = get_application(request, pk)
    if not services.can_apply(user, app.station):
        raise PermissionDenied
    _dimensions, manual = _items(app)
    form = EvidenceForm(request.POST, request.FILES, criteria=manual, activities=_activities(app))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("campaigns:application", app.pk)
    data = form.cleaned_data
    criterion = next(c for c in manual if c.pk == data["criterion"])
    activity = opinion = None
    if data.get("activity") is not None:
        activity = Activity.objects.visible_to(user).filter(pk=data["activity"]).first()
    if data.get("tracking_code"):
        opinion = (Opinion.objects.visible_to(user)
                   .filter(tracking_code=data["tracking_code"].strip().upper(), station=app.station).first())
        if opinion is None:
            messages.error(request, _("No opinion of this site has that tracking code."))
            return redirect("campaigns:application", app.pk)
    try:
        services.add_evidence(user, app, criterion, file=data.get("file"), activity=activity, opinion=opinion,
                              caption=data.get("caption") or "")
    except CampaignError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The evidence was added."))
    return redirect("campaigns:application", app.pk)


def _evidence(request: HttpRequest, pk: int) -> Evidence:
    found = (Evidence.objects.filter(pk=pk, application__in=Application.objects.visible_to(request.user))  # type: ignore[arg-type]
             .select_related("application__station").first())
    if found is None:
        raise Http404
    return found


@staff_required
def evidence_file(request: HttpRequest, pk: int) -> HttpResponse:
    """An evidence file through this scoped view (never a public media URL)."""
    item = _evidence(request, pk)
    if not item.file or not item.file.storage.exists(item.file.name):
        raise Http404
    response = FileResponse(item.file.open("rb"), as_attachment=True, filename=item.file.name.rsplit("/", 1)[-1])
    response["X-Content-Type-Options"] = "nosniff"
    return response  # type: ignore[return-value]


@staff_required
@require_POST
def evidence_remove(request: HttpRequest, pk: int) -> HttpResponse:
    item = _evidence(request, pk)
    try:
        services.remove_evidence(request.user, item)  # type: ignore[arg-type]
    except CampaignError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The evidence was removed."))
    return redirect("campaigns:application", item.application_id)


@staff_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    app = get_application(request, pk)
    try:
        services.withdraw_application(request.user, app)  # type: ignore[arg-type]
    except CampaignError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The application was withdrawn."))
    return redirect("campaigns:application", app.pk)


@staff_required
@require_POST
def review(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    app = get_application(request, pk)
    if not services.can_review(user, app):
        raise PermissionDenied
    form = ReviewForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("campaigns:application", app.pk)
    comment = form.cleaned_data.get("comment") or ""
    action = {"recommend": services.recommend, "return": services.return_application,
              "not_recommend": services.not_recommend}[form.cleaned_data["decision"]]
    try:
        action(user, app, comment)
    except CampaignError as error:
        messages.error(request, error.message)
        return redirect("campaigns:application", app.pk)
    messages.success(request, _("The district's decision was saved."))
    return redirect("campaigns:queue", app.campaign_id)


@staff_required
def queue(request: HttpRequest, pk: int) -> HttpResponse:
    """Applications of the user's area (drafts excepted) with status, kind and district filters."""
    user: Any = request.user
    if not is_admin(user):
        raise PermissionDenied
    campaign = get_campaign(request, pk)
    rows = (Application.objects.visible_to(user).filter(campaign=campaign).exclude(status=Application.Status.DRAFT)
            .select_related("station"))
    status = request.GET.get("status", Application.Status.SUBMITTED)
    if status in Application.Status.values:
        rows = rows.filter(status=status)
    kind = request.GET.get("kind", "")
    if kind in Station.Kind.values:
        rows = rows.filter(kind=kind)
    districts = Region.objects.visible_to(user).filter(level=Region.Level.COUNTY).order_by("path")
    district_id = request.GET.get("district", "")
    district = districts.filter(pk=int(district_id)).first() if district_id.isdigit() else None
    if district is not None:
        rows = rows.filter(subtree_q("station__region_path", district.path))
    page = keyset_page(rows, QUEUE_ORDER, request.GET.get("cursor"), settings.PAGE_SIZE)
    names = district_names()
    return render(request, "campaigns/queue.html", {
        "campaign": campaign, "page": page, "total": rows.count(), "status": status, "kind": kind,
        "district": district, "districts": list(districts.only("pk", "name")),
        "statuses": [(v, label) for v, label in Application.Status.choices if v != Application.Status.DRAFT],
        "kinds": Station.Kind.choices,
        "rows": [(a, district_of(a.station.region_path, names)) for a in page.rows],
    })

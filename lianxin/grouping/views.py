from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianxin.accounts.decorators import StaffRequest, staff_required

from . import services
from .models import GroupingRun, Proposal

PAGE = 100


@staff_required
def run_list(request: StaffRequest) -> HttpResponse:
    if not services.can_run(request.user):
        raise PermissionDenied
    areas = services.runnable_areas(request.user).order_by("path")
    error = ""
    values = {key: request.POST.get(key, value) for key, value in services.defaults().items()}
    if request.method == "POST":
        area = areas.filter(pk=request.POST.get("area") or 0).first()
        if area is None:
            error = _("Choose an area.")
        else:
            try:
                run = services.start_run(request.user, area, dict(request.POST.items()), request)
            except (services.GroupingError, ValueError) as exc:
                error = str(exc) if isinstance(exc, services.GroupingError) else _("Enter numbers only.")
            else:
                return redirect("grouping:detail", run.pk)
    runs = GroupingRun.objects.visible_to(request.user).select_related("area")[:30]
    return render(request, "grouping/list.html", {
        "areas": areas[:500], "runs": runs, "values": values, "error": error,
    }, status=400 if error else 200)


def _run(request: StaffRequest, pk: int) -> GroupingRun:
    if not services.can_run(request.user):
        raise PermissionDenied
    return get_object_or_404(GroupingRun.objects.visible_to(request.user).select_related("area"), pk=pk)


@staff_required
def run_detail(request: StaffRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    kind = request.GET.get("kind", "")
    proposals = run.proposals.select_related("deputy", "from_station", "to_station").order_by("id")
    if kind in Proposal.Kind.values:
        proposals = proposals.filter(kind=kind)
    else:
        kind = ""
    after = request.GET.get("after", "")
    if after.isdigit():
        proposals = proposals.filter(id__gt=int(after))
    page = list(proposals[: PAGE + 1])
    sites = (
        run.proposals.values("to_station__code", "to_station__name")
        .annotate(size=Count("id"), moved_in=Count("id", filter=Q(kind=Proposal.Kind.MOVE)),
                  new=Count("id", filter=Q(kind=Proposal.Kind.NEW)))
        .order_by("to_station__code")
    )
    explanation = [_(msgid) % values for msgid, values in run.explanation]
    context = {
        "run": run, "kind": kind, "page": page[:PAGE], "next_after": page[PAGE - 1].pk if len(page) > PAGE else None,
        "counts": services.counts(run), "sites": sites if run.status == GroupingRun.Status.DONE else [],
        "explanation": explanation, "kinds": Proposal.Kind.choices, "reasons": services.REASONS,
    }
    if request.htmx and request.GET.get("part") == "status":  # type: ignore[attr-defined]
        return render(request, "grouping/_status.html", {**context, "polled": True})
    return render(request, "grouping/detail.html", context)


@staff_required
@require_POST
def run_apply(request: StaffRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    ids = None
    if request.POST.get("scope") == "selected":
        ids = [int(v) for v in request.POST.getlist("proposal") if v.isdigit()]
        if not ids:
            messages.error(request, _("Select at least one deputy."))
            return redirect("grouping:detail", run.pk)
    try:
        changed = services.apply_run(request.user, run, ids, request)
    except services.GroupingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(count)s deputies were placed at their new sites.") % {"count": changed})
    return redirect("grouping:detail", run.pk)

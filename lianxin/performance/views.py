"""Staff pages of the duty record: a deputy's record (page, PDF, Excel) and declared items with their review."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST

from lianxin.accounts.decorators import staff_required
from lianxin.core import clock
from lianxin.core.export import xlsx_response
from lianxin.core.pagination import keyset_page
from lianxin.deputies.models import Deputy

from . import services
from .forms import DecisionForm, DeclareForm
from .models import DeclaredItem, RecordDocument
from .services import PerformanceError

QUEUE_ORDER = ("created_at", "id")


def _deputy(request: HttpRequest, pk: int) -> Deputy:
    found = Deputy.objects.visible_to(request.user).filter(pk=pk).first()  # type: ignore[arg-type]
    if found is None:
        raise Http404
    return found


def _year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return clock.today().year
    return year if 2000 <= year <= 2100 else clock.today().year


@staff_required
def index(request: HttpRequest) -> HttpResponse:
    """A deputy lands on its own record; staff on the rankings of their area."""
    user: Any = request.user
    if user.role == "deputy" and user.deputy_id:
        return redirect("performance:record", user.deputy_id)
    return redirect("performance:rankings")


@staff_required
def record(request: HttpRequest, pk: int) -> HttpResponse:
    deputy = _deputy(request, pk)
    year = _year(request)
    context = services.record_context(deputy, year)
    document = RecordDocument.objects.filter(deputy=deputy, year=year).first()
    user: Any = request.user
    return render(request, "performance/record.html", {
        **context, "doc": document, "years": range(clock.today().year, clock.today().year - 5, -1),
        "is_own": user.deputy_id == deputy.pk, "can_review": services.can_review(user),
    })


@staff_required
def record_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    deputy = _deputy(request, pk)
    year = _year(request)
    data = services.record_context(deputy, year)
    rows: list[list[Any]] = [[label, count, points] for label, count, points in data["rows"]]
    rows.append([_("Base score"), "", float(data["rules"].base_score)])
    rows.append([_("Total"), "", float(data["result"].total)])
    rows.append([_("Grade"), "", data["result"].grade])
    rows.append([_("Hours at the sites"), data["hours_at_sites"], ""])
    rows.append([_("Site visits"), data["figures"].site_visits, ""])
    name = _("duty-record-%(name)s-%(year)d.xlsx") % {"name": deputy.name, "year": year}
    return xlsx_response(name, [_("Item"), _("Number"), pgettext("score", "Points")], rows)


# ---- the PDF --------------------------------------------------------------------------------------


def _pdf_context(deputy: Deputy, year: int, error: str = "") -> dict[str, Any]:
    return {"deputy": deputy, "year": year, "error": error,
            "doc": RecordDocument.objects.filter(deputy=deputy, year=year).first()}


@staff_required
@require_POST
def record_pdf_prepare(request: HttpRequest, pk: int) -> HttpResponse:
    deputy = _deputy(request, pk)
    year = _year(request)
    error = ""
    try:
        services.request_record_pdf(request.user, deputy, year, request.LANGUAGE_CODE, request)  # type: ignore[arg-type]
    except PerformanceError as failure:
        error = failure.message
    if request.headers.get("HX-Request"):
        return render(request, "performance/_pdf_status.html", _pdf_context(deputy, year, error))
    if error:
        messages.error(request, error)
    return redirect(f"{request.path.rsplit('/pdf/', 1)[0]}/?year={year}")


@staff_required
def record_pdf_status(request: HttpRequest, pk: int) -> HttpResponse:
    deputy = _deputy(request, pk)
    return render(request, "performance/_pdf_status.html", _pdf_context(deputy, _year(request)))


@staff_required
def record_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The last PDF made, through this scoped view (never a public media URL)."""
    deputy = _deputy(request, pk)
    year = _year(request)
    document = RecordDocument.objects.filter(deputy=deputy, year=year).exclude(file="").first()
    if document is None or not document.file.storage.exists(document.file.name):
        raise Http404
    response = FileResponse(document.file.open("rb"), content_type="application/pdf", as_attachment=True,
                            filename=f"duty-record-{deputy.pk}-{year}.pdf")
    response["X-Content-Type-Options"] = "nosniff"
    return response  # type: ignore[return-value]


# ---- declared items ------------------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def declare(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if user.role != "deputy" or not user.deputy_id:
        raise PermissionDenied
    form = DeclareForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.declare(user, request=request, **form.cleaned_data)
            except PerformanceError as failure:
                form.add_error(None, failure.message)
            else:
                messages.success(request, _("The item was declared; staff of your area will review it."))
                return redirect("performance:record", user.deputy_id)
        status = 400
    return render(request, "performance/declare.html", {"form": form}, status=status)


@staff_required
def declared_list(request: HttpRequest) -> HttpResponse:
    """The review queue (pending first by default) of the deputies in the user's scope."""
    user: Any = request.user
    rows = DeclaredItem.objects.visible_to(user).select_related("deputy", "decided_by")
    status = request.GET.get("status", DeclaredItem.Status.PENDING)
    if status in DeclaredItem.Status.values:
        rows = rows.filter(status=status)
    page = keyset_page(rows, QUEUE_ORDER, request.GET.get("cursor"), settings.PAGE_SIZE)
    return render(request, "performance/declared_list.html", {
        "page": page, "total": rows.count(), "status": status, "statuses": DeclaredItem.Status.choices,
        "can_review": services.can_review(user), "form": DecisionForm(),
    })


@staff_required
def evidence(request: HttpRequest, pk: int) -> HttpResponse:
    item = DeclaredItem.objects.visible_to(request.user).filter(pk=pk).exclude(evidence_file="").first()  # type: ignore[arg-type]
    if item is None or not item.evidence_file.storage.exists(item.evidence_file.name):
        raise Http404
    response = FileResponse(item.evidence_file.open("rb"), as_attachment=True,
                            filename=item.evidence_file.name.rsplit("/", 1)[-1])
    response["X-Content-Type-Options"] = "nosniff"
    return response  # type: ignore[return-value]


@staff_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    form = DecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("performance:declared")
    try:
        services.decide(user, pk, approve=form.cleaned_data["decision"] == "approve",
                        reason=form.cleaned_data.get("reason") or "", request=request)
    except PerformanceError as failure:
        if failure.code == "not_found":
            raise Http404 from failure
        messages.error(request, failure.message)
    else:
        messages.success(request, _("The decision was saved."))
    return redirect("performance:declared")

"""Staff pages of the work reports: request one (queued to a task), watch its progress, download it.

Admins only (city admin: the city and any district; district admin: its own district). Every report row is
read through ``WorkReport.objects.visible_to(user)``: another area's report is a 404.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from lianxin.accounts.decorators import staff_required
from lianxin.core import clock
from lianxin.core.forms import BootstrapMixin
from lianxin.regions.models import Region

from . import reports
from .models import WorkReport
from .reports import ReportError

LIST_SIZE = 50
CONTENT_TYPES = {
    WorkReport.Format.PDF: "application/pdf",
    WorkReport.Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ReportForm(BootstrapMixin, forms.Form):
    area = forms.ChoiceField(label=_("Area"))
    period = forms.ChoiceField(label=_("Period"), choices=WorkReport.Period.choices)
    date = forms.DateField(label=_("A day in the period"), widget=forms.DateInput(attrs={"type": "date"}))
    format = forms.ChoiceField(label=_("Format"), choices=WorkReport.Format.choices)

    def __init__(self, *args: Any, areas: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [(r.code, r.name) for r in areas]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("period") and data.get("date"):
            try:
                reports.check_period(data["period"], data["date"])
            except ReportError as error:
                self.add_error("date", error.message)
        return data


def _areas(request: HttpRequest) -> list[Any]:
    areas = reports.areas_for(request.user)  # type: ignore[arg-type]
    if not areas:
        raise PermissionDenied
    return areas


def _report(request: HttpRequest, pk: int) -> WorkReport:
    found = WorkReport.objects.visible_to(request.user).select_related("region").filter(pk=pk).first()  # type: ignore[arg-type]
    if found is None:
        raise Http404
    return found


@staff_required
@require_http_methods(["GET", "POST"])
def report_list(request: HttpRequest) -> HttpResponse:
    areas = _areas(request)
    last_month = clock.today().replace(day=1) - datetime.timedelta(days=1)
    initial = {"area": areas[0].code, "period": WorkReport.Period.MONTH, "date": last_month,
               "format": WorkReport.Format.PDF}
    if request.method == "POST":
        code = request.POST.get("area", "")
        if code not in {r.code for r in areas} and Region.objects.filter(code=code).exists():
            raise Http404  # another area's report: as if it did not exist
    form = ReportForm(request.POST or None, areas=areas, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            reports.request_report(request.user, data["area"], data["period"], data["date"],  # type: ignore[arg-type]
                                   data["format"], request.LANGUAGE_CODE, request)
        except ReportError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The report is being prepared; it appears below when ready."))
            return redirect("dashboard:reports")
    rows = list(WorkReport.objects.visible_to(request.user).select_related("region")[:LIST_SIZE])  # type: ignore[arg-type]
    return render(request, "dashboard/reports.html", {"form": form, "reports": rows})


@staff_required
@require_GET
def report_status(request: HttpRequest, pk: int) -> HttpResponse:
    """One row of the list, polled by htmx while the report is being prepared."""
    return render(request, "dashboard/_report_row.html", {"report": _report(request, pk)})


@staff_required
@require_GET
def report_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The file, through this scoped view (never a public media URL)."""
    report = _report(request, pk)
    if report.status != WorkReport.Status.READY or not report.file or not report.file.storage.exists(report.file.name):
        raise Http404
    response: Any = FileResponse(report.file.open("rb"), content_type=CONTENT_TYPES[WorkReport.Format(report.format)],
                                 as_attachment=True, filename=reports.file_name(report))
    response["X-Content-Type-Options"] = "nosniff"
    return response  # type: ignore[no-any-return]

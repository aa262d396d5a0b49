"""Pages of the roster import (代表名册导入): upload, preview with progress, confirm, history; the template."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lianxin.accounts.decorators import StaffRequest, staff_required
from lianxin.core.export import _quote
from lianxin.core.forms import BootstrapMixin

from . import roster
from .models import RosterImport

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD = 10 * 1024 * 1024
HISTORY = 30


class UploadForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=gettext_lazy("Roster file (.xlsx)"))
    new_term = forms.IntegerField(
        label=gettext_lazy("New term after an election"), required=False, min_value=1, max_value=99,
        help_text=gettext_lazy("Leave empty for ordinary updates. With a term number, the earlier terms' current "
                               "seats at the file's levels in your area end."),
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Choose an Excel workbook (.xlsx)."))
        return upload


def _importer(request: StaffRequest) -> None:
    if not roster.can_import(request.user):
        raise PermissionDenied


@staff_required
def roster_home(request: StaffRequest) -> HttpResponse:
    _importer(request)
    history = RosterImport.objects.visible_to(request.user).select_related("created_by")[:HISTORY]
    return render(request, "deputies/roster_home.html", {"form": UploadForm(), "history": history})


@staff_required
def roster_template(request: StaffRequest) -> HttpResponse:
    _importer(request)
    response = HttpResponse(roster.template_xlsx(), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(_('Roster template') + '.xlsx')}"
    return response


@require_POST
@staff_required
def roster_upload(request: StaffRequest) -> HttpResponse:
    _importer(request)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        history = RosterImport.objects.visible_to(request.user).select_related("created_by")[:HISTORY]
        return render(request, "deputies/roster_home.html", {"form": form, "history": history}, status=400)
    imp = roster.start_import(request.user, form.cleaned_data["file"], form.cleaned_data["new_term"])
    return HttpResponseRedirect(reverse("deputies:roster_detail", args=[imp.pk]), status=303)


def _import_or_404(request: StaffRequest, pk: int) -> RosterImport:
    _importer(request)
    return get_object_or_404(RosterImport.objects.visible_to(request.user).select_related("created_by"), pk=pk)


@staff_required
def roster_detail(request: StaffRequest, pk: int) -> HttpResponse:
    return render(request, "deputies/roster_preview.html", {"imp": _import_or_404(request, pk)})


@staff_required
def roster_progress(request: StaffRequest, pk: int) -> HttpResponse:
    """The progress bar the preview page polls; once the work is done the page reloads itself."""
    imp = _import_or_404(request, pk)
    response = render(request, "deputies/roster_progress.html", {"imp": imp})
    if not imp.in_progress:
        response["HX-Refresh"] = "true"
    return response


@require_POST
@staff_required
def roster_apply(request: StaffRequest, pk: int) -> HttpResponse:
    imp = _import_or_404(request, pk)
    try:
        imp = roster.request_apply(request.user, imp)
    except roster.ImportStateError as error:
        messages.error(request, str(error))
    else:
        if imp.status == RosterImport.Status.APPLIED:
            messages.success(request, _("The roster was imported."))
        elif imp.status == RosterImport.Status.FAILED:
            messages.error(request, _("The roster changed since the preview; nothing was written. See the errors."))
    return HttpResponseRedirect(reverse("deputies:roster_detail", args=[imp.pk]), status=303)

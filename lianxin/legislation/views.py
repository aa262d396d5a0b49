"""Staff pages of draft-law consultations at /staff/legislation/."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from lianxin.accounts.decorators import staff_required
from lianxin.core.pagination import keyset_page
from lianxin.stations.models import Station

from . import services
from .forms import (
    ConsultationEditForm,
    ConsultationForm,
    DecisionForm,
    EntryForm,
    ModerationForm,
    PhaseForm,
    SessionForm,
)
from .models import Comment, Consultation, DraftArticle, SummaryDocument
from .services import ConsultationError, NewComment

LIST_ORDER = ("-opens_on", "-id")
COMMENT_ORDER = ("id",)


def _consultation(request: HttpRequest, pk: int) -> Consultation:
    found = Consultation.objects.visible_to(request.user).filter(pk=pk).select_related("region").first()  # type: ignore[arg-type]
    if found is None:
        raise Http404
    return found


@staff_required
def object_list(request: HttpRequest) -> HttpResponse:
    rows = Consultation.objects.visible_to(request.user).select_related("region")  # type: ignore[arg-type]
    status = request.GET.get("status", "")
    if status in Consultation.Status.values:
        rows = rows.filter(status=status)
    rows = rows.annotate(article_count=Count("articles", distinct=True), comment_count=Count("comments", distinct=True))
    page = keyset_page(rows, LIST_ORDER, request.GET.get("cursor"), settings.PAGE_SIZE)
    return render(request, "legislation/staff/list.html", {
        "page": page, "total": rows.count(), "status": status, "statuses": Consultation.Status.choices,
        "can_create": services.can_organise(request.user),  # type: ignore[arg-type]
    })


@staff_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not services.can_organise(user):
        raise PermissionDenied
    stations = Station.objects.visible_to(user).active().order_by("region_path", "code")
    form = ConsultationForm(request.POST or None, request.FILES or None, stations=stations)
    draft, status = None, 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            draft = services.preview(data["text"])
            if request.POST.get("save"):
                consultation = services.create_consultation(
                    user, title=data["title"], organiser=data["organiser"], text=data["text"],
                    opens_on=data["opens_on"], closes_on=data["closes_on"], report_due_on=data["report_due_on"],
                    stations=data["stations"], request=request)
                messages.success(request, _("The consultation was saved with %(count)d articles.")
                                 % {"count": len(draft.articles)})
                return redirect("legislation:detail", consultation.pk)
        except ConsultationError as error:
            form.add_error(None, str(error.message))
            status = 400
        # The preview keeps an uploaded file's text in the text box, so saving needs no second upload.
        form.data = form.data.copy()  # type: ignore[attr-defined]
        form.data["text"] = data["text"]  # type: ignore[index]
    elif request.method == "POST":
        status = 400
    return render(request, "legislation/staff/create.html", {"form": form, "draft": draft}, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Title, organiser, phase dates and sites, while being prepared or open."""
    consultation = _consultation(request, pk)
    user: Any = request.user
    if not services.can_organise(user):
        raise PermissionDenied
    if not services.editable(consultation):
        messages.error(request, _("This consultation is closed: it can no longer be edited."))
        return redirect("legislation:detail", consultation.pk)
    stations = Station.objects.visible_to(user).active().order_by("region_path", "code")
    form = ConsultationEditForm(request.POST or None, stations=stations, consultation=consultation)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_consultation(
                user, consultation, title=data["title"], organiser=data["organiser"], opens_on=data["opens_on"],
                closes_on=data["closes_on"], report_due_on=data["report_due_on"], stations=data["stations"],
                request=request)
        except ConsultationError as error:
            form.add_error(None, str(error.message))
            status = 400
        else:
            messages.success(request, _("The consultation was saved."))
            return redirect("legislation:detail", consultation.pk)
    elif request.method == "POST":
        status = 400
    return render(request, "legislation/staff/edit.html", {"c": consultation, "form": form}, status=status)


@staff_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _consultation(request, pk)
    articles = list(consultation.articles.all())
    counts = services.article_counts(consultation)
    for article in articles:
        article.counts = counts.get(article.pk, services.EMPTY_COUNTS)  # type: ignore[attr-defined]
    user: Any = request.user
    return render(request, "legislation/staff/detail.html", {
        "c": consultation, "articles": articles, "whole": counts.get(None, services.EMPTY_COUNTS),
        "totals": services.totals(counts), "stations": consultation.stations.order_by("region_path", "code"),
        "sessions": services.site_sessions(user, consultation),
        "can_organise": services.can_organise(user), "can_enter": services.can_enter(user),
        "accepting": services.accepting_comments(consultation), "editable": services.editable(consultation),
    })


@staff_required
@require_POST
def phase(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _consultation(request, pk)
    form = PhaseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown action."))
    else:
        try:
            services.change_phase(request.user, consultation, form.cleaned_data["action"], request)  # type: ignore[arg-type]
        except ConsultationError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("The consultation's status was changed."))
    return redirect("legislation:detail", consultation.pk)


@staff_required
@require_POST
def withdraw(request: HttpRequest, pk: int, article: int) -> HttpResponse:
    consultation = _consultation(request, pk)
    found = DraftArticle.objects.filter(consultation=consultation, pk=article).first()
    if found is None:
        raise Http404
    try:
        services.withdraw_article(request.user, found, request)  # type: ignore[arg-type]
    except ConsultationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("%(label)s was withdrawn: no new comments on it.") % {"label": found.label})
    return redirect("legislation:detail", consultation.pk)


def _comment_rows(consultation: Consultation) -> Any:
    return (Comment.objects.filter(consultation=consultation)
            .select_related("article", "station", "session", "entered_by"))


@staff_required
@require_http_methods(["GET", "POST"])
def moderation(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _consultation(request, pk)
    user: Any = request.user
    if not services.can_organise(user):
        raise PermissionDenied
    pending = _comment_rows(consultation).filter(moderation=Comment.Moderation.PENDING)
    if request.method == "POST":
        ids = [int(v) for v in request.POST.getlist("comments") if v.isdigit()]
        form = ModerationForm(request.POST, ids=ids)
        if not form.is_valid():
            messages.error(request, _("Choose at least one comment, then approve or reject."))
        else:
            try:
                count = services.moderate(user, consultation, form.cleaned_data["comments"],
                                          form.cleaned_data["decision"], request)
            except ConsultationError as error:
                messages.error(request, str(error.message))
            else:
                messages.success(request, _("%(count)d comment(s) moderated.") % {"count": count})
        return redirect("legislation:moderation", consultation.pk)
    page = keyset_page(pending, COMMENT_ORDER, request.GET.get("cursor"), settings.PAGE_SIZE)
    return render(request, "legislation/staff/moderation.html",
                  {"c": consultation, "page": page, "total": pending.count()})


@staff_required
def comments(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _consultation(request, pk)
    rows = _comment_rows(consultation)
    article = request.GET.get("article", "")
    if article == "whole":
        rows = rows.filter(article__isnull=True)
    elif article.isdigit():
        rows = rows.filter(article_id=int(article))
    moderation_filter = request.GET.get("moderation", "")
    if moderation_filter in Comment.Moderation.values:
        rows = rows.filter(moderation=moderation_filter)
    adoption = request.GET.get("adoption", "")
    if adoption in Comment.Adoption.values and adoption:
        rows = rows.filter(adoption=adoption)
    elif adoption == "undecided":
        rows = rows.filter(adoption="")
    page = keyset_page(rows, COMMENT_ORDER, request.GET.get("cursor"), settings.PAGE_SIZE)
    return render(request, "legislation/staff/comments.html", {
        "c": consultation, "page": page, "total": rows.count(), "articles": consultation.articles.all(),
        "article": article, "moderation": moderation_filter, "adoption": adoption,
        "moderations": Comment.Moderation.choices, "adoptions": [a for a in Comment.Adoption.choices if a[0]],
        "can_organise": services.can_organise(request.user),  # type: ignore[arg-type]
        "decision_form": DecisionForm(),
    })


@staff_required
@require_POST
def decide(request: HttpRequest, pk: int, comment: int) -> HttpResponse:
    consultation = _consultation(request, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose adopted, partly adopted or not adopted."))
    else:
        try:
            found = Comment.objects.filter(consultation=consultation, pk=comment).first()
            if found is None:
                raise ConsultationError("not_found", _("No such comment in your area."))
            services.decide(request.user, found, form.cleaned_data["adoption"], form.cleaned_data["reason"],  # type: ignore[arg-type]
                            request)
        except ConsultationError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("The decision on the comment was saved."))
    back = request.POST.get("next", "")
    return redirect(reverse("legislation:comments", args=[consultation.pk]) + (back if back.startswith("?") else ""))


@staff_required
@require_http_methods(["GET", "POST"])
def entry(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _consultation(request, pk)
    user: Any = request.user
    if not services.can_enter(user):
        raise PermissionDenied
    stations = services.entry_stations(user, consultation)
    if not stations.exists():
        raise PermissionDenied
    sessions = list(services.site_sessions(user, consultation)[:200])
    kwargs = {"consultation": consultation, "stations": stations, "sessions": sessions}
    form = EntryForm(request.POST or None, **kwargs)
    session_form = SessionForm(stations=stations, prefix="session")
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        session = next((s for s in sessions if str(s.pk) == data["session"]), None)
        if data["session"] and session is None:
            form.add_error("session", _("Choose a session from the list."))
            status = 400
        else:
            article = (DraftArticle.objects.filter(consultation=consultation, pk=int(data["article"])).first()
                       if data["article"] else None)
            new = NewComment(text=data["text"], article=article, name=data["name"], phone=data["phone"],
                             consent=data["consent"], language=request.LANGUAGE_CODE)
            try:
                services.enter_site_comment(user, consultation, new, station=data["station"], session=session,
                                            request=request)
            except ConsultationError as error:
                form.add_error(None, str(error.message))
                status = 400
            else:
                messages.success(request, _("The comment was saved. You can enter the next one."))
                query = f"?station={data['station'].pk}&session={data['session']}"
                return redirect(reverse("legislation:entry", args=[consultation.pk]) + query)
    elif request.method == "POST":
        status = 400
    elif request.GET.get("station"):
        form = EntryForm(initial={"station": request.GET.get("station"), "session": request.GET.get("session")},
                         **kwargs)
    return render(request, "legislation/staff/entry.html", {
        "c": consultation, "form": form, "session_form": session_form,
        "accepting": services.accepting_comments(consultation),
    }, status=status)


@staff_required
@require_POST
def session(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _consultation(request, pk)
    user: Any = request.user
    form = SessionForm(request.POST, stations=services.entry_stations(user, consultation), prefix="session")
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("legislation:entry", consultation.pk)
    data = form.cleaned_data
    try:
        activity = services.new_session(user, consultation, data["station"], title=data["title"],
                                        starts_at=data["starts_at"], ends_at=data["ends_at"], request=request)
    except ConsultationError as error:
        messages.error(request, str(error.message))
        return redirect("legislation:entry", consultation.pk)
    messages.success(request, _("The session was added."))
    return redirect(reverse("legislation:entry", args=[consultation.pk])
                    + f"?station={data['station'].pk}&session={activity.pk}")


# ---- summary per article: page, printable document, Excel ----------------------------------------


_summary = services.summary_data  # the printable document's data (kept under this name for tests)


@staff_required
def summary(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _consultation(request, pk)
    if request.GET.get("print"):
        return render(request, "legislation/staff/print.html", _summary(consultation))
    return render(request, "legislation/staff/summary.html",
                  {**_summary(consultation), **_pdf_context(request, consultation)})


def _sheet_title(text: str, used: set[str]) -> str:
    title = "".join(ch for ch in text if ch not in "[]:*?/\\")[:28] or "-"
    base, n = title, 1
    while title in used:
        n += 1
        title = f"{base[:25]}~{n}"
    used.add(title)
    return title


def _pdf_context(request: HttpRequest, consultation: Consultation) -> dict[str, Any]:
    document = SummaryDocument.objects.filter(consultation=consultation).first()
    return {"c": consultation, "doc": document,
            "comment_count": consultation.comments.count() if document and document.file else None}


@staff_required
def summary_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The last PDF made of the summary, through this scoped view (never a public media URL)."""
    consultation = _consultation(request, pk)
    document = SummaryDocument.objects.filter(consultation=consultation).exclude(file="").first()
    if document is None or not document.file.storage.exists(document.file.name):
        raise Http404
    name = _("consultation-%(pk)d-summary.pdf") % {"pk": consultation.pk}
    response = FileResponse(document.file.open("rb"), content_type="application/pdf", as_attachment=True,
                            filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    return response  # type: ignore[return-value]  # a streaming response, which staff_required passes on


@staff_required
@require_POST
def summary_pdf_prepare(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a new PDF (replacing the last one once made); htmx gets the status box back."""
    consultation = _consultation(request, pk)
    error = ""
    try:
        services.request_summary_pdf(request.user, consultation, request.LANGUAGE_CODE, request)  # type: ignore[arg-type]
    except ConsultationError as failure:
        error = str(failure.message)
    if request.headers.get("HX-Request"):
        return render(request, "legislation/staff/_pdf_status.html",
                      {**_pdf_context(request, consultation), "error": error})
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("The PDF is being prepared; this page shows the link when it is ready."))
    return redirect("legislation:summary", consultation.pk)


@staff_required
def summary_pdf_status(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _consultation(request, pk)
    return render(request, "legislation/staff/_pdf_status.html", _pdf_context(request, consultation))


@staff_required
def summary_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    consultation = _consultation(request, pk)
    data = _summary(consultation)
    bold = Font(bold=True)
    book = Workbook()
    overview = book.active
    assert overview is not None
    used: set[str] = set()
    overview.title = _sheet_title(_("Overview"), used)
    heads = [_("Article"), _("Chapter"), _("Comments"), _("Waiting"), _("Published"), _("Not published"),
             _("Adopted"), _("Partly adopted"), _("Not adopted"), _("Sites")]
    overview.append([consultation.title])
    overview.append([_("Comments from %(start)s until %(end)s") % {"start": consultation.opens_on,
                                                                   "end": consultation.closes_on}])
    overview.append(heads)
    for cell in overview[3]:
        cell.font = bold

    def figures(label: str, chapter: str, counts: dict[str, int], sites: list[str]) -> list[Any]:
        return [label, chapter, counts["total"], counts["pending"], counts["approved"], counts["rejected"],
                counts["adopted"], counts["partly"], counts["not_adopted"], "、".join(sites)]

    overview.append(figures(_("The draft as a whole"), "", data["whole_counts"], data["whole_sites"]))
    sections = [(_("The draft as a whole"), "", data["whole"])]
    for article in data["articles"]:
        overview.append(figures(article.label, article.chapter_title, article.counts, article.sites))
        sections.append((article.label, article.text, article.approved))
    comment_heads = [_("No."), _("Comment"), _("Channel"), _("Site"), _("Date"), _("Decision"), _("Reason")]
    for label, text, rows in sections:
        sheet = book.create_sheet(_sheet_title(label, used))
        sheet.append([label])
        sheet["A1"].font = bold
        sheet.append([text])
        sheet["A2"].alignment = Alignment(wrap_text=True)
        sheet.append(comment_heads)
        for cell in sheet[3]:
            cell.font = bold
        for comment in rows:
            sheet.append([comment.pk, comment.text, comment.get_channel_display(),
                          comment.station.name if comment.station else "", comment.created_at.date().isoformat(),
                          comment.get_adoption_display() if comment.adoption else "", comment.adoption_reason])
        sheet.column_dimensions["B"].width = 60
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = _("consultation-%(pk)d-summary.xlsx") % {"pk": consultation.pk}
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response

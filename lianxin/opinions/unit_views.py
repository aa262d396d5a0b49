"""Handling units' pages: the inbox, the unit's case page and its actions, bulk reply, response
templates; the admins' queue of extension requests; deputy suggestions (代表建议).

Thin views: a form parses the input, a service function (``services``, ``templates_service``,
``suggestions``) makes the change, the page renders. A refused change (``CaseError``) is shown
with its message and changes nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from lianxin.accounts.decorators import role_required, staff_required
from lianxin.accounts.models import Role, User
from lianxin.core import clock
from lianxin.core.export import xlsx_response
from lianxin.core.pagination import keyset_page

from . import deadlines, services, suggestions, templates_service, transitions
from .errors import CaseError
from .models import ExtensionRequest, Opinion, OpinionEvent, ResponseTemplate, Status, Suggestion
from .unit_forms import (
    BulkReplyForm,
    ExtensionDecisionForm,
    ExtensionForm,
    InboxFilterForm,
    ReplyForm,
    ResponseTemplateForm,
    ReturnForm,
    SuggestionAnswerForm,
    SuggestionFilterForm,
    SuggestionForm,
    TemplatePickerForm,
)

UNIT_ROLE = "unit_staff"
# Working days before the deadline from which a case counts as "due soon".
DUE_SOON_DAYS = 2


def unit_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Handling-unit staff with a unit; every other account (superusers included: they have no unit) gets 403."""

    @staff_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if getattr(user, "role", "") != Role.UNIT_STAFF or not getattr(user, "unit_id", None):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


# ---- inbox ---------------------------------------------------------------------------------

TABS = ("all", "new", "in_progress", "due_soon", "overdue", "reopened", "replied")


def tab_labels() -> dict[str, str]:
    return {
        "all": _("All open"), "new": _("Not yet acknowledged"), "in_progress": _("In progress"),
        "due_soon": _("Due soon"), "overdue": _("Overdue"), "reopened": _("Reopened"), "replied": _("Replied"),
    }


def open_cases(user: User) -> QuerySet[Opinion]:
    """The unit's current matters: transferred to it and not yet replied.

    This is the first branch of ``Opinion.objects.visible_to`` for unit staff (``unit = my unit``),
    written without that method's event join and DISTINCT so the (unit, status, due) lookup stays an
    index range scan at 100× the demo size.
    """
    return Opinion.objects.filter(unit_id=user.unit_id, status=Status.TRANSFERRED)


def replied_cases(user: User) -> QuerySet[Opinion]:
    """History: every case the unit has replied to (by its reply events), whatever its state now."""
    replies = OpinionEvent.objects.filter(unit_id=user.unit_id, action="reply").values("opinion_id")
    return Opinion.objects.filter(pk__in=replies)


def tab_conditions(now: datetime.datetime) -> dict[str, Q]:
    soon = deadlines.add_working_days(now, DUE_SOON_DAYS)
    return {
        "all": Q(),
        "new": Q(acknowledged_at__isnull=True),
        "in_progress": Q(acknowledged_at__isnull=False, due_at__gte=now),
        "due_soon": Q(due_at__gte=now, due_at__lte=soon),
        "overdue": Q(due_at__lt=now),
        "reopened": Q(reopen_count__gt=0),
    }


def tab_counts(user: User, now: datetime.datetime) -> dict[str, int]:
    """Every tab's count in two queries, whatever the number of rows or tabs."""
    conditions = tab_conditions(now)
    counts = open_cases(user).aggregate(**{name: Count("pk", filter=q) for name, q in conditions.items()})
    counts["replied"] = replied_cases(user).count()
    return counts


def tab_queryset(user: User, tab: str, now: datetime.datetime) -> tuple[QuerySet[Opinion], tuple[str, ...]]:
    pending = ExtensionRequest.objects.filter(opinion=OuterRef("pk"), state=ExtensionRequest.State.PENDING)
    if tab == "replied":
        queryset, order = replied_cases(user), ("-created_at", "-id")
    else:
        # Most urgent first: the deadline, then the id to make the keyset unique.
        queryset, order = open_cases(user).filter(tab_conditions(now)[tab]), ("due_at", "id")
    queryset = queryset.select_related("category", "station").annotate(extension_pending=Exists(pending))
    return queryset, order


@unit_required
def inbox(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    now = clock.now()
    tab = request.GET.get("tab") or "all"
    if tab not in TABS:
        tab = "all"
    form = InboxFilterForm(request.GET or None)
    queryset, order = tab_queryset(user, tab, now)
    queryset = form.filter(queryset)
    if request.GET.get("export") == "xlsx":
        return _export_inbox(queryset.order_by(*order), now)
    page = keyset_page(queryset, order, request.GET.get("cursor"), settings.PAGE_SIZE)
    for row in page.rows:
        row.overdue = row.is_overdue(now)
    counts = tab_counts(user, now)
    labels = tab_labels()
    filtered = any(request.GET.get(name) for name in ("q", "category", "date_from", "date_to"))
    return render(request, "opinions/unit/inbox.html", {
        "form": form, "page": page, "tab": tab, "total": queryset.count() if filtered else counts[tab],
        "tabs": [(name, labels[name], counts[name]) for name in TABS], "filtered": filtered,
    })


def _export_inbox(rows: QuerySet[Opinion], now: datetime.datetime) -> HttpResponse:
    headers = [_("Tracking code"), _("Title"), _("Category"), _("Status"), _("Submitted"), _("Transferred"),
               _("Receipt acknowledged"), _("Due"), _("Overdue"), _("Times reopened"), _("Reply")]

    def local(value: datetime.datetime | None) -> str:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""

    return xlsx_response(_("inbox.xlsx"), headers, (
        [op.tracking_code, op.title, str(op.category), op.get_status_display(), local(op.created_at),
         local(op.transferred_at), local(op.acknowledged_at), local(op.due_at),
         _("Yes") if op.is_overdue(now) else "", op.reopen_count, op.reply]
        for op in rows.iterator(chunk_size=2000)
    ))


# ---- the unit's case page and its actions ----------------------------------------------------


def _case(user: User, pk: int) -> Opinion:
    return get_object_or_404(
        Opinion.objects.visible_to(user).select_related("category", "station", "region", "unit"), pk=pk
    )


def _render_case(request: HttpRequest, opinion: Opinion, **forms: Any) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    mine = opinion.unit_id == user.unit_id
    actions = {t.name for t in transitions.available(opinion.status, UNIT_ROLE)} if mine else set()
    if opinion.acknowledged_at is not None:
        actions.discard("acknowledge")
    pending = opinion.extension_requests.filter(state=ExtensionRequest.State.PENDING).first()
    if pending is not None:
        actions.discard("request_extension")
    templates = templates_service.usable_by(user)
    picker = TemplatePickerForm(request.GET if "template" in request.GET else None, templates=templates)
    reply_form = forms.get("reply_form") or ReplyForm(initial={
        "text": picker.chosen_text(), "version": opinion.version,
    })
    # Units see every public note, and internal notes only of the steps taken while the case was theirs.
    events = [
        (event, action_label(event.action), event.internal_note if event.unit_id == user.unit_id else "")
        for event in opinion.events.select_related("actor").order_by("created_at", "id")
    ]
    return render(request, "opinions/unit/case.html", {
        "opinion": opinion, "mine": mine, "actions": actions, "events": events, "pending_extension": pending,
        "extensions": opinion.extension_requests.order_by("-created_at", "-id"),
        "attachments": opinion.attachments.all(), "overdue": opinion.is_overdue(),
        "picker": picker, "has_templates": templates.exists(), "reply_form": reply_form,
        "extension_form": forms.get("extension_form") or ExtensionForm(),
        "return_form": forms.get("return_form") or ReturnForm(),
    })


def action_label(action: str) -> str:
    """A case event's action for people: the transition's label, or one of the non-state events."""
    known = transitions.TRANSITIONS.get(action) or transitions.EVENTS.get(action)
    if known is not None:
        return str(known.label)
    return {"submit": _("Submitted")}.get(action, action)


@unit_required
def case(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_case(request, _case(request.user, pk))  # type: ignore[arg-type]


def _act(request: HttpRequest, pk: int, form_name: str | None, form: Any, run: Callable[[Opinion, dict], Any],
         success: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    opinion = _case(user, pk)
    if form is None or form.is_valid():
        try:
            run(opinion, form.cleaned_data if form is not None else {})
        except CaseError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, success % {"code": opinion.tracking_code})
            return redirect("opinions:inbox_case", pk)
        opinion.refresh_from_db()
    return _render_case(request, opinion, **({form_name: form} if form_name else {}))


@unit_required
@require_POST
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, None, None, lambda op, _data: services.acknowledge(op, request.user),  # type: ignore[arg-type]
                _("Receipt of case %(code)s was acknowledged."))


@unit_required
@require_POST
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    def run(op: Opinion, data: dict[str, Any]) -> None:
        services.reply(op, request.user, text=data["text"], internal_note=data["internal_note"],  # type: ignore[arg-type]
                       expected_version=data.get("version"))

    return _act(request, pk, "reply_form", ReplyForm(request.POST), run, _("The reply to case %(code)s was sent."))


@unit_required
@require_POST
def request_extension(request: HttpRequest, pk: int) -> HttpResponse:
    def run(op: Opinion, data: dict[str, Any]) -> None:
        services.request_extension(op, request.user, working_days=data["working_days"],  # type: ignore[arg-type]
                                   reason=data["reason"])

    return _act(request, pk, "extension_form", ExtensionForm(request.POST), run,
                _("The extension request for case %(code)s was sent for a decision."))


@unit_required
@require_POST
def return_case(request: HttpRequest, pk: int) -> HttpResponse:
    def run(op: Opinion, data: dict[str, Any]) -> None:
        services.return_case(op, request.user, reason=data["reason"])  # type: ignore[arg-type]

    return _act(request, pk, "return_form", ReturnForm(request.POST), run,
                _("Case %(code)s was returned as wrongly routed."))


@unit_required
def bulk_reply(request: HttpRequest) -> HttpResponse:
    """Reply to several of the unit's cases with one text (usually from a template); each goes through services.reply."""
    user: User = request.user  # type: ignore[assignment]
    cases = open_cases(user).select_related("category").order_by("due_at", "id")
    templates = templates_service.usable_by(user)
    picker = TemplatePickerForm(request.GET if "template" in request.GET else None, templates=templates)
    if request.method == "POST":
        form = BulkReplyForm(request.POST, cases=cases)
        if form.is_valid():
            done, refused = [], []
            for opinion in form.cleaned_data["cases"]:
                try:
                    services.reply(opinion.pk, user, text=form.cleaned_data["text"])
                except CaseError as error:
                    refused.append((opinion, error.message))
                else:
                    done.append(opinion)
            if done:
                messages.success(request, ngettext("%(count)d reply was sent.", "%(count)d replies were sent.",
                                                   len(done)) % {"count": len(done)})
            if refused:
                messages.error(request, ngettext("%(count)d case was refused.", "%(count)d cases were refused.",
                                                 len(refused)) % {"count": len(refused)})
            return render(request, "opinions/unit/bulk_done.html", {"done": done, "refused": refused})
    else:
        selected = [value for value in request.GET.getlist("cases") if value.isdigit()]
        form = BulkReplyForm(initial={"cases": selected, "text": picker.chosen_text()}, cases=cases)
    chosen = cases.filter(pk__in=[v for v in (form["cases"].value() or []) if str(v).isdigit()])
    return render(request, "opinions/unit/bulk_reply.html", {
        "form": form, "picker": picker, "chosen": chosen, "selected": [str(v) for v in form["cases"].value() or []],
    })


# ---- response templates ------------------------------------------------------------------------


def _templates_manager(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not templates_service.can_manage(user):
        raise PermissionDenied
    return user


@staff_required
def template_list(request: HttpRequest) -> HttpResponse:
    user = _templates_manager(request)
    queryset = templates_service.managed_by(user)
    show = request.GET.get("show", "active")
    if show == "active":
        queryset = queryset.filter(active=True)
    elif show == "inactive":
        queryset = queryset.filter(active=False)
    page = keyset_page(queryset, ("name", "id"), request.GET.get("cursor"), settings.PAGE_SIZE)
    return render(request, "opinions/unit/templates.html", {
        "page": page, "total": queryset.count(), "show": show, "shared": user.role != Role.UNIT_STAFF,
    })


@staff_required
def template_create(request: HttpRequest) -> HttpResponse:
    user = _templates_manager(request)
    form = ResponseTemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            templates_service.create_template(user, request=request, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The response template was created."))
            return redirect("opinions:templates")
    return render(request, "opinions/unit/template_form.html", {"form": form, "template_obj": None})


@staff_required
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _templates_manager(request)
    template = get_object_or_404(templates_service.managed_by(user), pk=pk)
    form = ResponseTemplateForm(request.POST or None, initial={"name": template.name, "text": template.text})
    if request.method == "POST" and form.is_valid():
        try:
            templates_service.update_template(user, template, request=request, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("opinions:templates")
    return render(request, "opinions/unit/template_form.html", {"form": form, "template_obj": template})


@staff_required
@require_POST
def template_status(request: HttpRequest, pk: int) -> HttpResponse:
    user = _templates_manager(request)
    template: ResponseTemplate = get_object_or_404(templates_service.managed_by(user), pk=pk)
    active = request.POST.get("active") == "1"
    try:
        templates_service.set_active(user, template, active, request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The template was reactivated.") if active else _("The template was deactivated."))
    return redirect("opinions:templates")


# ---- extension requests (district and city admins) ---------------------------------------------


def pending_extensions(user: User) -> QuerySet[ExtensionRequest]:
    return ExtensionRequest.objects.filter(
        state=ExtensionRequest.State.PENDING, opinion__in=Opinion.objects.visible_to(user)
    ).select_related("opinion", "opinion__category", "unit", "requested_by")


@role_required(Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
def extension_list(request: HttpRequest) -> HttpResponse:
    requests = pending_extensions(request.user)  # type: ignore[arg-type]
    order = ("created_at", "id")
    now = clock.now()
    if request.GET.get("export") == "xlsx":
        headers = [_("Tracking code"), _("Title"), _("Handling unit"), _("Requested"), _("Extra working days"),
                   _("Reason"), _("Due"), _("New deadline if approved")]
        return xlsx_response(_("extension-requests.xlsx"), headers, (
            [r.opinion.tracking_code, r.opinion.title, r.unit.name, timezone.localtime(r.created_at).strftime(
                "%Y-%m-%d %H:%M"), r.working_days, r.reason, _local_date(r.opinion.due_at),
             _local_date(_proposed_due(r, now))]
            for r in requests.order_by(*order)
        ))
    page = keyset_page(requests, order, request.GET.get("cursor"), settings.PAGE_SIZE)
    for row in page.rows:
        row.proposed_due = _proposed_due(row, now)
    return render(request, "opinions/unit/extensions.html", {
        "page": page, "total": requests.count(), "form": ExtensionDecisionForm(),
    })


def _proposed_due(request: ExtensionRequest, now: datetime.datetime) -> datetime.datetime:
    # The same rule as services.decide_extension: extend from the deadline, or from now when it has passed.
    due = request.opinion.due_at
    return deadlines.add_working_days(due if due and due > now else now, request.working_days)


def _local_date(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d") if value else ""


@role_required(Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
@require_POST
def extension_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    extension = get_object_or_404(pending_extensions(user), pk=pk)
    form = ExtensionDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or deny."))
        return redirect("opinions:extensions")
    approve = form.cleaned_data["decision"] == "approve"
    try:
        services.decide_extension(extension.opinion_id, user, approve=approve, note=form.cleaned_data["note"])
    except CaseError as error:
        messages.error(request, error.message)
    else:
        code = extension.opinion.tracking_code
        messages.success(request, (_("The extension for case %(code)s was approved.") if approve
                                   else _("The extension for case %(code)s was denied.")) % {"code": code})
    return redirect("opinions:extensions")


# ---- deputy suggestions (代表建议) -------------------------------------------------------------

SUGGESTION_ROLES = (Role.DISTRICT_ADMIN, Role.CITY_ADMIN, Role.DEPUTY, Role.UNIT_STAFF)


@role_required(*SUGGESTION_ROLES)
def suggestion_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    today = clock.today()
    form = SuggestionFilterForm(request.GET or None, user=user)
    queryset = suggestions.filter_list(suggestions.suggestions_visible_to(user), form.cleaned(), today)
    queryset = queryset.select_related("deputy", "unit").annotate(opinion_count=Count("opinions"))
    order = ("-created_at", "-id")
    if request.GET.get("export") == "xlsx":
        headers = [_("Title"), _("Deputy"), _("Handling unit"), _("State"), _("Filed"), _("Answer due"),
                   _("Opinions"), _("Answer")]
        return xlsx_response(_("deputy-suggestions.xlsx"), headers, (
            [s.title, s.deputy.name, s.unit.name if s.unit else "", s.get_state_display(),
             _local_date(s.created_at), s.due_on.isoformat(), s.opinion_count, s.answer]
            for s in queryset.order_by(*order)
        ))
    page = keyset_page(queryset, order, request.GET.get("cursor"), settings.PAGE_SIZE)
    for row in page.rows:
        row.overdue = row.state == Suggestion.State.FILED and row.due_on < today
    return render(request, "opinions/suggestions/list.html", {
        "form": form, "page": page, "total": queryset.count(), "can_file": suggestions.can_file(user),
    })


@role_required(Role.DISTRICT_ADMIN, Role.CITY_ADMIN, Role.DEPUTY)
def suggestion_create(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not suggestions.can_file(user):
        raise PermissionDenied
    if request.method == "POST":
        form = SuggestionForm(request.POST, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                suggestion = suggestions.file_suggestion(
                    user, opinions=data["cases"], title=data["title"], text=data["text"], deputy=data["deputy"],
                    unit=data["unit"], request=request,
                )
            except CaseError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("The deputy suggestion was filed; the answer is due on %(date)s.")
                                 % {"date": suggestion.due_on.isoformat()})
                return redirect("opinions:suggestion_detail", suggestion.pk)
    else:
        pks = [value for value in request.GET.getlist("opinions") if value.isdigit()]
        chosen = list(suggestions.convertible_opinions(user).filter(pk__in=pks).order_by("created_at", "id"))
        form = SuggestionForm(user=user, initial={
            "cases": " ".join(op.tracking_code for op in chosen),
            "title": chosen[0].title if len(chosen) == 1 else "",
            "text": "\n\n".join(op.text for op in chosen),
        })
    return render(request, "opinions/suggestions/form.html", {
        "form": form, "due_on": suggestions.due_date(clock.today()),
    })


def _suggestion(user: User, pk: int) -> Suggestion:
    return get_object_or_404(suggestions.suggestions_visible_to(user).select_related("deputy", "unit", "region"),
                             pk=pk)


@role_required(*SUGGESTION_ROLES)
def suggestion_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _suggestion_page(request, _suggestion(request.user, pk))  # type: ignore[arg-type]


def _suggestion_page(request: HttpRequest, suggestion: Suggestion,
                     answer_form: SuggestionAnswerForm | None = None) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    linked = Opinion.objects.visible_to(user).filter(suggestion=suggestion).select_related("category")
    return render(request, "opinions/suggestions/detail.html", {
        "suggestion": suggestion, "opinions": linked.order_by("created_at", "id"),
        "linked_total": Opinion.objects.filter(suggestion=suggestion).count(),
        "overdue": suggestion.state == Suggestion.State.FILED and suggestion.due_on < clock.today(),
        "can_answer": suggestions.can_answer(user, suggestion), "can_close": suggestions.can_close(user, suggestion),
        "answer_form": answer_form or SuggestionAnswerForm(), "unit_user": user.role == Role.UNIT_STAFF,
    })


@role_required(*SUGGESTION_ROLES)
@require_POST
def suggestion_answer(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    suggestion = _suggestion(user, pk)
    form = SuggestionAnswerForm(request.POST)
    if form.is_valid():
        try:
            suggestions.record_answer(user, suggestion, answer=form.cleaned_data["answer"], request=request)
        except CaseError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The answer was recorded."))
            return redirect("opinions:suggestion_detail", pk)
    return _suggestion_page(request, suggestion, answer_form=form)


@role_required(*SUGGESTION_ROLES)
@require_POST
def suggestion_close(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    suggestion = _suggestion(user, pk)
    try:
        suggestions.close(user, suggestion, request=request)
    except CaseError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The suggestion was closed."))
    return redirect("opinions:suggestion_detail", pk)

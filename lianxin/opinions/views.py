"""The congress staff's case console: queues and filtered list, the case page, intake, bulk actions.

Views are thin: a form parses the input, a function of ``services`` (or ``bulk``) does the work,
and a ``CaseError`` is shown as it is, with nothing changed. Every read goes through
``Opinion.objects.visible_to(request.user)``, so a case outside the user's scope is a 404.
"""

from __future__ import annotations

import datetime
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import connections, transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Value
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lianxin.accounts.audit import log_action
from lianxin.accounts.decorators import staff_required
from lianxin.accounts.models import Role, User
from lianxin.core import clock
from lianxin.core.pagination import Page, keyset_page
from lianxin.core.pagination import _encode as encode_cursor  # the cursor format of keyset_page

from . import bulk as bulk_actions
from . import deadlines, queues, search, services, similar, transitions
from .errors import CaseError
from .export import export_opinions
from .forms import (
    AcceptForm,
    AnswerForm,
    BulkForm,
    CaseForm,
    EscalateForm,
    ExtensionDecisionForm,
    MergeForm,
    NewOpinionForm,
    OpinionFilterForm,
    RejectForm,
    TransferForm,
    bulk_allowed,
    role_of,
)
from .models import ExtensionRequest, Opinion, RejectReason, Status

ORDER = ("-created_at", "-id")
# The list counts matching cases up to this many and then says "more than": an exact count of a
# city's half a million cases costs more than the page itself.
COUNT_LIMIT = 1000
LIST_RELATED = ("category", "station", "deputy", "unit")
# What the list page shows of each case: no deputy, and none of the long or encrypted columns (a
# page of 50 would decrypt 100 citizen fields only to throw them away).
PAGE_RELATED = ("category", "station", "unit")
PAGE_DEFERRED = ("text", "reply", "citizen_name", "citizen_phone", "station__address", "station__description")
DETAIL_RELATED = ("category", "station", "deputy", "unit", "region", "assignee", "merged_into")
DETAIL_TEMPLATE = "opinions/staff/detail.html"

ACTION_FORMS: dict[str, type[CaseForm]] = {
    "accept": AcceptForm,
    "reject": RejectForm,
    "merge": MergeForm,
    "answer": AnswerForm,
    "transfer": TransferForm,
    "escalate": EscalateForm,
    "decide_extension": ExtensionDecisionForm,
}
SUCCESS = {
    "accept": gettext_lazy("Case %(code)s was accepted."),
    "reject": gettext_lazy("Case %(code)s was not accepted; the citizen is told why."),
    "merge": gettext_lazy("Case %(code)s was merged into another case."),
    "answer": gettext_lazy("The answer to case %(code)s was recorded."),
    "transfer": gettext_lazy("Case %(code)s was transferred to the handling unit."),
    "escalate": gettext_lazy("Case %(code)s was escalated."),
    "decide_extension": gettext_lazy("The extension request for case %(code)s was decided."),
}
EVENT_LABELS = {"submit": gettext_lazy("Opinion submitted"), **{t.name: t.label for t in transitions.TRANSITIONS.values()}}
ACTOR_LABELS = {"citizen": gettext_lazy("Citizen"), "system": gettext_lazy("System")}
CONFLICT = gettext_lazy("Someone else changed this case meanwhile. Reload and try again.")
PII_ROLES = (Role.SITE_MANAGER, Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
INTAKE_ROLES = transitions.SITE_SIDE


def _scoped(user: User) -> Any:
    return Opinion.objects.visible_to(user)


def deadline_state(opinion: Opinion, now: Any, soon: Any) -> str:
    """"overdue", "due_soon" or "" — for the red and amber highlighting of deadlines."""
    if not opinion.is_open or opinion.due_at is None:
        return ""
    if opinion.due_at < now:
        return "overdue"
    return "due_soon" if opinion.due_at <= soon else ""


def can_reveal(user: User) -> bool:
    return user.is_superuser or user.role in PII_ROLES


def can_enter(user: User) -> bool:
    return user.is_superuser or user.role in INTAKE_ROLES


# ---- the list -------------------------------------------------------------------------------------


def list_page(opinions: Any, cursor: str | None, *, sort_matches: bool = False,
              joined: bool = False) -> tuple[Page, int | None]:
    """One page of the list in two queries: the page's keys (id, time), then its rows.

    An index answers the keys for every candidate row; the joins and the wide columns are read for
    the 50 rows of the page only. ``sort_matches``: the filters match few cases, to be found through
    their own indexes and sorted, not by reading the time index newest first (the same order, by a
    time PostgreSQL cannot read from that index). All of them are read to be sorted anyway, so the
    first page takes up to ``COUNT_LIMIT + 1`` keys and returns their number as the count too;
    otherwise the count is None (the caller counts).
    """
    size, total = settings.PAGE_SIZE, None
    if joined:
        # Joined to a keyword gram's rows (``search.join_gram``): newest first from its own index
        # (gram, created_at, opinion), by the time the gram row keeps.
        sort_matches = True
        keys_query, order = opinions.values_list("id", "sort_at", named=True), ("-sort_at", "-id")
    elif sort_matches:
        opinions = opinions.annotate(
            sort_at=ExpressionWrapper(F("created_at") + Value(datetime.timedelta(0)), output_field=DateTimeField()))
        keys_query, order = opinions.values_list("id", "sort_at", named=True), ("-sort_at", "-id")
    else:
        keys_query, order = opinions.values_list("id", "created_at", named=True), ORDER
    if sort_matches and not cursor:
        rows, total = _first_keys_counted(keys_query.order_by(*order)[: COUNT_LIMIT + 1], size)
        keys = Page(rows=rows[:size], has_previous=False, next_cursor=(
            encode_cursor([rows[size - 1].sort_at, rows[size - 1].id]) if total > size else None))
    else:
        keys = keyset_page(keys_query, order, cursor, size)
    by_id = {op.pk: op for op in Opinion.objects.filter(pk__in=[key.id for key in keys.rows])
             .select_related(*PAGE_RELATED).defer(*PAGE_DEFERRED)}
    page = Page(rows=[by_id[key.id] for key in keys.rows if key.id in by_id], next_cursor=keys.next_cursor,
                has_previous=keys.has_previous)
    return page, total


class _Key(NamedTuple):
    id: int
    sort_at: datetime.datetime


def _first_keys_counted(keys: Any, size: int) -> tuple[list[_Key], int]:
    """The first ``size + 1`` of the sorted (id, sort_at) ``keys`` and how many there are, in one query.

    The matches are all read to be sorted anyway; the count comes from a window over them in the same
    statement, so only the page's keys cross to Python (not up to ``COUNT_LIMIT + 1`` time stamps to be
    parsed for a count)."""
    sql, params = keys.query.sql_with_params()
    # The inner statement is the ORM's own; only constant text is added around it.
    wrapped = (f"SELECT s.id, s.sort_at, count(*) OVER () FROM ({sql}) s "  # noqa: S608
               f"ORDER BY s.sort_at DESC, s.id DESC LIMIT {int(size) + 1}")
    with connections[keys.db].cursor() as cursor:
        cursor.execute(wrapped, params)
        fetched = cursor.fetchall()
    total = fetched[0][2] if fetched else 0
    return [_Key(row[0], _aware(row[1])) for row in fetched], total


def _aware(value: Any) -> datetime.datetime:
    """A time stamp read by a raw cursor (SQLite gives text) as an aware datetime."""
    if isinstance(value, str):
        from django.utils.dateparse import parse_datetime

        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    return value  # type: ignore[no-any-return]


def bounded_count(queryset: Any, limit: int) -> int:
    """The number of rows, counted only up to ``limit + 1`` (``SELECT count(*) FROM (… LIMIT n)``)."""
    return int(queryset.order_by().values("pk")[: limit + 1].count())


@staff_required
def opinion_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    now = clock.now()
    queue = queues.normalise(request.GET.get("queue"))
    form = OpinionFilterForm(request.GET or None, user=user)
    queued = queues.apply(_scoped(user), queue, user, now)
    opinions = form.filter(queued)
    if request.GET.get("export") == "xlsx":
        return export_opinions(request, user, opinions.select_related(*LIST_RELATED),
                               {"queue": queue, **form.active_filters()})
    keyword = form.cleaned_data.get("q", "").strip() if form.is_valid() else ""
    plan = search.keyword_plan(keyword, form.filter(queued, keyword=False)) if keyword else None
    cursor = request.GET.get("cursor")
    if plan is None:  # no keyword, or not PostgreSQL: the plain filter, read newest first
        page, total = list_page(opinions, cursor)
    elif plan.how == "join" and plan.gram:  # the keyword's gram's own rows, newest first, joined to the scope
        joined = search.join_gram(form.filter(queued, keyword=False), plan.gram)
        page, total = list_page(search.filter_keyword(joined, keyword, joined_gram=plan.gram), cursor, joined=True)
    elif plan.how == "sort":  # a small scope, whole: each case probes the keyword's grams, matches sorted
        opinions = form.filter(queued, probe=True)
        page, total = list_page(opinions, cursor, sort_matches=True)
    else:  # "walk": a word in most of a large scope's cases, read newest first, counted on its own
        page, total = list_page(opinions, cursor)
    soon = queues.due_soon_limit(now)
    for opinion in page.rows:
        opinion.deadline_state = deadline_state(opinion, now, soon)  # type: ignore[attr-defined]
    if total is None:
        total = bounded_count(opinions, COUNT_LIMIT)
    bulk_form = BulkForm(user=user) if bulk_allowed(user) else None
    return render(request, "opinions/staff/list.html", {
        "form": form,
        "page": page,
        "total": min(total, COUNT_LIMIT),
        "more_than": total > COUNT_LIMIT,
        "queue": queue,
        "queues": [(key, label) for key, (label, _fn) in queues.QUEUES.items()],
        "bulk_form": bulk_form,
        # the bulk form's units as (id, name) pairs: no model instance per option
        "bulk_units": bulk_form.fields["unit"].queryset.values_list("pk", "name") if bulk_form else (),  # type: ignore[attr-defined]
        "can_enter": can_enter(user),
    })


@staff_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not bulk_allowed(user):
        raise PermissionDenied
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("opinions:list")
    back = back or reverse("opinions:list")
    form = BulkForm(request.POST, user=user)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    data = form.cleaned_data
    if data["action"] == "transfer":
        result = bulk_actions.bulk_transfer(user, data["ids"], unit=data["unit"],
                                            working_days=data.get("working_days"), note=data["note"])
    else:
        result = bulk_actions.bulk_escalate(user, data["ids"], note=data["note"])
    summary = _("%(done)s done, %(refused)s refused.") % {"done": len(result.done), "refused": len(result.refused)}
    (messages.warning if result.refused else messages.success)(request, summary)
    for code, reason in result.refused:
        messages.warning(request, _("%(code)s refused: %(reason)s") % {"code": code, "reason": reason})
    return redirect(back)


# ---- the case page --------------------------------------------------------------------------------


def _get_case(user: User, pk: int) -> Opinion:
    return get_object_or_404(_scoped(user).select_related(*DETAIL_RELATED), pk=pk)


def _offered(opinion: Opinion, user: User, pending: ExtensionRequest | None) -> list[str]:
    """The transitions of this console the table offers this user now (unit actions live in the inbox)."""
    names = [t.name for t in transitions.available(opinion.status, role_of(user)) if t.name in ACTION_FORMS]
    if pending is None and "decide_extension" in names:
        names.remove("decide_extension")
    return names


def _form(name: str, user: User, opinion: Opinion, data: Any, candidates: list[Opinion]) -> CaseForm:
    kwargs: dict[str, Any] = {"user": user, "opinion": opinion, "prefix": name}
    if name == "merge":
        kwargs["candidates"] = candidates
    if name == "transfer":
        kwargs["default_days"] = services.deadline_rule(opinion.category, opinion.urgency).handle_days
    return ACTION_FORMS[name](data, **kwargs)


def _candidates(user: User, opinion: Opinion) -> list[Opinion]:
    return similar.similar_open(user, region=opinion.region, title=opinion.title, text=opinion.text, exclude=opinion)


def _case_context(request: HttpRequest, opinion: Opinion, *, bound: dict[str, CaseForm] | None = None,
                  revealed: bool = False) -> dict[str, Any]:
    user: User = request.user  # type: ignore[assignment]
    now = clock.now()
    pending = (opinion.extension_requests.filter(state=ExtensionRequest.State.PENDING)
               .select_related("unit", "requested_by").first())
    offered = _offered(opinion, user, pending)
    candidates = _candidates(user, opinion) if "merge" in offered else []
    action_forms = {name: (bound or {}).get(name) or _form(name, user, opinion, None, candidates) for name in offered}
    events = list(opinion.events.select_related("actor", "unit"))
    for event in events:
        event.label = EVENT_LABELS.get(event.action, event.action)  # type: ignore[attr-defined]
        event.actor_label = str(event.actor) if event.actor else ACTOR_LABELS.get(event.actor_kind, "")  # type: ignore[attr-defined]
    transfer = action_forms.get("transfer")
    return {
        "opinion": opinion,
        "events": events,
        "attachments": list(opinion.attachments.all()),
        "merged_cases": list(_scoped(user).filter(merged_into=opinion).select_related("category")),
        "pending_extension": pending,
        "deadline_state": deadline_state(opinion, now, queues.due_soon_limit(now)),
        "action_forms": action_forms,
        "candidates": candidates,
        "reject_guidance": [(value, label, services.REJECT_GUIDANCE.get(value, ""))
                            for value, label in RejectReason.choices],
        "transfer_due": deadlines.add_working_days(now, transfer.default_days) if transfer else None,  # type: ignore[attr-defined]
        "revealed": revealed,
        "can_reveal": can_reveal(user),
    }


@staff_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    opinion = _get_case(request.user, pk)  # type: ignore[arg-type]
    return render(request, DETAIL_TEMPLATE, _case_context(request, opinion))


@staff_required
@require_POST
def reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the citizen's full name and phone once, and write the view to the audit log."""
    user: User = request.user  # type: ignore[assignment]
    opinion = _get_case(user, pk)
    if not can_reveal(user):
        raise PermissionDenied
    log_action(user, "pii.view", opinion, {"fields": ["citizen_name", "citizen_phone"]}, request)
    return render(request, DETAIL_TEMPLATE, _case_context(request, opinion, revealed=True))


def _guarded(opinion: Opinion, expected_version: int, run: Any) -> Any:
    """Version check for services that take no ``expected_version`` (escalate, decide_extension).

    The row is locked first, so the check and the service's change happen in one transaction.
    """
    with transaction.atomic():
        current = Opinion.objects.select_for_update().filter(pk=opinion.pk).values_list("version", flat=True).first()
        if current != expected_version:
            raise CaseError("conflict", CONFLICT)
        return run()


def _run(name: str, user: User, opinion: Opinion, data: dict[str, Any]) -> Opinion:
    version = data["version"]
    pk = opinion.pk
    if name == "accept":
        return services.accept(pk, user, station=data["station"], deputy=data["deputy"], category=data["category"],
                               urgency=data["urgency"], public_note=data["public_note"],
                               internal_note=data["internal_note"], expected_version=version)
    if name == "reject":
        return services.reject(pk, user, reason=data["reason"], public_note=data["public_note"],
                               internal_note=data["internal_note"], expected_version=version)
    if name == "merge":
        return services.merge(pk, user, into=data["target"], internal_note=data["internal_note"],
                              expected_version=version)
    if name == "answer":
        return services.answer(pk, user, reply=data["reply"], internal_note=data["internal_note"],
                               expected_version=version)
    if name == "transfer":
        return services.transfer(pk, user, unit=data["unit"], working_days=data["working_days"],
                                 public_note=data["public_note"], internal_note=data["internal_note"],
                                 expected_version=version)
    if name == "escalate":
        return _guarded(opinion, version, lambda: services.escalate(pk, user, note=data["note"]))
    if name == "decide_extension":
        return _guarded(opinion, version, lambda: services.decide_extension(
            pk, user, approve=data["decision"] == "approve", note=data["note"]))
    raise ValueError(name)


@staff_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """POST of one transition form: run the service, or re-render the case page with the message."""
    user: User = request.user  # type: ignore[assignment]
    opinion = _get_case(user, pk)
    candidates = _candidates(user, opinion) if action == "merge" else []
    form = _form(action, user, opinion, request.POST, candidates)
    if form.is_valid():
        try:
            _run(action, user, opinion, form.cleaned_data)
        except CaseError as error:
            messages.error(request, str(error.message))
            form.add_error(None, str(error.message))
        else:
            messages.success(request, SUCCESS[action] % {"code": opinion.tracking_code})
            return redirect("opinions:detail", opinion.pk)
    opinion.refresh_from_db()
    return render(request, DETAIL_TEMPLATE, _case_context(request, opinion, bound={action: form}), status=400)


@staff_required
def due_preview(request: HttpRequest) -> HttpResponse:
    """htmx: the due date a transfer with this many working days would get."""
    raw = request.GET.get("transfer-working_days") or request.GET.get("days") or ""
    try:
        days = int(raw)
    except ValueError:
        days = 0
    if not 1 <= days <= 60:
        return HttpResponse(_("The deadline must be between 1 and 60 working days."))
    due = timezone.localtime(deadlines.add_working_days(clock.now(), days))
    return HttpResponse(_("Due by %(date)s") % {"date": formats.date_format(due, "DATE_FORMAT")})


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


# ---- intake on a citizen's behalf ----------------------------------------------------------------


def _activity_initial(user: User, value: str | None) -> dict[str, Any]:
    """``?activity=<id>``: an opinion taken during that activity — its site, walk-in, the activity linked."""
    from lianxin.activities.models import Activity

    activity = Activity.objects.visible_to(user).filter(pk=_int(value)).first() if value else None
    if activity is None:
        return {}
    return {"activity": activity.pk, "station": activity.station_id, "channel": "walk_in"}


@staff_required
def new(request: HttpRequest) -> HttpResponse:
    """Enter an opinion for a citizen (walk-in, phone, home visit).

    Two steps: a valid form first shows the similar open opinions of the area; the user then saves
    it as new, or saves it and merges it into one of them (the duplicate keeps its own history).
    """
    user: User = request.user  # type: ignore[assignment]
    if not can_enter(user):
        raise PermissionDenied
    form = NewOpinionForm(request.POST or None, user=user, initial=_activity_initial(user, request.GET.get("activity")))
    candidates: list[Opinion] | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        step = "merge" if request.POST.get("merge_into") else request.POST.get("step", "")
        target = None
        if step == "merge":
            target = _scoped(user).open().filter(pk=_int(request.POST.get("merge_into"))).first()
            if target is None:
                form.add_error(None, _("Pick one of the similar open cases."))
                step = ""
        if step not in ("save", "merge"):
            candidates = similar.similar_open(user, region=data["station"].region, title=data["title"],
                                              text=data["text"])
            step = "" if candidates or form.errors else "save"
        if step in ("save", "merge"):
            try:
                opinion, _created = services.submit_opinion(
                    category=data["category"], title=data["title"], text=data["text"], channel=data["channel"],
                    station=data["station"], deputy=data["deputy"], citizen_name=data["citizen_name"],
                    citizen_phone=data["citizen_phone"], urgency=data["urgency"], consent=True,
                    idempotency_key=data["idempotency_key"], actor=user, activity=data.get("activity"),
                )
            except CaseError as error:
                form.add_error(None, str(error.message))
            else:
                messages.success(request, _("The opinion was recorded as case %(code)s.") % {
                    "code": opinion.tracking_code})
                if target is not None and opinion.status == Status.SUBMITTED:
                    try:
                        services.merge(opinion.pk, user, into=target, expected_version=opinion.version)
                    except CaseError as error:
                        messages.error(request, str(error.message))
                    else:
                        messages.success(request, SUCCESS["merge"] % {"code": opinion.tracking_code})
                return redirect("opinions:detail", opinion.pk)
    return render(request, "opinions/staff/new.html", {"form": form, "candidates": candidates})

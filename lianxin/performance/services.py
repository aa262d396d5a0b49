"""Rules of the duty record: declaring and reviewing items, editing the assessment rules, the record PDF."""

from __future__ import annotations

import datetime
import logging
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from lianxin.accounts.audit import log_action
from lianxin.core import clock

from .models import DeclaredItem, RecordDocument, RuleSet
from .scoring import current_rules, start_recompute

if TYPE_CHECKING:
    from lianxin.accounts.models import User
    from lianxin.deputies.models import Deputy

logger = logging.getLogger(__name__)

REVIEWER_ROLES = ("site_manager", "district_admin", "city_admin")


class PerformanceError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def can_review(user: User) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role in REVIEWER_ROLES))


def can_edit_rules(user: User) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role == "city_admin"))


# ---- declared items --------------------------------------------------------------------------------


def declare(user: User, *, kind: str, done_on: datetime.date, title: str, evidence_text: str = "",
            evidence_file: Any = None, request: Any = None) -> DeclaredItem:
    """A deputy declares a duty done elsewhere, with evidence (a text, a file or both)."""
    if user.role != "deputy" or not user.deputy_id:
        raise PerformanceError("forbidden", _("Only a deputy can declare items for the duty record."))
    if done_on > clock.today():
        raise PerformanceError("future", _("The date cannot be in the future."))
    if not evidence_text.strip() and not evidence_file:
        raise PerformanceError("evidence", _("Give the evidence as a text, a file or both."))
    with transaction.atomic():
        item = DeclaredItem(deputy_id=user.deputy_id, kind=kind, done_on=done_on, title=title.strip(),
                            evidence_text=evidence_text.strip(), created_by=user)
        if evidence_file:
            item.evidence_file = evidence_file
        item.save()
        log_action(user, "performance.declare", item, {"kind": kind, "done_on": str(done_on)}, request)
    return item


def decide(user: User, item_id: int, *, approve: bool, reason: str = "", request: Any = None) -> DeclaredItem:
    """Staff of the deputy's area approve or reject a pending item; a rejection needs a reason."""
    if not can_review(user):
        raise PerformanceError("forbidden", _("You may not review declared items."))
    reason = reason.strip()
    if not approve and not reason:
        raise PerformanceError("reason", _("Give a reason for rejecting the item."))
    with transaction.atomic():
        item = (DeclaredItem.objects.visible_to(user).select_for_update(of=("self",))
                .filter(pk=item_id).first())
        if item is None:
            raise PerformanceError("not_found", _("That item does not exist or is outside your area."))
        if item.status != DeclaredItem.Status.PENDING:
            raise PerformanceError("decided", _("That item has already been reviewed."))
        item.status = DeclaredItem.Status.APPROVED if approve else DeclaredItem.Status.REJECTED
        item.reason, item.decided_by, item.decided_at = reason, user, clock.now()
        item.save(update_fields=["status", "reason", "decided_by", "decided_at"])
        log_action(user, "performance.approve" if approve else "performance.reject", item,
                   {"deputy": item.deputy_id, "reason": reason}, request)
    return item


# ---- the assessment rules ----------------------------------------------------------------------------


def save_rules(user: User, values: dict[str, Any], request: Any = None) -> RuleSet:
    """Store edited rules as a new version (the old ones stay for the scores computed with them),
    then queue the recomputation of the scores."""
    if not can_edit_rules(user):
        raise PerformanceError("forbidden", _("Only the city congress admin may change the assessment rules."))
    with transaction.atomic():
        old = current_rules()
        latest = RuleSet.objects.select_for_update().order_by("-version").first()
        version = (latest.version if latest else 0) + 1
        rules = RuleSet.objects.create(version=version, created_by=user, **values)
        log_action(user, "performance.rules", rules, {"from": old.version, "to": version, "note": rules.note},
                   request)
        start_recompute(user)
    return rules


# ---- the printable record as a PDF ---------------------------------------------------------------------

PDF_STALE_AFTER = datetime.timedelta(minutes=10)


def request_record_pdf(user: User, deputy: Deputy, year: int, language: str = "zh-hans",
                       request: Any = None) -> RecordDocument:
    """Queue the PDF of a deputy's duty record (made by ``tasks.build_record_pdf``); one at a time."""
    from lianxin.core.documents import DocumentBusy, request_document

    from . import tasks

    with transaction.atomic():
        try:
            document = request_document(RecordDocument, {"deputy": deputy, "year": year}, user, language,
                                        tasks.build_record_pdf)
        except DocumentBusy:
            raise PerformanceError("busy", _("The PDF is already being prepared.")) from None
        log_action(user, "performance.record_pdf", deputy, {"year": year}, request)
    return document


def record_context(deputy: Deputy, year: int) -> dict[str, Any]:
    """Everything the record page, its PDF and its Excel sheet show (a fixed number of queries)."""
    from .models import Grade, ItemKind
    from .record import detail, period, tally
    from .scoring import score

    rules = current_rules()
    start, end = period(year)
    figures = tally([deputy.pk], start, end)[deputy.pk]
    result = score(figures, rules)
    rows = [(ItemKind(kind).label, figures.count(kind), result.points.get(kind, 0)) for kind in ItemKind]
    return {"deputy": deputy, "year": year, "figures": figures, "result": result, "rules": rules,
            "rows": rows, "grade_label": Grade(result.grade).label, "hours_at_sites": round(figures.minutes_at_sites / 60, 1), **detail(deputy.pk, year)}


def render_record_pdf(deputy: Deputy, year: int, language: str) -> bytes:
    import weasyprint  # type: ignore[import-untyped]
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override(language):
        html = render_to_string("performance/print.html", {**record_context(deputy, year), "pdf": True,
                                                            "LANGUAGE_CODE": language})
    return weasyprint.HTML(string=html).write_pdf()  # type: ignore[no-any-return]


def build_record_pdf(document_id: int) -> bool:
    """The task's body: claim the request, render, store; a failure is recorded on the document."""
    from lianxin.core.documents import build_document

    def render(document: RecordDocument) -> bytes:
        return render_record_pdf(document.deputy, document.year, document.language)

    return build_document(RecordDocument, document_id, render, "record.pdf")

"""Rules of a consultation on a draft law: creating it from a text, its phases, comments, moderation, adoption.

Pages call these functions; each checks the actor's role and scope, changes rows in one transaction
and writes the audit log. Errors are ``ConsultationError(code, message)``: nothing is changed.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext as _

from lianxin.accounts.audit import log_action
from lianxin.accounts.models import Role, User
from lianxin.accounts.scope import admin_region
from lianxin.core import clock
from lianxin.regions.models import Region
from lianxin.stations.models import Station

from . import splitter
from .models import Comment, Consultation, DraftArticle, SummaryDocument

logger = logging.getLogger(__name__)

ORGANISERS = frozenset({Role.CITY_ADMIN, Role.DISTRICT_ADMIN})
ENTRY_ROLES = frozenset({Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.SITE_MANAGER})
MAX_COMMENT = 3000


class ConsultationError(Exception):
    def __init__(self, code: str, message: Any) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message


# ---- who may do what ---------------------------------------------------------------------------


def can_organise(user: User) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role in ORGANISERS))


def can_enter(user: User) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role in ENTRY_ROLES))


def _require(allowed: bool) -> None:
    if not allowed:
        raise ConsultationError("not_allowed", _("Your role may not do this."))


def entry_stations(user: User, consultation: Consultation) -> Any:
    """The sites whose sessions this user may enter comments for: the consultation's, within their scope."""
    return Station.objects.visible_to(user).filter(consultations=consultation).order_by("region_path", "code")


def accepting_comments(consultation: Consultation, today: datetime.date | None = None) -> bool:
    today = today or clock.today()
    return (consultation.status == Consultation.Status.OPEN
            and consultation.opens_on <= today <= consultation.closes_on)


def closed_message(consultation: Consultation, today: datetime.date | None = None) -> str:
    today = today or clock.today()
    if consultation.status == Consultation.Status.OPEN and today < consultation.opens_on:
        return _("Comments on this draft are accepted from %(date)s.") % {"date": consultation.opens_on.isoformat()}
    if consultation.status == Consultation.Status.DRAFT:
        return _("This consultation is not open for comments yet.")
    return _("This consultation is closed: comments are no longer accepted.")


# ---- creating a consultation -------------------------------------------------------------------


def preview(text: str) -> splitter.Draft:
    """The chapters and articles found in ``text`` (nothing saved); ConsultationError when it does not split."""
    try:
        return splitter.split(text)
    except splitter.DraftError as error:
        raise ConsultationError("draft", error.message) from None


def _check_dates(opens_on: datetime.date, closes_on: datetime.date, report_due_on: datetime.date | None) -> None:
    if closes_on < opens_on:
        raise ConsultationError("invalid", _("The closing date must not be before the opening date."))
    if report_due_on is not None and report_due_on < closes_on:
        raise ConsultationError("invalid", _("The feedback date must not be before the closing date."))


def _home_region(user: User, stations: list[Station]) -> Region:
    region = admin_region(user)
    if region is not None:
        return region
    if stations:
        return stations[0].region
    root = Region.objects.order_by("level", "path").first()
    if root is None:
        raise ConsultationError("invalid", _("Choose the sites taking part."))
    return root


def create_consultation(
    user: User, *, title: str, organiser: str, text: str, opens_on: datetime.date, closes_on: datetime.date,
    report_due_on: datetime.date | None = None, stations: Iterable[Station] = (), request: Any = None,
) -> Consultation:
    _require(can_organise(user))
    draft = preview(text)
    _check_dates(opens_on, closes_on, report_due_on)
    chosen = list(stations)
    allowed = set(Station.objects.visible_to(user).filter(pk__in=[s.pk for s in chosen]).values_list("pk", flat=True))
    if any(s.pk not in allowed for s in chosen):
        raise ConsultationError("not_allowed", _("Some of the sites chosen are outside your area."))
    title = (title.strip() or draft.title)[:200]
    if not title:
        raise ConsultationError("invalid", _("Give the title of the draft."))
    if not organiser.strip():
        raise ConsultationError("invalid", _("Name the legislative body consulting."))
    with transaction.atomic():
        consultation = Consultation.objects.create(
            title=title, organiser=organiser.strip()[:100], summary=draft.introduction, source_text=text,
            region=_home_region(user, chosen), opens_on=opens_on, closes_on=closes_on, report_due_on=report_due_on,
            created_by=user, created_at=clock.now(),
        )
        consultation.stations.set(chosen)
        DraftArticle.objects.bulk_create([
            DraftArticle(consultation=consultation, order=i, chapter_number=a.chapter_number,
                         chapter_title=a.chapter_title, number=a.number, label=a.label, text=a.text)
            for i, a in enumerate(draft.articles, start=1)
        ])
        log_action(user, "consultation.create", consultation,
                   {"articles": len(draft.articles), "chapters": len(draft.chapters),
                    "stations": sorted(s.pk for s in chosen)}, request)
    return consultation



# ---- choosing sites, editing a consultation ------------------------------------------------------


@dataclass
class SiteGroup:
    key: int  # the district's region id; 0 for sites not under a district
    name: str
    stations: list[Station]


def district_groups(stations: list[Station]) -> list[SiteGroup]:
    """``stations`` grouped by their district (区/县), in district code order; the rest last."""
    prefixes: set[str] = set()
    for station in stations:
        parts = station.region_path.strip("/").split("/")
        prefixes.update("/" + "/".join(parts[:i]) + "/" for i in range(1, min(len(parts), 5) + 1))
    districts = {r.path: r for r in Region.objects.filter(level=Region.Level.COUNTY, path__in=prefixes)
                 .only("pk", "name", "path")}
    grouped: dict[str, list[Station]] = defaultdict(list)
    for station in stations:
        home = next((path for path in districts if station.region_path.startswith(path)), "")
        grouped[home].append(station)
    groups = [SiteGroup(districts[path].pk, districts[path].name, grouped[path])
              for path in sorted(p for p in grouped if p)]
    if grouped.get(""):
        groups.append(SiteGroup(0, str(_("Sites not under a district")), grouped[""]))
    return groups


def editable(consultation: Consultation, today: datetime.date | None = None) -> bool:
    """Title, dates and sites may change while being prepared, or open and not yet ended by date."""
    today = today or clock.today()
    return (consultation.status == Consultation.Status.DRAFT
            or (consultation.status == Consultation.Status.OPEN and consultation.closes_on >= today))


def update_consultation(
    user: User, consultation: Consultation | int, *, title: str, organiser: str, opens_on: datetime.date,
    closes_on: datetime.date, report_due_on: datetime.date | None, stations: Iterable[Station],
    request: Any = None,
) -> Consultation:
    """Change title, organiser, phase dates and the sites taking part (within the user's area).

    Sites outside the user's area (or deactivated since) stay as they are. Not once closed, and a change never reopens it:
    an open consultation's closing date stays today or later, and comments once started keep their start.
    """
    _require(can_organise(user))
    title, organiser = title.strip(), organiser.strip()
    if not title:
        raise ConsultationError("invalid", _("Give the title of the draft."))
    if not organiser:
        raise ConsultationError("invalid", _("Name the legislative body consulting."))
    _check_dates(opens_on, closes_on, report_due_on)
    chosen = {s.pk for s in stations}
    visible = Station.objects.visible_to(user)
    if len(set(visible.filter(pk__in=chosen).values_list("pk", flat=True))) != len(chosen):
        raise ConsultationError("not_allowed", _("Some of the sites chosen are outside your area."))
    today = clock.today()
    with transaction.atomic():
        locked = _lock(user, consultation)
        if not editable(locked, today):
            raise ConsultationError("closed", _("This consultation is closed: it can no longer be edited."))
        if locked.status == Consultation.Status.OPEN:
            if closes_on < today:
                raise ConsultationError("invalid", _("Comments are open: the closing date cannot be before today. "
                                                     "To end comments now, use “Close comments”."))
            if locked.opens_on <= today < opens_on:
                raise ConsultationError("invalid", _("Comments have already started: the opening date cannot be "
                                                     "moved after today."))
        current = set(locked.stations.values_list("pk", flat=True))
        # Only what the form can offer is replaced: sites outside the area, or since deactivated, stay.
        in_scope = set(visible.active().filter(pk__in=current).values_list("pk", flat=True))
        wanted = (current - in_scope) | chosen
        removed = current - wanted
        with_comments = list(Station.objects.filter(
            pk__in=Comment.objects.filter(consultation=locked, station__in=removed).values("station_id"))
            .order_by("code").values_list("name", flat=True))
        if with_comments:
            raise ConsultationError("invalid", _("Comments were already entered for %(sites)s: these sites cannot "
                                                 "be removed.") % {"sites": "、".join(with_comments)})
        changes: dict[str, Any] = {}
        new = {"title": title[:200], "organiser": organiser[:100], "opens_on": opens_on, "closes_on": closes_on,
               "report_due_on": report_due_on}
        for field, value in new.items():
            before = getattr(locked, field)
            if before != value:
                changes[field] = [str(before) if before is not None else None,
                                  str(value) if value is not None else None]
                setattr(locked, field, value)
        if changes:
            locked.save(update_fields=list(changes))
        if wanted != current:
            locked.stations.set(wanted)
            changes["stations"] = {"added": sorted(wanted - current), "removed": sorted(removed)}
        if changes:
            log_action(user, "consultation.edit", locked, changes, request)
    return locked


def _lock(user: User, consultation: Consultation | int) -> Consultation:
    pk = consultation.pk if isinstance(consultation, Consultation) else consultation
    found = Consultation.objects.visible_to(user).filter(pk=pk).first()
    if found is None:
        raise ConsultationError("not_found", _("No such consultation in your area."))
    return Consultation.objects.select_for_update().get(pk=found.pk)


# ---- phases --------------------------------------------------------------------------------------

PHASES = {
    # action: (from statuses, to status)
    "open": ({Consultation.Status.DRAFT}, Consultation.Status.OPEN),
    "close": ({Consultation.Status.OPEN}, Consultation.Status.CLOSED),
    "report": ({Consultation.Status.CLOSED}, Consultation.Status.REPORTED),
}


def change_phase(user: User, consultation: Consultation | int, action: str, request: Any = None) -> Consultation:
    """By hand: open (draft → open), close (open → closed), report (closed → reported)."""
    _require(can_organise(user))
    if action not in PHASES:
        raise ConsultationError("invalid", _("Unknown action."))
    sources, target = PHASES[action]
    with transaction.atomic():
        locked = _lock(user, consultation)
        if locked.status not in sources:
            raise ConsultationError("wrong_state", _("This cannot be done while the consultation is “%(status)s”.")
                                    % {"status": locked.get_status_display()})
        if action == "report" and locked.comments.filter(moderation=Comment.Moderation.PENDING).exists():
            raise ConsultationError("wrong_state", _("Some comments are still waiting for moderation."))
        before = locked.status
        locked.status = target
        if action == "close" and locked.closes_on > clock.today():
            locked.closes_on = max(clock.today(), locked.opens_on)
        locked.save(update_fields=["status", "closes_on"])
        log_action(user, f"consultation.{action}", locked, {"from": before, "to": target}, request)
    return locked


def sweep_phases(today: datetime.date | None = None) -> int:
    """By date: open consultations whose closing date has passed are closed. Returns how many."""
    today = today or clock.today()
    with transaction.atomic():
        ended = list(Consultation.objects.select_for_update().filter(status=Consultation.Status.OPEN,
                                                                     closes_on__lt=today))
        Consultation.objects.filter(pk__in=[c.pk for c in ended]).update(status=Consultation.Status.CLOSED)
        for consultation in ended:
            log_action(None, "consultation.close", consultation, {"by": "date", "closes_on": str(consultation.closes_on)})
    return len(ended)


def withdraw_article(user: User, article: DraftArticle, request: Any = None) -> None:
    """An article taken out of a revised draft: kept with its comments, no new comments."""
    _require(can_organise(user))
    with transaction.atomic():
        _lock(user, article.consultation_id)
        updated = DraftArticle.objects.filter(pk=article.pk, deleted=False).update(deleted=True)
        if not updated:
            raise ConsultationError("wrong_state", _("This article was already withdrawn."))
        log_action(user, "consultation.withdraw_article", article.consultation, {"article": article.number}, request)


# ---- comments ----------------------------------------------------------------------------------


@dataclass
class NewComment:
    text: str
    article: DraftArticle | None = None
    name: str = ""
    phone: str = ""
    consent: bool = False
    language: str = "zh-hans"


def _check_comment(consultation: Consultation, new: NewComment) -> str:
    if not accepting_comments(consultation):
        raise ConsultationError("closed", closed_message(consultation))
    if new.article is not None:
        fresh = DraftArticle.objects.filter(pk=new.article.pk, consultation=consultation).first()
        if fresh is None:
            raise ConsultationError("invalid", _("This article is not part of this draft."))
        if fresh.deleted:
            raise ConsultationError("deleted", _("This article was withdrawn from the draft; comments on it are "
                                                 "no longer accepted. You may comment on the draft as a whole."))
    text = new.text.strip()
    if not text:
        raise ConsultationError("invalid", _("Write your comment."))
    if len(text) > MAX_COMMENT:
        raise ConsultationError("invalid", _("The comment is too long (at most %(max)d characters).")
                                % {"max": MAX_COMMENT})
    if (new.name.strip() or new.phone.strip()) and not new.consent:
        raise ConsultationError("consent", _("To leave your name or phone, agree that they are kept to tell you "
                                             "the outcome."))
    return text


def submit_comment(consultation: Consultation, new: NewComment, *, idempotency_key: str | None = None,
                   now: datetime.datetime | None = None) -> tuple[Comment, bool]:
    """A citizen's comment online (waits for moderation). A repeated idempotency key returns the first one."""
    if idempotency_key:
        existing = Comment.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing, False
    text = _check_comment(consultation, new)
    comment = Comment(
        consultation=consultation, article=new.article, text=text, channel=Comment.Channel.ONLINE,
        citizen_name=new.name.strip(), citizen_phone=new.phone.strip(), language=new.language,
        idempotency_key=idempotency_key or None, created_at=now or clock.now(),
    )
    try:
        with transaction.atomic():
            comment.save()
    except IntegrityError:
        existing = Comment.objects.filter(idempotency_key=idempotency_key).first() if idempotency_key else None
        if existing is not None:
            return existing, False
        raise
    return comment, True


def site_sessions(user: User, consultation: Consultation, station: Station | None = None) -> Any:
    from lianxin.activities.models import Activity, Kind

    sessions = Activity.objects.visible_to(user).filter(kind=Kind.LEGISLATION, station__consultations=consultation)
    if station is not None:
        sessions = sessions.filter(station=station)
    return sessions.select_related("station").order_by("-starts_at", "-id")


def new_session(user: User, consultation: Consultation, station: Station, *, title: str,
                starts_at: datetime.datetime, ends_at: datetime.datetime, request: Any = None) -> Any:
    """A site session (an activity of kind legislation) for this consultation, planned at ``station``."""
    from lianxin.activities.models import Kind
    from lianxin.activities.services import ActivityError, create_activity

    _require(can_enter(user))
    if not entry_stations(user, consultation).filter(pk=station.pk).exists():
        raise ConsultationError("not_allowed", _("This site does not take part in this consultation, "
                                                 "or is outside your area."))
    try:
        return create_activity(user, station=station, kind=Kind.LEGISLATION, title=title, starts_at=starts_at,
                               ends_at=ends_at, consultation=consultation, request=request)
    except ActivityError as error:
        raise ConsultationError(error.code, error.message) from None


def enter_site_comment(user: User, consultation: Consultation, new: NewComment, *, station: Station,
                       session: Any = None, request: Any = None) -> Comment:
    """A comment gathered in person at a site session, entered by staff (published at once)."""
    _require(can_enter(user))
    if not Consultation.objects.visible_to(user).filter(pk=consultation.pk).exists():
        raise ConsultationError("not_found", _("No such consultation in your area."))
    if not entry_stations(user, consultation).filter(pk=station.pk).exists():
        raise ConsultationError("not_allowed", _("This site does not take part in this consultation, "
                                                 "or is outside your area."))
    if session is not None and not site_sessions(user, consultation, station).filter(pk=session.pk).exists():
        raise ConsultationError("invalid", _("This session is not a legislative session at this site."))
    text = _check_comment(consultation, new)
    with transaction.atomic():
        comment = Comment.objects.create(
            consultation=consultation, article=new.article, text=text, channel=Comment.Channel.SITE,
            station=station, session=session, citizen_name=new.name.strip(), citizen_phone=new.phone.strip(),
            language=new.language, moderation=Comment.Moderation.APPROVED, entered_by=user, created_at=clock.now(),
        )
        log_action(user, "consultation.enter_comment", consultation,
                   {"comment": comment.pk, "station": station.pk, "session": getattr(session, "pk", None)}, request)
    return comment


# ---- moderation and adoption ---------------------------------------------------------------------


def moderate(user: User, consultation: Consultation, comment_ids: Iterable[int], decision: str,
             request: Any = None) -> int:
    """Approve or reject pending comments of ``consultation``; returns how many changed."""
    _require(can_organise(user))
    if decision not in (Comment.Moderation.APPROVED, Comment.Moderation.REJECTED):
        raise ConsultationError("invalid", _("Choose approve or reject."))
    ids = sorted({int(i) for i in comment_ids})
    if not ids:
        raise ConsultationError("invalid", _("Choose at least one comment."))
    with transaction.atomic():
        locked = _lock(user, consultation)
        found = set(Comment.objects.filter(consultation=locked, pk__in=ids).values_list("pk", flat=True))
        if found != set(ids):
            raise ConsultationError("not_found", _("Some of these comments are not part of this consultation."))
        changed = Comment.objects.filter(pk__in=ids, moderation=Comment.Moderation.PENDING).update(moderation=decision)
        if changed != len(ids):
            raise ConsultationError("wrong_state", _("Some of these comments were already moderated. Reload the page."))
        log_action(user, f"consultation.moderate.{decision}", locked, {"comments": ids}, request)
    return changed


def decide(user: User, comment: Comment | int, adoption: str, reason: str = "", request: Any = None) -> Comment:
    """Mark an approved comment adopted, partly adopted or not adopted (a reason is required then).

    The commenter, if they left a phone, is told by SMS once the transaction commits (only once).
    """
    _require(can_organise(user))
    decided = {Comment.Adoption.ADOPTED, Comment.Adoption.PARTLY, Comment.Adoption.NOT_ADOPTED}
    if adoption not in decided:
        raise ConsultationError("invalid", _("Choose adopted, partly adopted or not adopted."))
    reason = reason.strip()
    if adoption == Comment.Adoption.NOT_ADOPTED and not reason:
        raise ConsultationError("invalid", _("Give the reason why the comment is not adopted."))
    if len(reason) > 500:
        raise ConsultationError("invalid", _("The reason is too long (at most 500 characters)."))
    pk = comment.pk if isinstance(comment, Comment) else comment
    with transaction.atomic():
        row = Comment.objects.visible_to(user).filter(pk=pk).first()
        if row is None:
            raise ConsultationError("not_found", _("No such comment in your area."))
        locked = Comment.objects.select_for_update().select_related("consultation").get(pk=row.pk)
        if locked.moderation != Comment.Moderation.APPROVED:
            raise ConsultationError("wrong_state", _("Only published comments can be adopted or not."))
        if locked.consultation.status == Consultation.Status.DRAFT:
            raise ConsultationError("wrong_state", _("This consultation has not been opened."))
        before = locked.adoption
        locked.adoption, locked.adoption_reason, locked.decided_by = adoption, reason, user
        locked.save(update_fields=["adoption", "adoption_reason", "decided_by"])
        log_action(user, "consultation.decide", locked.consultation,
                   {"comment": locked.pk, "from": before, "to": adoption}, request)
        if locked.citizen_phone and locked.notified_at is None:
            from . import tasks

            comment_pk = locked.pk
            transaction.on_commit(lambda: tasks.notify_commenter(comment_pk))
    return locked


def adoption_message(comment: Comment) -> str:
    """The SMS text for the commenter (call inside ``translation.override(comment.language)``)."""
    where = comment.article.label if comment.article_id and comment.article else _("the draft as a whole")
    outcome = {
        Comment.Adoption.ADOPTED: _("was adopted"),
        Comment.Adoption.PARTLY: _("was partly adopted"),
        Comment.Adoption.NOT_ADOPTED: _("was not adopted"),
    }[Comment.Adoption(comment.adoption)]
    text = _("Thank you for your comment on %(where)s of “%(title)s”: it %(outcome)s.") % {
        "where": where, "title": comment.consultation.title, "outcome": outcome}
    if comment.adoption_reason:
        text += " " + _("Reason: %(reason)s") % {"reason": comment.adoption_reason}
    return text


def deliver_notification(comment_id: int) -> bool:
    """Send the adoption SMS once (raises on gateway failure, to be retried). True if sent."""
    from django.conf import settings
    from django.utils import translation

    from lianxin.core.sms import send_sms

    comment = Comment.objects.select_related("consultation", "article").filter(pk=comment_id).first()
    if comment is None or not comment.citizen_phone or comment.notified_at is not None or not comment.adoption:
        return False
    with translation.override(comment.language or settings.LANGUAGE_CODE):
        text = adoption_message(comment)
    send_sms(comment.citizen_phone, text)
    Comment.objects.filter(pk=comment.pk, notified_at__isnull=True).update(notified_at=clock.now())
    return True


# ---- figures -------------------------------------------------------------------------------------


def article_counts(consultation: Consultation) -> dict[int | None, dict[str, int]]:
    """Per article id (None: the draft as a whole): counts by moderation and adoption, in one query."""
    M, A = Comment.Moderation, Comment.Adoption
    rows = (Comment.objects.filter(consultation=consultation).values("article_id").annotate(
        total=Count("id"),
        pending=Count("id", filter=Q(moderation=M.PENDING)),
        approved=Count("id", filter=Q(moderation=M.APPROVED)),
        rejected=Count("id", filter=Q(moderation=M.REJECTED)),
        adopted=Count("id", filter=Q(moderation=M.APPROVED, adoption=A.ADOPTED)),
        partly=Count("id", filter=Q(moderation=M.APPROVED, adoption=A.PARTLY)),
        not_adopted=Count("id", filter=Q(moderation=M.APPROVED, adoption=A.NOT_ADOPTED)),
        online=Count("id", filter=Q(channel=Comment.Channel.ONLINE)),
        site=Count("id", filter=Q(channel=Comment.Channel.SITE)),
    ).order_by())
    return {row.pop("article_id"): row for row in rows}


EMPTY_COUNTS = dict.fromkeys(("total", "pending", "approved", "rejected", "adopted", "partly", "not_adopted",
                              "online", "site"), 0)


def totals(counts: dict[Any, dict[str, int]]) -> dict[str, int]:
    result = dict(EMPTY_COUNTS)
    for row in counts.values():
        for key in result:
            result[key] += row[key]
    return result


def public_figures(consultations: Iterable[Consultation]) -> dict[int, dict[str, int]]:
    """Approved / adopted / partly adopted counts per consultation (one query), for the public pages."""
    M, A = Comment.Moderation, Comment.Adoption
    rows = (Comment.objects.filter(consultation__in=[c.pk for c in consultations], moderation=M.APPROVED)
            .values("consultation_id").annotate(
                approved=Count("id"), adopted=Count("id", filter=Q(adoption=A.ADOPTED)),
                partly=Count("id", filter=Q(adoption=A.PARTLY)),
                decided=Count("id", filter=~Q(adoption=A.UNDECIDED))).order_by())
    return {row.pop("consultation_id"): row for row in rows}



# ---- the summary per article and its PDF ---------------------------------------------------------


def summary_data(consultation: Consultation) -> dict[str, Any]:
    """Articles with their counts, approved comments and sites, in a constant number of queries."""
    approved = (Comment.objects.filter(consultation=consultation, moderation=Comment.Moderation.APPROVED)
                .select_related("station").order_by("id"))
    articles = list(consultation.articles.prefetch_related(Prefetch("comments", queryset=approved,
                                                                     to_attr="approved")))
    counts = article_counts(consultation)
    whole = list(approved.filter(article__isnull=True))
    chapters: dict[str, list[DraftArticle]] = defaultdict(list)
    for article in articles:
        article.counts = counts.get(article.pk, EMPTY_COUNTS)  # type: ignore[attr-defined]
        article.sites = sorted({c.station.name for c in article.approved if c.station})  # type: ignore[attr-defined]
        chapters[article.chapter_title].append(article)
    return {
        "c": consultation, "articles": articles, "chapters": list(chapters.items()), "whole": whole,
        "whole_counts": counts.get(None, EMPTY_COUNTS), "totals": totals(counts),
        "whole_sites": sorted({c.station.name for c in whole if c.station}),
        "stations": list(consultation.stations.order_by("region_path", "code")),
    }


# A request still "in progress" after this long is taken as lost (the worker stopped): it may be made again.
PDF_STALE_AFTER = datetime.timedelta(minutes=10)


def request_summary_pdf(user: User, consultation: Consultation | int, language: str = "zh-hans",
                        request: Any = None) -> SummaryDocument:
    """Queue the PDF of the summary (made by ``tasks.build_summary_pdf``); one at a time per consultation."""
    from lianxin.core.documents import DocumentBusy, request_document

    from . import tasks

    with transaction.atomic():
        locked = _lock(user, consultation)  # also serialises two requests for the same consultation
        try:
            document = request_document(SummaryDocument, {"consultation": locked}, user, language,
                                        tasks.build_summary_pdf)
        except DocumentBusy:
            raise ConsultationError("busy", _("The PDF is already being prepared.")) from None
        log_action(user, "consultation.summary_pdf", locked, {"document": document.pk}, request)
    return document


def render_summary_pdf(consultation: Consultation, language: str) -> tuple[bytes, int]:
    """The PDF bytes of the printable summary and the comment count it was made from."""
    import weasyprint  # type: ignore[import-untyped]
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override(language):
        data = summary_data(consultation)
        html = render_to_string("legislation/staff/print.html", {**data, "pdf": True, "LANGUAGE_CODE": language})
    return weasyprint.HTML(string=html).write_pdf(), data["totals"]["total"]


def build_summary_pdf(document_id: int) -> bool:
    """Make the PDF of a queued request (the task's body). True when a new file was stored."""
    from lianxin.core.documents import build_document

    def render(document: SummaryDocument) -> tuple[bytes, dict[str, Any]]:
        pdf, comment_count = render_summary_pdf(document.consultation, document.language)
        return pdf, {"comment_count": comment_count}

    return build_document(SummaryDocument, document_id, render, "summary.pdf")

"""Who hears about a case event, and how: in-app notices and e-mail for staff, SMS for the citizen.

``event_created`` runs on commit of every transition and only queues the work; ``deliver`` runs
in the task queue's consumer. Every message is rendered in its recipient's language: the
opinion's ``language`` for the citizen, the account's language for staff. The SMS and e-mail
sends are tasks of their own, so a gateway failure is retried without repeating the in-app notices.

``muted()`` silences ``event_created`` (the demo loader replays thousands of transitions).
"""

from __future__ import annotations

import contextvars
import datetime
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.mail import send_mail
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lianxin.accounts.models import Role, User
from lianxin.core.sms import send_sms

from .models import Notification, Opinion, OpinionEvent, RejectReason, Satisfaction, Status

logger = logging.getLogger("lianxin.notify")

# Events the citizen is told about (by SMS when a phone is known); the public timeline shows them too.
CITIZEN_EVENTS = {"submit", "accept", "reject", "merge", "answer", "transfer", "reply", "rate", "close_lapsed"}

# Set while notifications are off (a context variable: per thread, restored on exit).
MUTED: contextvars.ContextVar[bool] = contextvars.ContextVar("lianxin_notifications_muted", default=False)

SMS_REPLY_CHARS = 120


@contextmanager
def muted() -> Iterator[None]:
    """No notifications for transitions committed inside this block (wrap the outermost atomic)."""
    token = MUTED.set(True)
    try:
        yield
    finally:
        MUTED.reset(token)


def event_created(event_id: int) -> None:
    if MUTED.get():
        return
    from .tasks import deliver_event

    deliver_event(event_id)


# ---- who ------------------------------------------------------------------------------------


def site_managers(opinion: Opinion) -> list[User]:
    if not opinion.station_id:
        return []
    return list(User.objects.filter(role=Role.SITE_MANAGER, stations=opinion.station_id, is_active=True))


def unit_staff(opinion: Opinion) -> list[User]:
    if not opinion.unit_id:
        return []
    return list(User.objects.filter(role=Role.UNIT_STAFF, unit_id=opinion.unit_id, is_active=True))


def area_admins(opinion: Opinion) -> list[User]:
    admins = User.objects.filter(
        role__in=[Role.DISTRICT_ADMIN, Role.CITY_ADMIN], is_active=True, region__isnull=False
    ).select_related("region")
    return [u for u in admins if opinion.region_path.startswith(u.region.path)]  # type: ignore[union-attr]


def staff_recipients(event: OpinionEvent) -> list[User]:
    opinion = event.opinion
    users: dict[int, User] = {}

    def add(found: Iterable[User]) -> None:
        users.update((u.pk, u) for u in found)

    if event.action in {"submit", "return_case", "rate", "request_extension", "reply"}:
        add(site_managers(opinion))
    if event.action == "submit" and opinion.deputy_id:
        add(User.objects.filter(role=Role.DEPUTY, deputy_id=opinion.deputy_id, is_active=True))
    if event.action in {"transfer", "escalate", "decide_extension", "rate"}:
        add(unit_staff(opinion))
    if event.action in {"escalate", "request_extension"}:
        add(area_admins(opinion))
    if event.actor_id:
        users.pop(event.actor_id, None)
    return list(users.values())


def deadline_recipients(opinion: Opinion) -> list[User]:
    """Who must act before the current deadline: the unit once transferred, else the site (else the area's admins)."""
    if opinion.status == Status.TRANSFERRED and opinion.unit_id:
        return unit_staff(opinion)
    return site_managers(opinion) or area_admins(opinion)


def user_language(user: User) -> str:
    # The account's chosen language (kept by the language switch), else the site's default.
    return user.language or settings.LANGUAGE_CODE


# ---- what -----------------------------------------------------------------------------------


def _day(value: object) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d") if value else ""  # type: ignore[arg-type]


STAFF_MESSAGES = {
    "submit": gettext_lazy("New opinion %(code)s “%(title)s” was submitted."),
    "accept": gettext_lazy("Case %(code)s “%(title)s” was accepted."),
    "reject": gettext_lazy("Case %(code)s “%(title)s” was not accepted."),
    "merge": gettext_lazy("Case %(code)s “%(title)s” was merged into another case."),
    "answer": gettext_lazy("Case %(code)s “%(title)s” was answered on the spot."),
    "transfer": gettext_lazy("Case %(code)s “%(title)s” was transferred to %(unit)s; reply by %(due)s."),
    "acknowledge": gettext_lazy("%(unit)s acknowledged receipt of case %(code)s “%(title)s”."),
    "reply": gettext_lazy("%(unit)s replied to case %(code)s “%(title)s”."),
    "return_case": gettext_lazy("Case %(code)s “%(title)s” was returned as wrongly routed; please route it again."),
    "request_extension": gettext_lazy("%(unit)s asks for more time on case %(code)s “%(title)s”."),
    "escalate": gettext_lazy("Case %(code)s “%(title)s” is under supervision (督办): it is overdue, please act now."),
    "close_lapsed": gettext_lazy("Case %(code)s “%(title)s” was closed: the rating window lapsed."),
}
EXTENSION_APPROVED = gettext_lazy("The extension for case %(code)s “%(title)s” was approved; new deadline %(due)s.")
EXTENSION_DENIED = gettext_lazy("The extension for case %(code)s “%(title)s” was denied; the deadline stays %(due)s.")
RATED = gettext_lazy("The citizen rated case %(code)s “%(title)s”: %(satisfaction)s.")
REOPENED = gettext_lazy("Case %(code)s “%(title)s” was reopened after an unsatisfied rating; reply by %(due)s.")
UPDATED = gettext_lazy("Case %(code)s “%(title)s” was updated.")
DUE_SOON = gettext_lazy("Case %(code)s “%(title)s” is due on %(due)s; please act before the deadline.")


def _facts(opinion: Opinion, event: OpinionEvent | None = None) -> dict[str, str]:
    """Placeholders of the messages. Delivery runs later than the event: the event's own unit and
    deadline (in its data) win over the case's current ones."""
    unit = opinion.unit if opinion.unit_id else None
    due: object = opinion.due_at
    if event is not None:
        if event.unit_id:
            unit = event.unit
        if (event.data or {}).get("due"):
            due = datetime.datetime.fromisoformat(event.data["due"])
    return {
        "code": opinion.tracking_code,
        "title": opinion.title[:40],
        "unit": unit.name if unit is not None else "",
        "due": _day(due),
    }


def staff_message(event: OpinionEvent) -> str:
    """One translated sentence per action, in the active language."""
    facts = _facts(event.opinion, event)
    data = event.data or {}
    if event.action == "decide_extension":
        template = EXTENSION_APPROVED if data.get("approved") else EXTENSION_DENIED
    elif event.action == "rate":
        if data.get("reopened"):
            template = REOPENED
        else:
            template = RATED
            facts["satisfaction"] = str(Satisfaction(data["satisfaction"]).label) if data.get("satisfaction") else ""
    else:
        template = STAFF_MESSAGES.get(event.action, UPDATED)
    return str(template) % facts


def citizen_message(event: OpinionEvent) -> str:
    """The SMS text for the citizen (active language); empty when the event is not told."""
    opinion = event.opinion
    data = event.data or {}
    code = opinion.tracking_code
    action = event.action
    if action == "submit":
        return _(
            "Your opinion has been received. Tracking code %(code)s: with the last four digits of your phone "
            "you can follow it online."
        ) % {"code": code}
    if action == "accept":
        site = opinion.station.name if opinion.station_id else ""  # type: ignore[union-attr]
        return _("Your opinion %(code)s has been accepted by %(site)s.") % {"code": code, "site": site}
    if action == "reject":
        reason = data.get("reason", "")
        label = str(RejectReason(reason).label) if reason in RejectReason.values else ""
        text = _("Your opinion %(code)s cannot be accepted: %(reason)s.") % {"code": code, "reason": label}
        return f"{text} {event.public_note}".strip()
    if action == "merge":
        return _(
            "Your opinion %(code)s is handled together with case %(into)s, raised by others too; you will be "
            "told of its outcome."
        ) % {"code": code, "into": data.get("into", "")}
    if action == "transfer":
        return _("Your opinion %(code)s has been passed to %(unit)s, to be answered by %(due)s.") % _facts(
            opinion, event
        )
    if action in {"reply", "answer"}:
        answer = event.public_note or opinion.reply
        if len(answer) > SMS_REPLY_CHARS:
            answer = answer[: SMS_REPLY_CHARS - 1] + "…"
        return _("Your opinion %(code)s has been answered: %(reply)s Please rate the outcome online.") % {
            "code": code, "reply": answer,
        }
    if action == "rate" and data.get("reopened"):
        return _("Your opinion %(code)s has been reopened and passed back to %(unit)s.") % _facts(opinion, event)
    if action in {"rate", "close_lapsed"}:
        return _("Your opinion %(code)s is closed. Thank you for taking part.") % {"code": code}
    return ""


# ---- how ------------------------------------------------------------------------------------


def _case_link(user: User, opinion: Opinion) -> str:
    name = "opinions:inbox_case" if user.role == Role.UNIT_STAFF else "opinions:detail"
    try:
        return settings.PUBLIC_BASE_URL + reverse(name, args=[opinion.pk])
    except NoReverseMatch:
        return ""


def notify_staff(users: Iterable[User], opinion: Opinion, render: Callable[[], str]) -> int:
    """In-app notice for each user (rendered in the user's language) and an e-mail where an address is known."""
    from .tasks import send_staff_email

    rows = []
    mails = []
    for user in users:
        with translation.override(user_language(user)):
            message = render()[:300]
            if user.email:
                link = _case_link(user, opinion)
                subject = " ".join(message.split())[:120]  # a header: no line breaks
                mails.append((user.email, subject, f"{message}\n\n{link}".strip()))
        rows.append(Notification(user=user, opinion=opinion, message=message))
    Notification.objects.bulk_create(rows)
    for address, subject, body in mails:
        send_staff_email(address, subject, body)
    return len(rows)


def deliver(event_id: int) -> None:
    event = OpinionEvent.objects.select_related("opinion__unit", "opinion__station", "unit").get(pk=event_id)
    notify_staff(staff_recipients(event), event.opinion, lambda: staff_message(event))
    if event.action in CITIZEN_EVENTS and event.opinion.citizen_phone:
        from .tasks import send_citizen_sms

        send_citizen_sms(event.pk)


def deliver_sms(event_id: int) -> None:
    """Render the event's SMS in the citizen's language and send it (raises to be retried)."""
    event = OpinionEvent.objects.select_related("opinion__unit", "opinion__station", "unit").get(pk=event_id)
    opinion = event.opinion
    if not opinion.citizen_phone:
        return
    with translation.override(opinion.language or settings.LANGUAGE_CODE):
        text = citizen_message(event)
    if text:
        send_sms(opinion.citizen_phone, text)


def deliver_email(address: str, subject: str, body: str) -> None:
    send_mail(subject, body, None, [address], fail_silently=False)


def deadline_warning(opinion: Opinion) -> int:
    """Tell whoever must act that the case's deadline is near (the sweeper calls this once per deadline)."""
    facts = _facts(opinion)
    return notify_staff(deadline_recipients(opinion), opinion, lambda: str(DUE_SOON) % facts)

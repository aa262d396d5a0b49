"""Who hears about a case event, and how: in-app notices for staff, SMS/e-mail for the citizen.

``event_created`` runs on commit of every transition and only queues the work; ``deliver`` runs
in the task queue's consumer.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from lianxin.accounts.models import Role, User

from .models import Notification, OpinionEvent

# Events the citizen is told about (by SMS when a phone is known).
CITIZEN_EVENTS = {"submit", "accept", "reject", "merge", "answer", "transfer", "reply", "rate", "close_lapsed"}


def event_created(event_id: int) -> None:
    from .tasks import deliver_event

    deliver_event(event_id)


def staff_recipients(event: OpinionEvent) -> list[User]:
    opinion = event.opinion
    users: dict[int, User] = {}
    if event.action in {"submit", "return_case", "rate", "request_extension"} and opinion.station_id:
        for user in User.objects.filter(role=Role.SITE_MANAGER, stations=opinion.station_id, is_active=True):
            users[user.pk] = user
    if event.action in {"transfer", "escalate", "decide_extension", "rate"} and opinion.unit_id:
        for user in User.objects.filter(role=Role.UNIT_STAFF, unit_id=opinion.unit_id, is_active=True):
            users[user.pk] = user
    if event.action in {"escalate", "request_extension"}:
        for user in User.objects.filter(role__in=[Role.DISTRICT_ADMIN, Role.CITY_ADMIN], is_active=True):
            if user.region and opinion.region_path.startswith(user.region.path):
                users[user.pk] = user
    if event.actor_id:
        users.pop(event.actor_id, None)
    return list(users.values())


def staff_message(event: OpinionEvent) -> str:
    opinion = event.opinion
    return _("Case %(code)s “%(title)s”: %(action)s") % {
        "code": opinion.tracking_code, "title": opinion.title[:40], "action": event.action,
    }


def deliver(event_id: int) -> None:
    event = OpinionEvent.objects.select_related("opinion").get(pk=event_id)
    for user in staff_recipients(event):
        with translation.override(user_language(user)):
            Notification.objects.create(user=user, opinion=event.opinion, message=staff_message(event)[:300])


def user_language(user: User) -> str:
    return "zh-hans"

"""Activities' life cycle: planned → published → held (minutes and attendance) or cancelled.

One function per step, used by the pages, the API, the reception scheduler, supervision and
legislation alike: permission and scope check, row lock, the change, an audit entry — in one
transaction. Errors are ``ActivityError(code, message)`` with a message in the user's language;
nothing changes when one is raised.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from lianxin.accounts.audit import log_action
from lianxin.accounts.models import Role, User
from lianxin.core import clock
from lianxin.deputies.models import Assignment, Deputy
from lianxin.stations.models import Station

from .models import Activity, ActivityFile, Attendance, Kind

# Who organises activities at a site: its managers, and the congress staff of its area.
ORGANISERS = frozenset({Role.SITE_MANAGER, Role.DISTRICT_ADMIN, Role.CITY_ADMIN})


class ActivityError(Exception):
    def __init__(self, code: str, message: Any) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message


def can_organise(user: User, station: Station | None = None) -> bool:
    if not user.is_authenticated:
        return False
    if not (user.is_superuser or user.role in ORGANISERS):
        return False
    return station is None or Station.objects.visible_to(user).filter(pk=station.pk).exists()


def _require_organiser(user: User, station: Station) -> None:
    if not can_organise(user, station):
        raise ActivityError("not_allowed", _("You may not organise activities at this site."))


def _lock(user: User, activity: Activity | int) -> Activity:
    pk = activity.pk if isinstance(activity, Activity) else activity
    found = (Activity.objects.visible_to(user).select_for_update(of=("self",)).select_related("station")
             .filter(pk=pk).first())
    if found is None:
        raise ActivityError("not_found", _("No such activity in your area."))
    _require_organiser(user, found.station)
    return found


def group_deputies(station: Station) -> list[Deputy]:
    """The deputies currently assigned to the site (its mixed group)."""
    ids = Assignment.objects.current().filter(station=station).values("deputy_id")
    return list(Deputy.objects.filter(pk__in=ids, active=True).order_by("name", "id"))


@dataclass(frozen=True)
class Times:
    starts_at: datetime.datetime
    ends_at: datetime.datetime

    def check(self) -> None:
        if self.ends_at <= self.starts_at:
            raise ActivityError("invalid", _("An activity must end after it starts."))
        if self.ends_at - self.starts_at > datetime.timedelta(days=7):
            raise ActivityError("invalid", _("An activity lasts at most seven days."))


def create_activity(
    user: User,
    *,
    station: Station,
    kind: str,
    title: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    description: str = "",
    place: str = "",
    deputies: Iterable[Deputy] = (),
    on_duty: Iterable[Deputy] = (),
    publish: bool = False,
    schedule: Any = None,
    topic: Any = None,
    consultation: Any = None,
    request: Any = None,
    now: datetime.datetime | None = None,
) -> Activity:
    """Plan an activity at a site, with the deputies expected (``on_duty``: those on the reception rota)."""
    now = now or clock.now()
    _require_organiser(user, station)
    if kind not in Kind.values:
        raise ActivityError("invalid", _("Choose the kind of activity."))
    title = title.strip()
    if not title:
        raise ActivityError("invalid", _("Give the activity a title."))
    Times(starts_at, ends_at).check()
    if station.status != Station.Status.ACTIVE:
        raise ActivityError("invalid", _("This site is not active."))
    expected = {d.pk: d for d in deputies}
    duty = {d.pk for d in on_duty}
    expected.update({d.pk: d for d in on_duty})
    with transaction.atomic():
        activity = Activity.objects.create(
            station=station, kind=kind, title=title, description=description.strip(),
            place=place.strip() or station.address, starts_at=starts_at, ends_at=ends_at,
            schedule=schedule, topic=topic, consultation=consultation, created_by=user,
            created_at=now, updated_at=now,
        )
        Attendance.objects.bulk_create(
            [Attendance(activity=activity, deputy_id=pk, expected=True, on_duty=pk in duty) for pk in expected]
        )
        log_action(user, "activity.create", activity, {"kind": kind, "deputies": sorted(expected)}, request)
        if publish:
            _publish(activity, user, now, request)
    return activity


def _publish(activity: Activity, user: User | None, now: datetime.datetime, request: Any = None) -> None:
    activity.status = Activity.Status.PUBLISHED
    activity.published_at = now
    activity.updated_at = now
    activity.save(update_fields=["status", "published_at", "updated_at"])
    if user is not None:
        log_action(user, "activity.publish", activity, {}, request)


def publish(user: User, activity: Activity | int, *, request: Any = None,
            now: datetime.datetime | None = None) -> Activity:
    """Make a planned activity public (the site page, the calendar feed, bookings for reception days)."""
    now = now or clock.now()
    with transaction.atomic():
        locked = _lock(user, activity)
        if locked.status != Activity.Status.PLANNED:
            raise ActivityError("wrong_state", _("Only a planned activity can be published."))
        _publish(locked, user, now, request)
    return locked


@dataclass(frozen=True)
class Presence:
    """What was recorded for one deputy at a held activity."""

    deputy_id: int
    attended: bool
    arrived_at: datetime.datetime | None = None
    left_at: datetime.datetime | None = None
    note: str = ""


def hold(user: User, activity: Activity | int, *, minutes: str, citizens_received: int,
         attendance: Iterable[Presence], request: Any = None, now: datetime.datetime | None = None) -> Activity:
    """Close an activity as held, as a meeting report: minutes and the attendance of the deputies are required.

    Deputies who came without being expected are added (``expected=False``); arrival and departure
    times, when given, must lie in order ("signed in and left" stays visible).
    """
    now = now or clock.now()
    minutes = minutes.strip()
    if not minutes:
        raise ActivityError("invalid", _("Write the minutes before closing the activity as held."))
    if citizens_received < 0:
        raise ActivityError("invalid", _("The number of citizens received cannot be negative."))
    presence = {p.deputy_id: p for p in attendance}
    if not presence:
        raise ActivityError("invalid", _("Record the attendance of the deputies before closing the activity."))
    for p in presence.values():
        if p.arrived_at and p.left_at and p.left_at < p.arrived_at:
            raise ActivityError("invalid", _("A deputy cannot leave before arriving."))
        if not p.attended and (p.arrived_at or p.left_at):
            raise ActivityError("invalid", _("Arrival and departure times are only for deputies who came."))
    with transaction.atomic():
        locked = _lock(user, activity)
        if locked.status not in (Activity.Status.PLANNED, Activity.Status.PUBLISHED):
            raise ActivityError("wrong_state", _("This activity is already closed."))
        if locked.starts_at > now:
            raise ActivityError("invalid", _("An activity can be closed as held only after it has started."))
        rows = {a.deputy_id: a for a in locked.attendances.all()}
        unknown = set(presence) - set(rows)
        if unknown:
            known = set(Deputy.objects.filter(pk__in=unknown, active=True).values_list("pk", flat=True))
            if known != unknown:
                raise ActivityError("invalid", _("Unknown deputy in the attendance."))
        for deputy_id, p in presence.items():
            row = rows.get(deputy_id) or Attendance(activity=locked, deputy_id=deputy_id, expected=False)
            row.attended, row.arrived_at, row.left_at, row.note = p.attended, p.arrived_at, p.left_at, p.note[:200]
            row.save()
        locked.minutes = minutes
        locked.citizens_received = citizens_received
        locked.status = Activity.Status.HELD
        locked.held_at = now
        locked.updated_at = now
        locked.save(update_fields=["minutes", "citizens_received", "status", "held_at", "updated_at"])
        log_action(user, "activity.hold", locked, {
            "citizens_received": citizens_received,
            "attended": sorted(d for d, p in presence.items() if p.attended),
        }, request)
    return locked


def cancel(user: User, activity: Activity | int, *, reason: str, request: Any = None,
           now: datetime.datetime | None = None) -> Activity:
    now = now or clock.now()
    reason = reason.strip()
    if not reason:
        raise ActivityError("invalid", _("Give a reason for cancelling."))
    with transaction.atomic():
        locked = _lock(user, activity)
        if locked.status not in (Activity.Status.PLANNED, Activity.Status.PUBLISHED):
            raise ActivityError("wrong_state", _("This activity is already closed."))
        locked.status = Activity.Status.CANCELLED
        locked.cancel_reason = reason[:200]
        locked.cancelled_at = now
        locked.updated_at = now
        locked.save(update_fields=["status", "cancel_reason", "cancelled_at", "updated_at"])
        log_action(user, "activity.cancel", locked, {"reason": reason[:200]}, request)
    return locked


# ---- editing, files, reading ----------------------------------------------------------------------

EDITABLE = (Activity.Status.PLANNED, Activity.Status.PUBLISHED)


def _check_group(station: Station, deputies: Iterable[Deputy], keep: Iterable[int] = ()) -> dict[int, Deputy]:
    """The deputies chosen, each of whom must belong to the site's group (or already be expected)."""
    chosen = {d.pk: d for d in deputies}
    allowed = {d.pk for d in group_deputies(station)} | set(keep)
    if set(chosen) - allowed:
        raise ActivityError("invalid", _("Only deputies of this site's group can be expected."))
    return chosen


def update_activity(
    user: User,
    activity: Activity | int,
    *,
    kind: str,
    title: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    description: str = "",
    place: str = "",
    deputies: Iterable[Deputy] = (),
    request: Any = None,
    now: datetime.datetime | None = None,
) -> Activity:
    """Change a planned or published activity: its kind, title, times, place, description, expected deputies."""
    now = now or clock.now()
    if kind not in Kind.values:
        raise ActivityError("invalid", _("Choose the kind of activity."))
    title = title.strip()
    if not title:
        raise ActivityError("invalid", _("Give the activity a title."))
    Times(starts_at, ends_at).check()
    deputies = list(deputies)
    with transaction.atomic():
        locked = _lock(user, activity)
        if locked.status not in EDITABLE:
            raise ActivityError("wrong_state", _("A held or cancelled activity can no longer be changed."))
        rows = {a.deputy_id: a for a in locked.attendances.all()}
        chosen = _check_group(locked.station, deputies, keep=rows)
        old = {"kind": locked.kind, "title": locked.title, "starts_at": locked.starts_at.isoformat(),
               "ends_at": locked.ends_at.isoformat(), "place": locked.place, "description": locked.description}
        locked.kind, locked.title = kind, title
        locked.starts_at, locked.ends_at = starts_at, ends_at
        locked.place = place.strip() or locked.station.address
        locked.description = description.strip()
        locked.updated_at = now
        locked.save(update_fields=["kind", "title", "starts_at", "ends_at", "place", "description", "updated_at"])
        new = {"kind": kind, "title": title, "starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat(),
               "place": locked.place, "description": locked.description}
        removed = sorted(set(rows) - set(chosen))
        added = sorted(set(chosen) - set(rows))
        if removed:
            Attendance.objects.filter(activity=locked, deputy_id__in=removed).delete()
        if added:
            Attendance.objects.bulk_create([Attendance(activity=locked, deputy_id=pk, expected=True) for pk in added])
        changes: dict[str, Any] = {k: {"old": old[k], "new": new[k]} for k in new if old[k] != new[k]}
        if added or removed:
            changes["deputies"] = {"added": added, "removed": removed}
        log_action(user, "activity.update", locked, changes, request)
    return locked


# Files: photos by their magic bytes (the opinions' check), documents by theirs.
DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024
DOCUMENT_TYPES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"PK\x03\x04", "application/zip", "zip"),  # .docx / .xlsx / .pptx are zip containers
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/msword", "doc"),  # legacy Office files
)
OFFICE_SUFFIXES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                   "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation"}
LEGACY_SUFFIXES = {"doc": "application/msword", "xls": "application/vnd.ms-excel",
                   "ppt": "application/vnd.ms-powerpoint"}


def max_file_bytes() -> int:
    from django.conf import settings

    return int(getattr(settings, "ACTIVITY_FILE_MAX_BYTES", DEFAULT_MAX_FILE_BYTES))


def sniff_file(head: bytes, name: str) -> tuple[str, str, bool] | None:
    """(content type, extension, is a photo) from the first bytes; None for anything else."""
    from lianxin.opinions.attachments import sniff_image

    image = sniff_image(head)
    if image is not None:
        return image[0], image[1], True
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    for magic, content_type, ext in DOCUMENT_TYPES:
        if head.startswith(magic):
            if ext == "zip":
                if suffix in OFFICE_SUFFIXES:
                    return OFFICE_SUFFIXES[suffix], suffix, False
                return None  # an arbitrary archive is not an attachment we keep
            if ext == "doc":
                return LEGACY_SUFFIXES.get(suffix, content_type), suffix if suffix in LEGACY_SUFFIXES else "doc", False
            return content_type, ext, False
    return None


def add_file(user: User, activity: Activity | int, upload: Any, *, request: Any = None,
             now: datetime.datetime | None = None) -> ActivityFile:
    """Attach a photo (JPEG, PNG, WebP) or a document (PDF, Word, Excel, PowerPoint), checked by its bytes."""
    import secrets as _secrets

    now = now or clock.now()
    name = str(getattr(upload, "name", "") or "file")[:200]
    limit = max_file_bytes()
    if (upload.size or 0) > limit:
        raise ActivityError("invalid", _("The file “%(name)s” is larger than %(mb)s MB.")
                            % {"name": name, "mb": limit // (1024 * 1024)})
    if not upload.size:
        raise ActivityError("invalid", _("The file “%(name)s” is empty.") % {"name": name})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    kind = sniff_file(head, name)
    if kind is None:
        raise ActivityError("invalid", _("The file “%(name)s” is not a photo (JPEG, PNG, WebP) or a document "
                                         "(PDF, Word, Excel, PowerPoint).") % {"name": name})
    content_type, ext, is_photo = kind
    with transaction.atomic():
        locked = _lock(user, activity)
        if locked.status == Activity.Status.CANCELLED:
            raise ActivityError("wrong_state", _("A cancelled activity takes no files."))
        upload.name = f"{_secrets.token_hex(8)}.{ext}"  # the sender's file name may carry personal data
        stored = ActivityFile.objects.create(
            activity=locked, file=upload, name=name, content_type=content_type, size=upload.size or 0,
            is_photo=is_photo, uploaded_by=user, uploaded_at=now,
        )
        log_action(user, "activity.file", locked, {"file": stored.pk, "name": name, "size": stored.size}, request)
    return stored


def remove_file(user: User, activity: Activity | int, file_id: int, *, request: Any = None) -> None:
    with transaction.atomic():
        locked = _lock(user, activity)
        found = ActivityFile.objects.filter(activity=locked, pk=file_id).first()
        if found is None:
            raise ActivityError("not_found", _("No such file."))
        name = found.name
        found.file.delete(save=False)
        found.delete()
        log_action(user, "activity.file_remove", locked, {"file": file_id, "name": name}, request)


def left_early(attendance: Attendance, activity: Activity) -> bool:
    """Signed in, then left before the activity ended."""
    return bool(attendance.attended and attendance.left_at and attendance.left_at < activity.ends_at)


def can_view(user: User) -> bool:
    """Who has the activity pages at all: organisers and deputies (read-only)."""
    return bool(user.is_authenticated and (user.is_superuser or user.role in ORGANISERS or user.role == Role.DEPUTY))

"""Site activities (代表进站活动) for staff: the list and one activity, within the caller's scope.

Reads go through ``Activity.objects.visible_to(user)``: an activity outside the scope answers 404.
Organisers and deputies (their sites' activities) may read; other roles get ``not_allowed`` (403).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, TypeAlias

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from lianxin.activities.forms import day_start
from lianxin.activities.models import Activity, Attendance, Kind
from lianxin.activities.services import can_view, left_early
from lianxin.core.pagination import keyset_page
from lianxin.regions.models import Region, subtree_q
from lianxin.stations.models import Station

from .auth import auth_user, staff_auth
from .common import PageParams, choice, invalid, region_filter
from .opinions import ApiError, InvalidError

router = Router(tags=["activities"], auth=staff_auth)

if TYPE_CHECKING:
    ActivityKind: TypeAlias = str
    ActivityStatus: TypeAlias = str
else:
    ActivityKind = choice(Kind)
    ActivityStatus = choice(Activity.Status)

ORDER = ("-starts_at", "-id")


class SiteRef(Schema):
    code: str
    name: str


class ActivityOut(Schema):
    id: int
    site: SiteRef
    kind: str
    kind_label: str
    title: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    place: str
    status: str
    status_label: str
    citizens_received: int

    @staticmethod
    def resolve_site(obj: Activity) -> dict[str, str]:
        return {"code": obj.station.code, "name": obj.station.name}

    @staticmethod
    def resolve_kind_label(obj: Activity) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_status_label(obj: Activity) -> str:
        return str(obj.get_status_display())


class ActivityPage(Schema):
    items: list[ActivityOut]
    next_cursor: str | None


class AttendanceOut(Schema):
    deputy_id: int
    deputy_name: str
    expected: bool
    on_duty: bool
    attended: bool | None = Field(..., description="null: not recorded yet.")
    arrived_at: datetime.datetime | None
    left_at: datetime.datetime | None
    minutes_present: int | None
    left_early: bool = Field(..., description="Signed in, then left before the activity ended.")
    note: str

    @staticmethod
    def resolve_deputy_name(obj: Attendance) -> str:
        return obj.deputy.name

    @staticmethod
    def resolve_left_early(obj: Attendance) -> bool:
        return left_early(obj, obj.activity)


class FileOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    is_photo: bool
    uploaded_at: datetime.datetime


class ActivityDetail(ActivityOut):
    description: str
    minutes: str
    cancel_reason: str
    created_at: datetime.datetime
    published_at: datetime.datetime | None
    held_at: datetime.datetime | None
    cancelled_at: datetime.datetime | None
    attendance: list[AttendanceOut]
    files: list[FileOut]

    @staticmethod
    def resolve_attendance(obj: Activity) -> list[Attendance]:
        return list(obj.attendances.all())

    @staticmethod
    def resolve_files(obj: Activity) -> list[Any]:
        return list(obj.files.all())


class ActivityFilters(PageParams):
    site: str | None = Field(None, description="A site's code.")
    region: str | None = Field(None, description="Division code: activities at sites in this region and below.")
    kind: ActivityKind | None = None
    status: ActivityStatus | None = None
    since: datetime.date | None = Field(None, description="Starting on or after this day.")
    until: datetime.date | None = Field(None, description="Starting on or before this day.")
    deputy: int | None = Field(None, description="A deputy's id: activities the deputy was expected at or came to.")
    q: str | None = Field(None, max_length=50, description="Words in the title.")


def _refused() -> Status:
    return Status(403, {"code": "not_allowed", "message": _("Your account has no access to site activities.")})


@router.get("/activities", response={200: ActivityPage, 403: ApiError, 422: InvalidError}, summary="Activities")
def list_activities(request: Any, filters: Query[ActivityFilters]) -> Any:
    """Activities in the caller's scope, newest first, a page at a time (keyset: pass `next_cursor` on)."""
    user = auth_user(request)
    if not can_view(user):
        return _refused()
    qs = Activity.objects.visible_to(user).select_related("station").defer("minutes", "description")
    if filters.site:
        station = Station.objects.visible_to(user).filter(code=filters.site).first()
        if station is None:
            raise invalid("site", _("There is no site with the code “%(code)s”.") % {"code": filters.site})
        qs = qs.filter(station=station)
    if filters.region:
        region = region_filter(Region.objects.visible_to(user), filters.region)
        qs = qs.filter(subtree_q("region_path", region.path))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.since and filters.until and filters.until < filters.since:
        raise invalid("until", _("The end of the date range is before its start."))
    if filters.since:
        qs = qs.filter(starts_at__gte=day_start(filters.since))
    if filters.until:
        qs = qs.filter(starts_at__lt=day_start(filters.until + datetime.timedelta(days=1)))
    if filters.deputy:
        qs = qs.filter(attendances__deputy_id=filters.deputy)
    if filters.q:
        for word in filters.q.split():
            qs = qs.filter(title__icontains=word)
    page = keyset_page(qs, ORDER, filters.cursor, filters.limit)
    return {"items": page.rows, "next_cursor": page.next_cursor}


@router.get("/activities/{activity_id}", response={200: ActivityDetail, 403: ApiError, 404: ApiError},
            summary="An activity")
def get_activity(request: Any, activity_id: int) -> Any:
    """One activity with its attendance (arrival, departure, minutes present, left early) and files."""
    user = auth_user(request)
    if not can_view(user):
        return _refused()
    attendance = Attendance.objects.select_related("deputy").order_by("-expected", "deputy__name", "id")
    return get_object_or_404(
        Activity.objects.visible_to(user).select_related("station")
        .prefetch_related(Prefetch("attendances", queryset=attendance), "files"),
        pk=activity_id,
    )

"""Activities of deputies at the sites (代表进站活动), reception days (接待日) and citizens' appointments.

An ``Activity`` belongs to a site and has a kind; its life cycle is planned → published → held (with
minutes and attendance, as a meeting report) or cancelled with a reason. A reception day is an
activity of kind ``reception``, usually made from a site's ``ReceptionSchedule`` (a recurring rule
with a rota of deputies); citizens book its ``ReceptionSlot``s as ``Appointment``s.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lianxin.core import clock
from lianxin.core.codes import READABLE_ALPHABET, readable_code
from lianxin.core.contact import CitizenContact
from lianxin.core.fields import EncryptedTextField

if TYPE_CHECKING:
    from lianxin.accounts.models import User

BOOKING_ALPHABET = READABLE_ALPHABET


def new_booking_code() -> str:
    return readable_code(8)


class Kind(models.TextChoices):
    RECEPTION = "reception", _("Receiving citizens")
    SUPERVISION = "supervision", _("Thematic supervision")
    LEGISLATION = "legislation", _("Legislative consultation")
    INSPECTION = "inspection", _("Inspection or research")
    PUBLICITY = "publicity", _("Publicity")
    TRAINING = "training", _("Training")
    GROUP_MEETING = "group_meeting", _("Group meeting")
    OTHER = "other", _("Other")


class ActivityQuerySet(models.QuerySet["Activity"]):
    def visible_to(self, user: User) -> ActivityQuerySet:
        """Admins their area; site managers their sites; deputies their sites' activities and those they attend."""
        from lianxin.accounts.scope import scope_filter
        from lianxin.deputies.models import Assignment
        from lianxin.regions.models import subtree_q

        def for_deputy(deputy_user: User) -> ActivityQuerySet:
            if not deputy_user.deputy_id:
                return self.none()
            my_sites = Assignment.objects.current().filter(deputy_id=deputy_user.deputy_id).values("station_id")
            mine = Attendance.objects.filter(deputy_id=deputy_user.deputy_id).values("activity_id")
            return self.filter(Q(station_id__in=my_sites) | Q(pk__in=mine))

        return scope_filter(  # type: ignore[return-value]
            self, user, area=lambda region: self.filter(subtree_q("region_path", region.path)),
            site_manager=lambda manager: self.filter(station__managers=manager),
            deputy=for_deputy,
        )

    def public(self) -> ActivityQuerySet:
        """What the public side may show: published or held, at an active site."""
        return self.filter(status__in=[Activity.Status.PUBLISHED, Activity.Status.HELD],
                           station__status="active")


class Activity(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        PUBLISHED = "published", _("Published")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    station = models.ForeignKey(
        "stations.Station", verbose_name=_("site"), on_delete=models.PROTECT, related_name="activities"
    )
    # Copy of station.region_path (kept by save): area filters and scoping without a join.
    region_path = models.CharField(max_length=255, editable=False, default="")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    # Filled when it is held (a meeting report): what happened, how many citizens came.
    minutes = models.TextField(_("minutes"), blank=True)
    citizens_received = models.PositiveIntegerField(_("citizens received"), default=0)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    # A reception day made from a schedule (the rule that produced it), a supervision visit's topic,
    # a legislative session's consultation: set by the feature that made the activity.
    schedule = models.ForeignKey(
        "activities.ReceptionSchedule", verbose_name=_("reception schedule"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="activities",
    )
    topic = models.ForeignKey(
        "supervision.Topic", verbose_name=_("supervision topic"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="activities",
    )
    consultation = models.ForeignKey(
        "legislation.Consultation", verbose_name=_("consultation"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="activities",
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=clock.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=clock.now, editable=False)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    held_at = models.DateTimeField(_("closed as held"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["region_path", "starts_at", "id"], name="activity_area_idx"),
            models.Index(fields=["station", "starts_at"], name="activity_station_idx"),
            models.Index(fields=["kind", "starts_at"], name="activity_kind_idx"),
            models.Index(fields=["status", "starts_at"], name="activity_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="activity_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        fields = kwargs.get("update_fields")
        if fields is None or "station" in fields:
            self.region_path = self.station.region_path
            if fields is not None:
                kwargs["update_fields"] = {*fields, "region_path"}
        super().save(*args, **kwargs)


class Attendance(models.Model):
    """A deputy expected at an activity, and whether (and when) the deputy came and left."""

    activity = models.ForeignKey(Activity, verbose_name=_("activity"), on_delete=models.CASCADE,
                                 related_name="attendances")
    deputy = models.ForeignKey("deputies.Deputy", verbose_name=_("deputy"), on_delete=models.PROTECT,
                               related_name="attendances")
    expected = models.BooleanField(_("expected"), default=True)
    on_duty = models.BooleanField(_("on duty (rota)"), default=False)
    attended = models.BooleanField(_("attended"), null=True, blank=True)  # None: not recorded yet
    arrived_at = models.DateTimeField(_("arrived"), null=True, blank=True)
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["activity_id", "id"]
        constraints = [models.UniqueConstraint(fields=["activity", "deputy"], name="attendance_unique")]
        indexes = [models.Index(fields=["deputy", "activity"], name="attendance_deputy_idx")]

    def __str__(self) -> str:
        return f"{self.deputy_id} @ {self.activity_id}"

    @property
    def minutes_present(self) -> int | None:
        if self.arrived_at and self.left_at:
            return max(0, int((self.left_at - self.arrived_at).total_seconds() // 60))
        return None


def activity_file_path(instance: ActivityFile, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"activities/{instance.activity_id}/{secrets.token_hex(8)}.{suffix}"


class ActivityFile(models.Model):
    """A photo or a document of an activity (sign-in sheet, minutes as signed, slides …)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(_("file"), upload_to=activity_file_path)
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(default=0)
    is_photo = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    uploaded_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("activity file")
        verbose_name_plural = _("activity files")
        ordering = ["activity_id", "id"]

    def __str__(self) -> str:
        return self.name


class ReceptionSchedule(models.Model):
    """A site's recurring reception day, e.g. the first Friday of each month, 15:00–17:00.

    ``nth`` counts the weekday within the month (1 … 4, or -1 for the last); ``frequency`` weekly
    ignores it. A day that is not a working day (a statutory holiday) moves by ``holiday_rule``.
    """

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        WEEKLY = "weekly", _("Weekly")

    class HolidayRule(models.TextChoices):
        NEXT = "next", _("Move to the next working day")
        PREVIOUS = "previous", _("Move to the previous working day")
        SKIP = "skip", _("Skip that date")

    station = models.ForeignKey("stations.Station", verbose_name=_("site"), on_delete=models.PROTECT,
                                related_name="reception_schedules")
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices,
                                 default=Frequency.MONTHLY)
    weekday = models.PositiveSmallIntegerField(_("weekday"), help_text=_("0 = Monday … 6 = Sunday"))
    nth = models.SmallIntegerField(_("which one in the month"), default=1)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"))
    holiday_rule = models.CharField(_("on a holiday"), max_length=10, choices=HolidayRule.choices,
                                    default=HolidayRule.NEXT)
    slot_minutes = models.PositiveSmallIntegerField(_("minutes per slot"), default=30)
    slot_capacity = models.PositiveSmallIntegerField(_("citizens per slot"), default=3)
    # Days before the reception day it is published (None: the configured default, 3).
    publish_days = models.PositiveSmallIntegerField(_("publish days ahead"), null=True, blank=True)
    deputies_per_day = models.PositiveSmallIntegerField(_("deputies on duty per day"), default=2)
    active = models.BooleanField(_("active"), default=True)
    valid_from = models.DateField(_("valid from"), default=clock.today)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        verbose_name = _("reception schedule")
        verbose_name_plural = _("reception schedules")
        ordering = ["station_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="schedule_weekday"),
            models.CheckConstraint(condition=Q(nth__gte=-1, nth__lte=4) & ~Q(nth=0), name="schedule_nth"),
            models.CheckConstraint(condition=Q(end_time__gt=models.F("start_time")), name="schedule_times"),
        ]

    def __str__(self) -> str:
        return f"{self.station_id}: {self.get_frequency_display()} {self.weekday}/{self.nth}"


class ReceptionSlot(models.Model):
    """A bookable time within a reception day. ``booked`` is kept by a conditional UPDATE (never over capacity)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    capacity = models.PositiveSmallIntegerField(_("capacity"))
    booked = models.PositiveSmallIntegerField(_("booked"), default=0)

    class Meta:
        verbose_name = _("reception slot")
        verbose_name_plural = _("reception slots")
        ordering = ["activity_id", "starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(booked__lte=models.F("capacity")), name="slot_not_overbooked"),
            models.UniqueConstraint(fields=["activity", "starts_at"], name="slot_unique_time"),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id} {self.starts_at:%H:%M}"

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked)


class AppointmentQuerySet(models.QuerySet["Appointment"]):
    def visible_to(self, user: User) -> AppointmentQuerySet:
        return self.filter(slot__activity__in=Activity.objects.visible_to(user))


class Appointment(CitizenContact, models.Model):
    """A citizen's booking of a reception slot (no account): a booking code, name, phone and topic."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")
        ARRIVED = "arrived", _("Arrived")
        NO_SHOW = "no_show", _("Did not come")

    slot = models.ForeignKey(ReceptionSlot, verbose_name=_("slot"), on_delete=models.PROTECT,
                             related_name="appointments")
    code = models.CharField(_("booking code"), max_length=12, unique=True, default=new_booking_code)
    citizen_name = EncryptedTextField(_("name"))
    citizen_phone = EncryptedTextField(_("phone"))
    phone_hash = models.CharField(max_length=64, editable=False, db_index=True)
    topic = models.CharField(_("topic"), max_length=200)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.BOOKED)
    # The opinion it became at the door (one step: arrived → opinion entered on the citizen's behalf).
    opinion = models.OneToOneField("opinions.Opinion", verbose_name=_("opinion"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="appointment")
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(_("booked"), default=clock.now)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["slot_id", "id"]
        indexes = [models.Index(fields=["status", "slot"], name="appointment_status_idx")]

    def __str__(self) -> str:
        return self.code


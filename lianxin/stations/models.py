"""Liaison sites: stations (联络站, township/street level) and points (联络点, below)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from lianxin.core import clock
from lianxin.regions.models import subtree_q

if TYPE_CHECKING:
    from lianxin.accounts.models import User


class StationQuerySet(models.QuerySet["Station"]):
    def active(self) -> StationQuerySet:
        return self.filter(status=Station.Status.ACTIVE)

    def in_region(self, region) -> StationQuerySet:  # type: ignore[no-untyped-def]
        return self.filter(subtree_q("region_path", region.path))

    def visible_to(self, user: User) -> StationQuerySet:
        """Sites a staff account may see: admins their area, managers their sites, deputies theirs."""
        from lianxin.accounts.scope import scope_filter
        from lianxin.deputies.models import Assignment

        def assigned(deputy_user: User) -> StationQuerySet:
            if not deputy_user.deputy_id:
                return self.none()
            current = Assignment.objects.current().filter(station=OuterRef("pk"), deputy_id=deputy_user.deputy_id)
            return self.filter(Exists(current))

        return scope_filter(  # type: ignore[return-value]
            self, user, area=self.in_region, site_manager=lambda manager: self.filter(managers=manager),
            deputy=assigned,
        )


class Facility(models.TextChoices):
    RECEPTION_ROOM = "reception_room", _("Reception room")
    MEETING_ROOM = "meeting_room", _("Meeting room")
    NOTICE_BOARD = "notice_board", _("Public notice board")
    DUTY_ROSTER = "duty_roster", _("Deputies' duty roster on display")
    OPINION_BOX = "opinion_box", _("Opinion box")
    ACCESSIBLE = "accessible", _("Step-free access")
    COMPUTER = "computer", _("Computer and network")
    VIDEO = "video", _("Video link")
    ARCHIVE = "archive", _("Archive cabinet")
    SIGNAGE = "signage", _("Outdoor sign")


class Station(models.Model):
    class Kind(models.TextChoices):
        STATION = "station", _("Liaison station")
        POINT = "point", _("Liaison point")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Deactivated")

    class Tier(models.TextChoices):
        NONE = "none", _("Not rated")
        STANDARD = "standard", _("Standardised")
        EXEMPLARY = "exemplary", _("Exemplary")
        STAR = "star", _("Star")

    code = models.CharField(_("site code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="stations"
    )
    # Copy of region.path, kept by save(): subtree filters on sites need no join.
    region_path = models.CharField(max_length=255, editable=False, default="")
    parent = models.ForeignKey(
        "self", verbose_name=_("parent station"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="points",
        help_text=_("For a liaison point: the station it belongs to."),
    )
    address = models.CharField(_("address"), max_length=200)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    contact_name = models.CharField(_("contact person"), max_length=50)
    contact_phone = models.CharField(_("contact phone"), max_length=20)
    opening_hours = models.CharField(_("opening hours"), max_length=200)
    reception_days = models.CharField(
        _("reception days"), max_length=200, blank=True, help_text=_("e.g. the first Friday of each month, 15:00–17:00")
    )
    facilities = models.JSONField(_("facilities"), default=list, blank=True)
    description = models.TextField(_("introduction"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, default=Tier.NONE)
    created_at = models.DateTimeField(_("created"), default=clock.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=clock.now, editable=False)

    objects = StationQuerySet.as_manager()

    class Meta:
        verbose_name = _("liaison site")
        verbose_name_plural = _("liaison sites")
        ordering = ["region_path", "kind", "code"]
        indexes = [
            # the staff list: area subtree, then kind / tier / status filters, keyset on (region_path, code, id)
            models.Index(fields=["region_path", "code", "id"], name="station_list_idx"),
            models.Index(fields=["kind", "region_path"], name="station_kind_idx"),
            models.Index(fields=["tier", "region_path"], name="station_tier_idx"),
            models.Index(fields=["status", "region_path"], name="station_status_idx"),
            models.Index(fields=["latitude", "longitude"], name="station_geo_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.region_path = self.region.path
        self.updated_at = clock.now()
        super().save(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    def facility_labels(self) -> list[str]:
        labels = dict(Facility.choices)
        return [str(labels.get(value, value)) for value in self.facilities]

"""Deputies of the five levels, their seats, and their assignments to liaison sites."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianxin.core import clock
from lianxin.core.crypto import lookup_hash
from lianxin.core.fields import EncryptedTextField
from lianxin.core.masking import mask_phone
from lianxin.regions.models import subtree_q

if TYPE_CHECKING:
    from lianxin.accounts.models import User


class Level(models.TextChoices):
    """The five levels of people's congresses, highest first."""

    NATIONAL = "national", _("National")
    PROVINCIAL = "provincial", _("Provincial")
    MUNICIPAL = "municipal", _("Municipal")
    COUNTY = "county", _("County / district")
    TOWNSHIP = "township", _("Township / town")


LEVEL_ORDER = {level: index for index, level in enumerate(Level.values)}


def new_public_code() -> str:
    return secrets.token_urlsafe(8)


class DeputyQuerySet(models.QuerySet["Deputy"]):
    def active(self) -> DeputyQuerySet:
        return self.filter(active=True)

    def in_region(self, region) -> DeputyQuerySet:  # type: ignore[no-untyped-def]
        """Deputies elected in, assigned to a site in, or living in the region's subtree."""
        seat = Seat.objects.filter(deputy=OuterRef("pk")).filter(subtree_q("constituency__path", region.path))
        assignment = Assignment.objects.current().filter(deputy=OuterRef("pk")).filter(
            subtree_q("station__region_path", region.path)
        )
        return self.filter(
            Exists(seat) | Exists(assignment) | subtree_q("home_region__path", region.path)
        )

    def visible_to(self, user: User) -> DeputyQuerySet:
        from lianxin.accounts.scope import scope_filter

        def at_sites_of(manager: User) -> DeputyQuerySet:
            at_my_sites = Assignment.objects.current().filter(deputy=OuterRef("pk"), station__managers=manager)
            return self.filter(Exists(at_my_sites))

        return scope_filter(  # type: ignore[return-value]
            self, user, area=self.in_region, site_manager=at_sites_of,
            deputy=lambda deputy_user: self.filter(pk=deputy_user.deputy_id) if deputy_user.deputy_id else self.none(),
        )

    def public(self) -> DeputyQuerySet:
        """Deputies shown on the public side: active, with at least one current assignment."""
        return self.filter(active=True)


class Deputy(models.Model):
    class Gender(models.TextChoices):
        MALE = "m", _("Male")
        FEMALE = "f", _("Female")

    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=20, blank=True)
    party = models.CharField(_("political affiliation"), max_length=30, blank=True)
    occupation = models.CharField(_("work unit and position"), max_length=120, blank=True)
    # Personal data: stored encrypted, shown masked; phone_hash finds duplicates without decrypting.
    phone = EncryptedTextField(_("mobile phone"), blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    home_region = models.ForeignKey(
        "regions.Region", verbose_name=_("home region"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    home_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    home_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    work_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    work_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    bio = models.TextField(_("public profile"), blank=True)
    # Unguessable code in the deputy's public page URL and QR code.
    public_code = models.CharField(max_length=16, unique=True, default=new_public_code, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=clock.now, editable=False)

    objects = DeputyQuerySet.as_manager()

    class Meta:
        verbose_name = _("deputy")
        verbose_name_plural = _("deputies")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"], name="deputy_name_idx"),
            models.Index(fields=["active", "name", "id"], name="deputy_active_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.phone_hash = lookup_hash(self.phone) if self.phone else ""
        super().save(*args, **kwargs)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class SeatQuerySet(models.QuerySet["Seat"]):
    def current(self) -> SeatQuerySet:
        return self.filter(ended_on__isnull=True)

    def visible_to(self, user: User) -> SeatQuerySet:
        return self.filter(deputy__in=Deputy.objects.visible_to(user))


class Seat(models.Model):
    """A seat in one congress: level, term (届) and constituency. A person may hold several."""

    deputy = models.ForeignKey(Deputy, verbose_name=_("deputy"), on_delete=models.CASCADE, related_name="seats")
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    term = models.PositiveSmallIntegerField(_("term"))
    constituency = models.ForeignKey(
        "regions.Region", verbose_name=_("constituency area"), on_delete=models.PROTECT, related_name="+"
    )
    constituency_name = models.CharField(_("constituency"), max_length=100, blank=True)
    started_on = models.DateField(_("start"), null=True, blank=True)
    ended_on = models.DateField(_("end"), null=True, blank=True)

    objects = SeatQuerySet.as_manager()

    class Meta:
        verbose_name = _("seat")
        verbose_name_plural = _("seats")
        ordering = ["deputy_id", "level", "-term"]
        constraints = [
            models.UniqueConstraint(fields=["deputy", "level", "term"], name="seat_unique_per_term"),
        ]
        indexes = [models.Index(fields=["level", "deputy"], name="seat_level_idx")]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.term}"


class AssignmentQuerySet(models.QuerySet["Assignment"]):
    def current(self) -> AssignmentQuerySet:
        return self.filter(ended_on__isnull=True)

    def visible_to(self, user: User) -> AssignmentQuerySet:
        from lianxin.stations.models import Station

        return self.filter(station__in=Station.objects.visible_to(user))


class Assignment(models.Model):
    """A deputy's place in a site's mixed group (混合编组进站). Ended rows are the history."""

    class Role(models.TextChoices):
        MEMBER = "member", _("Member")
        LEADER = "leader", _("Group leader")

    deputy = models.ForeignKey(
        Deputy, verbose_name=_("deputy"), on_delete=models.PROTECT, related_name="assignments"
    )
    station = models.ForeignKey(
        "stations.Station", verbose_name=_("site"), on_delete=models.PROTECT, related_name="assignments"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    started_on = models.DateField(_("since"), default=clock.today)
    ended_on = models.DateField(_("until"), null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        # "leader" sorts before "member": group leaders first
        ordering = ["station_id", "role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["deputy", "station"], condition=Q(ended_on__isnull=True), name="assignment_one_current"
            ),
        ]
        indexes = [
            models.Index(fields=["station", "ended_on"], name="assignment_station_idx"),
            models.Index(fields=["deputy", "ended_on"], name="assignment_deputy_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.deputy} @ {self.station}"


def roster_file_path(instance: RosterImport, filename: str) -> str:
    return f"deputies/roster/{secrets.token_hex(12)}.xlsx"


class RosterImportQuerySet(models.QuerySet["RosterImport"]):
    def visible_to(self, user: User) -> RosterImportQuerySet:
        """Superusers see every import; an admin the imports made within its area (and its own)."""
        from lianxin.accounts.scope import admin_region

        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        region = admin_region(user)
        if region is None:
            return self.filter(created_by=user)
        return self.filter(subtree_q("region__path", region.path) | Q(created_by=user))


class RosterImport(models.Model):
    """One upload of the deputies' roster (代表名册导入): checked into a preview, then applied whole or not at all."""

    class Status(models.TextChoices):
        CHECKING = "checking", pgettext_lazy("roster import", "Being checked")
        READY = "ready", pgettext_lazy("roster import", "Ready to apply")
        INVALID = "invalid", pgettext_lazy("roster import", "Has errors")
        APPLYING = "applying", pgettext_lazy("roster import", "Being applied")
        APPLIED = "applied", pgettext_lazy("roster import", "Applied")
        FAILED = "failed", pgettext_lazy("roster import", "Failed")

    created_by = models.ForeignKey(
        "accounts.User", verbose_name=_("imported by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The importer's area when uploading: who else may see this import in the history.
    region = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("uploaded"), default=clock.now)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)
    applied_by = models.ForeignKey(
        "accounts.User", verbose_name=_("applied by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    file = models.FileField(_("file"), upload_to=roster_file_path)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    language = models.CharField(max_length=10, default="zh-hans")
    new_term = models.PositiveSmallIntegerField(_("new term"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.CHECKING)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    preview = models.JSONField(default=dict, blank=True)

    objects = RosterImportQuerySet.as_manager()

    class Meta:
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="rosterimport_created_idx")]

    def __str__(self) -> str:
        return self.filename or str(self.pk)

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.CHECKING, self.Status.APPLYING)

    @property
    def percent(self) -> int:
        if self.status == self.Status.APPLYING or not self.rows_total:
            return 100 if self.status != self.Status.CHECKING else 0
        return min(100, self.rows_done * 100 // self.rows_total)

"""Staff accounts with a role and a scope, and the append-only audit log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lianxin.core import clock


class Role(models.TextChoices):
    CITY_ADMIN = "city_admin", _("City congress admin")
    DISTRICT_ADMIN = "district_admin", _("District congress admin")
    SITE_MANAGER = "site_manager", _("Site manager")
    DEPUTY = "deputy", _("Deputy")
    UNIT_STAFF = "unit_staff", _("Handling unit staff")
    AUDITOR = "auditor", _("Auditor")


ADMIN_ROLES = (Role.CITY_ADMIN, Role.DISTRICT_ADMIN)


class UserQuerySet(models.QuerySet["User"]):
    def visible_to(self, user: User) -> UserQuerySet:
        from lianxin.regions.models import subtree_q

        from .scope import admin_region

        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        region = admin_region(user)
        if region is None:
            return self.filter(pk=user.pk)
        # Auditors are appointed by the city for its campaigns and carry no region of their own.
        city_wide = Q(role=Role.AUDITOR) if user.role == Role.CITY_ADMIN else Q(pk__in=[])
        return self.filter(
            city_wide
            | subtree_q("region__path", region.path)
            | subtree_q("stations__region_path", region.path)
            | subtree_q("unit__region__path", region.path)
            | subtree_q("deputy__assignments__station__region_path", region.path)
        ).distinct()


class LianxinUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    """A staff account. Its role says what it may do, its scope where.

    Scope by role: admins — a region subtree (``region``); site managers — their ``stations``;
    deputies — their ``deputy`` record; handling-unit staff — their ``unit``; auditors — the
    applications assigned to them (campaigns).
    """

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    # The language of the pages after log-in and of the notifications this person receives;
    # blank: the site's default (Chinese). Set by the language switch while logged in.
    language = models.CharField(
        _("language"), max_length=10, blank=True, default="", choices=settings.LANGUAGES
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    stations = models.ManyToManyField(
        "stations.Station", verbose_name=_("sites"), blank=True, related_name="managers"
    )
    deputy = models.OneToOneField(
        "deputies.Deputy", verbose_name=_("deputy"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="user",
    )
    unit = models.ForeignKey(
        "units.HandlingUnit", verbose_name=_("handling unit"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="staff",
    )

    objects = LianxinUserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                name="user_admin_has_region",
                condition=~Q(role__in=["city_admin", "district_admin"]) | Q(region__isnull=False),
            ),
            models.CheckConstraint(
                name="user_deputy_has_deputy", condition=~Q(role="deputy") | Q(deputy__isnull=False)
            ),
            models.CheckConstraint(
                name="user_unit_staff_has_unit", condition=~Q(role="unit_staff") | Q(unit__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_admin(self) -> bool:
        return self.role in ADMIN_ROLES

    @property
    def is_city_admin(self) -> bool:
        return self.role == Role.CITY_ADMIN

    def scope_label(self) -> str:
        """The area shown in the top bar next to the role."""
        if self.role in ADMIN_ROLES and self.region_id:
            return self.region.name  # type: ignore[union-attr]
        if self.role == Role.SITE_MANAGER:
            return "、".join(station.name for station in self.stations.all()[:3])
        if self.role == Role.DEPUTY and self.deputy_id:
            return self.deputy.name  # type: ignore[union-attr]
        if self.role == Role.UNIT_STAFF and self.unit_id:
            return self.unit.name  # type: ignore[union-attr]
        return ""


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def visible_to(self, user: User) -> AuditEntryQuerySet:
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser or user.role == Role.CITY_ADMIN:
            return self.all()
        if user.role == Role.DISTRICT_ADMIN:
            return self.filter(actor__in=User.objects.visible_to(user))
        return self.filter(actor=user)


class AuditEntry(models.Model):
    """One staff action: who did what to which object, when and from where. Never changed."""

    created_at = models.DateTimeField(_("time"), default=clock.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=64)
    target_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(_("object"), max_length=200, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "-created_at"], name="audit_target_idx"),
            models.Index(fields=["actor", "-created_at"], name="audit_actor_idx"),
            models.Index(fields=["action", "-created_at"], name="audit_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Audit entries are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("Audit entries cannot be deleted.")

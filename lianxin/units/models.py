"""Handling units (承办单位): government departments and others that answer transferred matters."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from lianxin.core import clock
from lianxin.regions.models import subtree_q

if TYPE_CHECKING:
    from lianxin.accounts.models import User


class HandlingUnitQuerySet(models.QuerySet["HandlingUnit"]):
    def active(self) -> HandlingUnitQuerySet:
        return self.filter(active=True)

    def visible_to(self, user: User) -> HandlingUnitQuerySet:
        from lianxin.accounts.scope import scope_filter

        return scope_filter(  # type: ignore[return-value]
            self, user, area=lambda region: self.filter(subtree_q("region__path", region.path)),
            unit_staff=lambda staff: self.filter(pk=staff.unit_id) if staff.unit_id else self.none(),
        )


class HandlingUnit(models.Model):
    class Kind(models.TextChoices):
        DEPARTMENT = "department", _("Government department")
        TOWNSHIP = "township", _("Township / street office")
        PUBLIC_SERVICE = "public_service", _("Public service enterprise")
        OTHER = "other", _("Other")

    code = models.CharField(_("unit code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.DEPARTMENT)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="units"
    )
    contact_name = models.CharField(_("contact person"), max_length=50)
    contact_phone = models.CharField(_("contact phone"), max_length=20)
    address = models.CharField(_("address"), max_length=200, blank=True)
    duties = models.TextField(_("responsibilities"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=clock.now, editable=False)

    objects = HandlingUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("handling unit")
        verbose_name_plural = _("handling units")
        ordering = ["region__path", "name", "id"]
        indexes = [
            models.Index(fields=["region", "active", "name"], name="unit_region_idx"),
            models.Index(fields=["name", "id"], name="unit_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

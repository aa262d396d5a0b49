"""The tree of administrative divisions (行政区划) with official division codes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from lianxin.accounts.models import User

# Paths are "/code/code/…/"; every character sorts below "~", so a subtree is the half-open
# range [path, path + "~") — a plain b-tree range scan on SQLite and PostgreSQL alike (LIKE
# 'prefix%' would need a pattern-ops index on PostgreSQL and is case-folded on SQLite).
PATH_END = "~"


def subtree_q(field: str, path: str) -> Q:
    """Rows whose ``field`` (a materialised region path) lies in the subtree rooted at ``path``."""
    return Q(**{f"{field}__gte": path, f"{field}__lt": path + PATH_END})


class RegionQuerySet(models.QuerySet["Region"]):
    def subtree(self, region: Region) -> RegionQuerySet:
        return self.filter(subtree_q("path", region.path))

    def visible_to(self, user: User) -> RegionQuerySet:
        """Region names are public; admins' pickers and lists are narrowed to their own area."""
        from lianxin.accounts.scope import admin_region

        region = admin_region(user)
        if region is None:
            return self.all()
        return self.subtree(region)


class Region(models.Model):
    class Level(models.IntegerChoices):
        COUNTRY = 0, _("Country")
        PROVINCE = 1, _("Province")
        CITY = 2, _("City")
        COUNTY = 3, _("District / county")
        TOWNSHIP = 4, _("Township / street")
        VILLAGE = 5, _("Village / community")

    code = models.CharField(_("division code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(_("path"), max_length=255, editable=False)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]
        indexes = [
            # subtree range scans and ordered tree listing
            models.Index(fields=["path"], name="region_path_idx"),
            models.Index(fields=["level", "path"], name="region_level_path_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.path = (self.parent.path if self.parent else "/") + f"{self.code}/"
        super().save(*args, **kwargs)

    def ancestors(self) -> RegionQuerySet:
        codes = [code for code in self.path.strip("/").split("/") if code and code != self.code]
        return Region.objects.filter(code__in=codes).order_by("level")

    def full_name(self) -> str:
        """Names from the deployment's root down, e.g. 太原市 小店区 坞城街道."""
        return " ".join([*(r.name for r in self.ancestors() if r.level >= Region.Level.CITY), self.name])

    def is_within(self, other: Region) -> bool:
        return self.path.startswith(other.path)

"""A grouping run (its parameters, progress and result) and the proposal it made, one row per deputy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianxin.core import clock
from lianxin.regions.models import subtree_q

if TYPE_CHECKING:
    from lianxin.accounts.models import User


class RunQuerySet(models.QuerySet["GroupingRun"]):
    def visible_to(self, user: User) -> RunQuerySet:
        from lianxin.accounts.scope import scope_filter

        return scope_filter(self, user, area=lambda region: self.filter(subtree_q("area__path", region.path)))  # type: ignore[return-value]


class GroupingRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", pgettext_lazy("run status", "Done")
        INFEASIBLE = "infeasible", _("Infeasible")
        FAILED = "failed", _("Failed")

    area = models.ForeignKey("regions.Region", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("started"), default=clock.now)
    params = models.JSONField(_("parameters"), default=dict)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    solver_status = models.CharField(max_length=12, blank=True)
    objective = models.FloatField(_("objective"), null=True, blank=True)
    bound = models.FloatField(_("best bound"), null=True, blank=True)
    gap = models.FloatField(_("gap"), null=True, blank=True)
    seconds = models.FloatField(_("solve seconds"), null=True, blank=True)
    # [[msgid, params], ...] — translated when shown
    explanation = models.JSONField(default=list)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = RunQuerySet.as_manager()

    class Meta:
        verbose_name = _("grouping run")
        verbose_name_plural = _("grouping runs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="grouping_run_recent_idx")]

    def __str__(self) -> str:
        return f"{self.area} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class Proposal(models.Model):
    """Where the run puts one deputy, compared with today."""

    class Kind(models.TextChoices):
        MOVE = "move", _("Moves")
        NEW = "new", _("Newly placed")
        STAY = "stay", _("Stays")

    run = models.ForeignKey(GroupingRun, on_delete=models.CASCADE, related_name="proposals")
    deputy = models.ForeignKey("deputies.Deputy", verbose_name=_("deputy"), on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("change"), max_length=6, choices=Kind.choices)
    from_station = models.ForeignKey(
        "stations.Station", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    to_station = models.ForeignKey("stations.Station", on_delete=models.CASCADE, related_name="+")
    distance_before = models.FloatField(null=True, blank=True)
    distance_after = models.FloatField(null=True, blank=True)
    reason = models.CharField(max_length=20, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("grouping proposal")
        verbose_name_plural = _("grouping proposals")
        ordering = ["run", "kind", "to_station", "id"]
        indexes = [
            models.Index(fields=["run", "kind", "id"], name="grouping_prop_kind_idx"),
            models.Index(fields=["run", "to_station", "id"], name="grouping_prop_site_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.deputy_id} -> {self.to_station_id}"

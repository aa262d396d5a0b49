"""Dashboards: monthly roll-ups of the work of every site, their refresh state, and work reports.

The roll-ups (``SiteMonth``) are rebuilt from the rows by ``lianxin.dashboard.rollups.refresh`` (set-based,
one transaction); the dashboard, the reports and the transparency page read their figures through
``lianxin.dashboard.figures`` only. ``WorkReport`` is a monthly/quarterly/annual report of an area, built
by a task into a PDF or a workbook.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from lianxin.core import clock
from lianxin.core.documents import TaskDocument
from lianxin.regions.models import subtree_q

if TYPE_CHECKING:
    from lianxin.accounts.models import User


# ---- work reports ---------------------------------------------------------------------------------------------


class WorkReportQuerySet(models.QuerySet["WorkReport"]):
    def visible_to(self, user: User) -> WorkReportQuerySet:
        """Admins see the reports of regions within their area (superusers all); other accounts none."""
        from lianxin.accounts.scope import scope_filter

        return scope_filter(  # type: ignore[return-value]
            self, user, area=lambda region: self.filter(subtree_q("region__path", region.path)))


def report_file_path(instance: WorkReport, filename: str) -> str:
    """An unguessable name: the report may name citizens' matters."""
    return f"reports/{secrets.token_hex(12)}.{instance.format}"


class WorkReport(TaskDocument):
    """A work report of an area (the city or a district) over a month, a quarter or a year, as a PDF or an
    Excel workbook, built by a task; ``progress`` (percent) feeds the progress bar while it runs."""

    class Period(models.TextChoices):
        MONTH = "month", _("Monthly")
        QUARTER = "quarter", _("Quarterly")
        YEAR = "year", _("Annual")

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        XLSX = "xlsx", "Excel"

    region = models.ForeignKey("regions.Region", verbose_name=_("area"), on_delete=models.PROTECT,
                               related_name="+")
    period = models.CharField(_("period"), max_length=10, choices=Period.choices)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))  # inclusive
    format = models.CharField(_("format"), max_length=5, choices=Format.choices)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)  # percent
    file = models.FileField(_("file"), upload_to=report_file_path, blank=True)

    objects = WorkReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("work report")
        verbose_name_plural = _("work reports")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["region", "-requested_at"], name="workreport_region_time_idx")]

    def __str__(self) -> str:
        return f"{self.region} {self.starts_on:%Y-%m-%d}…{self.ends_on:%Y-%m-%d}"


# ---- roll-ups -------------------------------------------------------------------------------------------------


class SiteMonth(models.Model):
    """The work of one site (or, ``station`` NULL, of an area without a site) in one calendar month
    (``month`` = its first day, local time), rebuilt from the rows by ``rollups.refresh``.

    ``region_path`` is the source rows' own copy (the activity's or the opinion's), so that an area's sums
    equal counts made over the rows with the same subtree filter; ``district_path`` is its prefix down to
    the district/county level (empty above it). A site normally has one row a month; a second appears only
    if some of its rows carry another path.

    Definitions (the same as ``lianxin.campaigns.metrics`` and ``lianxin.dashboard.stats``):

    - ``activities``: activities of every kind closed as held, by start date; ``citizens``: the citizens
      received recorded on them; ``attendance_expected`` / ``attendance_attended``: deputies' attendance
      rows marked expected at those activities, and of those the ones marked attended.
    - ``reception_planned``: reception days scheduled to start that month (any status);
      ``reception_held`` / ``reception_cancelled`` by status; ``reception_due``: held + cancelled + still
      planned with a start already passed at refresh time (the campaign metric's denominator).
    - Opinions are citizens' opinions (thematic supervision's recommendations are not "heard") counted by
      the month they were submitted (the campaign metrics' cohort): ``opinions`` all of them (as
      ``stats`` counts them), and of those not merged into another case: ``replied`` (a reply given),
      ``replied_on_time`` (replied before any escalation for lateness), ``closed``, ``resolved`` /
      ``not_resolved`` (closed with that outcome), ``rated``, ``satisfied`` (satisfied or basically
      satisfied), ``repeats`` (reopened at least once after the citizen rated the outcome unsatisfied —
      the same matter coming back, counted once per case).
    """

    station = models.ForeignKey("stations.Station", null=True, on_delete=models.CASCADE, related_name="+",
                                db_constraint=False)
    month = models.DateField()
    region_path = models.CharField(max_length=255)
    district_path = models.CharField(max_length=255, blank=True)
    activities = models.PositiveIntegerField(default=0)
    citizens = models.PositiveIntegerField(default=0)
    attendance_expected = models.PositiveIntegerField(default=0)
    attendance_attended = models.PositiveIntegerField(default=0)
    reception_planned = models.PositiveIntegerField(default=0)
    reception_due = models.PositiveIntegerField(default=0)
    reception_held = models.PositiveIntegerField(default=0)
    reception_cancelled = models.PositiveIntegerField(default=0)
    opinions = models.PositiveIntegerField(default=0)
    replied = models.PositiveIntegerField(default=0)
    replied_on_time = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    not_resolved = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    repeats = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["region_path", "month"], name="sitemonth_path_month_idx"),
            models.Index(fields=["month", "region_path"], name="sitemonth_month_path_idx"),
            models.Index(fields=["station", "month"], name="sitemonth_station_month_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.station_id or self.region_path} {self.month:%Y-%m}"


class CategoryMonth(models.Model):
    """Citizens' opinions submitted in a month by category, per site (or area without a site)."""

    station = models.ForeignKey("stations.Station", null=True, on_delete=models.CASCADE, related_name="+",
                                db_constraint=False)
    month = models.DateField()
    region_path = models.CharField(max_length=255)
    category = models.ForeignKey("opinions.Category", on_delete=models.CASCADE, related_name="+",
                                 db_constraint=False)
    opinions = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["region_path", "month"], name="categorymonth_path_month_idx")]

    def __str__(self) -> str:
        return f"{self.category_id} {self.month:%Y-%m}"


class SiteLatest(models.Model):
    """Per site: the start of its latest held activity and its latest citizen's opinion (quiet sites)."""

    station = models.OneToOneField("stations.Station", primary_key=True, on_delete=models.CASCADE,
                                   related_name="+", db_constraint=False)
    last_activity_at = models.DateTimeField(null=True)
    last_opinion_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return str(self.station_id)


class DeputyLatest(models.Model):
    """Per deputy: the start of the latest held activity the deputy attended (quiet deputies)."""

    deputy = models.OneToOneField("deputies.Deputy", primary_key=True, on_delete=models.CASCADE,
                                  related_name="+", db_constraint=False)
    last_attended_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return str(self.deputy_id)


class RollupState(models.Model):
    """A single row (pk 1): when the roll-ups were last rebuilt, how long it took, how many rows."""

    refreshed_at = models.DateTimeField(default=clock.now)
    duration_ms = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)
    months = models.PositiveIntegerField(default=0)  # months rebuilt by the last refresh (0: all)

    def __str__(self) -> str:
        return f"{self.refreshed_at:%Y-%m-%d %H:%M}"

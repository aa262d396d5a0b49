"""Duty records (履职档案) and performance assessment (履职考核).

A deputy's record is computed from the platform (attendance, opinions, supervision, consultations)
plus ``DeclaredItem``s done elsewhere, approved by staff. ``RuleSet`` holds the assessment rules as
data (a new version per edit); ``Score`` is the roll-up table the posting (亮分) and ranking pages read.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianxin.core import clock
from lianxin.core.documents import TaskDocument

if TYPE_CHECKING:
    from lianxin.accounts.models import User


class ItemKind(models.TextChoices):
    """What earns (or costs) points. The first group is computed, the second declared by the deputy."""

    ACTIVITY = "activity", _("Activities attended at the sites")
    RECEPTION = "reception", _("Reception days on duty")
    OPINION = "opinion", _("Opinions recorded")
    OPINION_FOLLOWED = "opinion_followed", _("Opinions followed to a reply")
    SUPERVISION = "supervision", _("Supervision topics taken part in")
    RECOMMENDATION = "recommendation", _("Supervision recommendations")
    CONSULTATION = "consultation", _("Legislative consultation sessions")
    TRAINING = "training", _("Training attended")
    MEETING = "meeting", _("Meetings attended elsewhere")
    SUGGESTION = "suggestion", _("Suggestions filed")
    VOTER_VISIT = "voter_visit", _("Visits to voters")
    OTHER = "other", pgettext_lazy("duty item", "Other duties")
    ABSENCE = "absence", _("Absences from expected activities")


COMPUTED_KINDS = (ItemKind.ACTIVITY, ItemKind.RECEPTION, ItemKind.OPINION, ItemKind.OPINION_FOLLOWED,
                  ItemKind.SUPERVISION, ItemKind.RECOMMENDATION, ItemKind.CONSULTATION, ItemKind.TRAINING)
DECLARED_KINDS = (ItemKind.MEETING, ItemKind.SUGGESTION, ItemKind.VOTER_VISIT, ItemKind.OTHER)
POSITIVE_KINDS = COMPUTED_KINDS + DECLARED_KINDS


class Grade(models.TextChoices):
    GOOD = "good", pgettext_lazy("grade", "Good")
    FAIR = "fair", pgettext_lazy("grade", "Fair")
    POOR = "poor", pgettext_lazy("grade", "Poor")


class RuleSet(models.Model):
    """One version of the assessment rules. Edits add a version; the highest version is in force.

    ``points`` and ``caps`` map an ``ItemKind`` value to points per item and to the most points the
    kind may add in a year (no key: no cap). The absence penalty is subtracted per absence, up to its cap.
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    base_score = models.DecimalField(_("base score"), max_digits=6, decimal_places=2)
    points = models.JSONField(_("points per item"), default=dict)
    caps = models.JSONField(_("caps per kind"), default=dict)
    absence_penalty = models.DecimalField(_("points off per absence"), max_digits=6, decimal_places=2,
                                          default=Decimal("0"))
    absence_cap = models.DecimalField(_("most points off for absences"), max_digits=6, decimal_places=2,
                                      null=True, blank=True)
    good_from = models.DecimalField(_("good from"), max_digits=6, decimal_places=2)
    fair_from = models.DecimalField(_("fair from"), max_digits=6, decimal_places=2)
    min_site_visits = models.PositiveSmallIntegerField(_("minimum site visits per year"))
    note = models.CharField(_("reason for the change"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("assessment rule set")
        verbose_name_plural = _("assessment rule sets")
        ordering = ["-version"]
        constraints = [
            models.CheckConstraint(condition=Q(good_from__gt=models.F("fair_from")), name="ruleset_grades_ordered"),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"

    def grade(self, total: Decimal) -> str:
        if total >= self.good_from:
            return Grade.GOOD
        if total >= self.fair_from:
            return Grade.FAIR
        return Grade.POOR


class DeclaredItemQuerySet(models.QuerySet["DeclaredItem"]):
    def visible_to(self, user: User) -> DeclaredItemQuerySet:
        from lianxin.deputies.models import Deputy

        return self.filter(deputy__in=Deputy.objects.visible_to(user))


def evidence_path(instance: DeclaredItem, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"performance/evidence/{instance.deputy_id}/{secrets.token_hex(8)}.{suffix}"


class DeclaredItem(models.Model):
    """A duty done outside the platform, declared by the deputy with evidence; staff approve or reject it."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("declared item", "Waiting for review")
        APPROVED = "approved", pgettext_lazy("declared item", "Approved")
        REJECTED = "rejected", pgettext_lazy("declared item", "Rejected")

    deputy = models.ForeignKey("deputies.Deputy", verbose_name=_("deputy"), on_delete=models.PROTECT,
                               related_name="declared_items")
    kind = models.CharField(_("kind"), max_length=16, choices=[(k.value, k.label) for k in DECLARED_KINDS])
    done_on = models.DateField(_("date"))
    title = models.CharField(_("what was done"), max_length=120)
    evidence_text = models.TextField(_("evidence"), blank=True)
    evidence_file = models.FileField(_("evidence file"), upload_to=evidence_path, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("declared"), default=clock.now, editable=False)

    objects = DeclaredItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("declared duty item")
        verbose_name_plural = _("declared duty items")
        ordering = ["-created_at", "-id"]
        indexes = [
            # the review queue (status filter, keyset on created_at, id) and a deputy's year
            models.Index(fields=["status", "created_at", "id"], name="declared_queue_idx"),
            models.Index(fields=["deputy", "done_on"], name="declared_deputy_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class ScoreQuerySet(models.QuerySet["Score"]):
    def visible_to(self, user: User) -> ScoreQuerySet:
        from lianxin.deputies.models import Deputy

        return self.filter(deputy__in=Deputy.objects.visible_to(user))


class Score(models.Model):
    """Roll-up of a deputy's assessment: a year (quarter NULL) or the year to the end of a quarter."""

    deputy = models.ForeignKey("deputies.Deputy", verbose_name=_("deputy"), on_delete=models.CASCADE,
                               related_name="scores")
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"), null=True, blank=True)
    counts = models.JSONField(default=dict)  # ItemKind -> number of items
    points = models.JSONField(_("points by kind"), default=dict)  # ItemKind -> points after caps
    total = models.DecimalField(_("total"), max_digits=7, decimal_places=2)
    # Points earned by items (total less the base score): what the normalised ranking divides.
    earned = models.DecimalField(_("points earned"), max_digits=7, decimal_places=2, default=Decimal("0"))
    grade = models.CharField(_("grade"), max_length=8, choices=Grade.choices)
    site_visits = models.PositiveIntegerField(_("site visits"), default=0)
    # Workload at the deputy's sites in the period: what the normalised ranking divides by.
    opinions_received = models.PositiveIntegerField(_("opinions received at the sites"), default=0)
    citizens_served = models.PositiveIntegerField(_("citizens served at the sites"), default=0)
    rule_version = models.PositiveIntegerField(_("rule version"))
    computed_at = models.DateTimeField(_("computed"), default=clock.now)

    objects = ScoreQuerySet.as_manager()

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["year", "quarter", "deputy_id"]
        constraints = [
            models.UniqueConstraint(fields=["deputy", "year", "quarter"], condition=Q(quarter__isnull=False),
                                    name="score_unique_quarter"),
            models.UniqueConstraint(fields=["deputy", "year"], condition=Q(quarter__isnull=True),
                                    name="score_unique_year"),
            models.CheckConstraint(condition=Q(quarter__isnull=True) | Q(quarter__gte=1, quarter__lte=4),
                                   name="score_quarter_range"),
        ]
        indexes = [
            # rankings of a period: highest total first
            models.Index(fields=["year", "quarter", "-total", "deputy"], name="score_period_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.deputy_id} {self.year}Q{self.quarter or '-'}: {self.total}"

    @property
    def per_opinion(self) -> Decimal | None:
        return (self.earned / self.opinions_received).quantize(Decimal("0.01")) if self.opinions_received else None

    @property
    def per_100_citizens(self) -> Decimal | None:
        if not self.citizens_served:
            return None
        return (self.earned * 100 / self.citizens_served).quantize(Decimal("0.01"))


class PaceWarning(models.Model):
    """A mid-year warning sent once per deputy and year when the site visits lag the minimum's pace."""

    deputy = models.ForeignKey("deputies.Deputy", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    visits = models.PositiveIntegerField()
    expected = models.PositiveIntegerField()
    sent_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["deputy", "year"], name="pace_warning_once")]

    def __str__(self) -> str:
        return f"{self.deputy_id} {self.year}"


class RecomputeRun(models.Model):
    """A recomputation of the scores by the task queue; its page polls ``done`` / ``total``."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("job", "Waiting")
        RUNNING = "running", pgettext_lazy("job", "Running")
        DONE = "done", pgettext_lazy("job", "Done")
        FAILED = "failed", pgettext_lazy("job", "Failed")

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    years = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    rule_version = models.PositiveIntegerField(null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    requested_at = models.DateTimeField(default=clock.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.pk}: {self.status}"

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else (100 if self.status == self.Status.DONE else 0)

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.RUNNING)


def record_pdf_path(instance: RecordDocument, filename: str) -> str:
    return f"performance/records/{secrets.token_hex(12)}.pdf"


class RecordDocument(TaskDocument):
    """The printable duty record of a deputy and year as a PDF, made by a task; only served by a scoped view."""

    deputy = models.ForeignKey("deputies.Deputy", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    file = models.FileField(_("file"), upload_to=record_pdf_path, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["deputy", "year"], name="record_document_unique")]

    def __str__(self) -> str:
        return f"{self.deputy_id} {self.year}: {self.status}"


def default_rules() -> dict[str, Any]:
    """The first rule set, used when none has been saved yet (a city admin edits from there)."""
    return {
        "base_score": Decimal("60"),
        "points": {ItemKind.ACTIVITY: 2, ItemKind.RECEPTION: 3, ItemKind.OPINION: 1, ItemKind.OPINION_FOLLOWED: 1,
                   ItemKind.SUPERVISION: 3, ItemKind.RECOMMENDATION: 2, ItemKind.CONSULTATION: 2,
                   ItemKind.TRAINING: 2, ItemKind.MEETING: 1, ItemKind.SUGGESTION: 3, ItemKind.VOTER_VISIT: 1,
                   ItemKind.OTHER: 1},
        "caps": {ItemKind.ACTIVITY: 20, ItemKind.OPINION: 10, ItemKind.OPINION_FOLLOWED: 5, ItemKind.MEETING: 5,
                 ItemKind.VOTER_VISIT: 5, ItemKind.OTHER: 5},
        "absence_penalty": Decimal("2"),
        "absence_cap": Decimal("20"),
        "good_from": Decimal("80"),
        "fair_from": Decimal("60"),
        "min_site_visits": 4,
    }

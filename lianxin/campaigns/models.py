"""Exemplary-site campaigns (示范型站点创建).

A ``CriteriaTemplate`` version holds the criteria: ``Dimension``s (rules, facilities, management,
effectiveness: 制度健全、设施完善、管理规范、注重实效) with ``Criterion`` items, each with its maximum
points and the evidence it needs; an item is either scored by people (self-assessment, then on-site
audit) or computed from the platform's own data by a named metric whose formula is shown to everyone
scored by it. Editing a template makes a new version; a ``Campaign`` keeps the version it started with.

A campaign runs in phases (application → district review → on-site audit → final review →
publication). A site manager's ``Application`` carries a self-score per item (``SelfScore``) with
``Evidence``; the district recommends it or returns it; the city assigns auditors
(``AuditAssignment``) who score each item at the site (``AuditScore``, ``AuditPhoto``); the final
review ranks applications per kind with every component visible, applies the quotas, records
overrides with reasons, and the decision makes ``Designation``s (a tier and a year on the site),
which later re-checks (``DesignationReview``) keep or withdraw (动态管理).
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianxin.core import clock
from lianxin.core.documents import TaskDocument
from lianxin.stations.models import Station

if TYPE_CHECKING:
    from lianxin.accounts.models import User



class DimensionCode(models.TextChoices):
    RULES = "rules", _("Sound rules")  # 制度健全
    FACILITIES = "facilities", _("Complete facilities")  # 设施完善
    MANAGEMENT = "management", _("Orderly management")  # 管理规范
    EFFECTIVENESS = "effectiveness", _("Real results")  # 注重实效


class Metric(models.TextChoices):
    """Figures an automatic criterion is scored from, over the campaign's data period, for one site.

    The formulas live in ``lianxin.campaigns.metrics`` with a description shown on every page that
    shows such an item."""

    ACTIVITIES_PER_MONTH = "activities_per_month", _("Activities held per month")
    RECEPTION_DAYS_HELD = "reception_days_held", _("Reception days held versus planned")
    ANSWERED_ON_TIME = "answered_on_time", _("Share of opinions answered on time")
    SATISFACTION = "satisfaction", _("Citizens' satisfaction")
    ATTENDANCE = "attendance", _("Deputies' attendance")
    RESOLVED = "resolved", _("Share of closed opinions resolved")


# ---- criteria templates -------------------------------------------------------------------------------------


class CriteriaTemplate(models.Model):
    """One version of a set of criteria. ``family`` groups the versions of one template; the highest
    version is the one offered for new campaigns. A version used by a campaign is never edited."""

    family = models.SlugField(_("template key"), max_length=40)
    version = models.PositiveIntegerField(_("version"))
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    note = models.CharField(_("reason for the change"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("criteria template")
        verbose_name_plural = _("criteria templates")
        ordering = ["family", "-version"]
        constraints = [models.UniqueConstraint(fields=["family", "version"], name="criteria_template_version")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Dimension(models.Model):
    template = models.ForeignKey(CriteriaTemplate, on_delete=models.CASCADE, related_name="dimensions")
    code = models.CharField(_("dimension"), max_length=20, choices=DimensionCode.choices)
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("dimension")
        verbose_name_plural = _("dimensions")
        ordering = ["template", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["template", "code"], name="dimension_unique_code")]

    def __str__(self) -> str:
        return self.name


class Criterion(models.Model):
    """One scored item. Manual items are self-scored and audited; automatic ones (``metric`` set) are
    computed: ``max_points × min(1, value / target)`` (see ``lianxin.campaigns.metrics``)."""

    class Kind(models.TextChoices):
        MANUAL = "manual", pgettext_lazy("criterion", "Scored by self-assessment and audit")
        AUTOMATIC = "automatic", pgettext_lazy("criterion", "Computed from the platform's data")

    dimension = models.ForeignKey(Dimension, on_delete=models.CASCADE, related_name="criteria")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    title = models.CharField(_("item"), max_length=200)
    guidance = models.TextField(_("what earns the points"), blank=True)
    evidence = models.CharField(_("evidence needed"), max_length=300, blank=True)
    max_points = models.DecimalField(_("maximum points"), max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0.5"))])
    kind = models.CharField(_("scored by"), max_length=10, choices=Kind.choices, default=Kind.MANUAL)
    metric = models.CharField(_("figure"), max_length=30, choices=Metric.choices, blank=True)
    target = models.DecimalField(_("value for full points"), max_digits=8, decimal_places=2, null=True,
                                 blank=True)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["dimension__order", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="manual", metric="") | Q(kind="automatic", target__gt=0) & ~Q(metric="")),
                name="criterion_metric_iff_automatic"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_automatic(self) -> bool:
        return self.kind == self.Kind.AUTOMATIC


# ---- campaigns ------------------------------------------------------------------------------------------------


class CampaignQuerySet(models.QuerySet["Campaign"]):
    def visible_to(self, user: User) -> CampaignQuerySet:
        """Every staff account sees campaigns (they are city-wide); the anonymous see published ones."""
        if not user.is_authenticated:
            return self.filter(published_at__isnull=False)
        return self.all()


class Phase(models.TextChoices):
    PREPARATION = "preparation", pgettext_lazy("campaign phase", "In preparation")
    APPLICATION = "application", pgettext_lazy("campaign phase", "Self-assessment and application")
    DISTRICT_REVIEW = "district_review", pgettext_lazy("campaign phase", "District review")
    AUDIT = "audit", pgettext_lazy("campaign phase", "On-site audit")
    FINAL_REVIEW = "final_review", pgettext_lazy("campaign phase", "Final review")
    DECIDED = "decided", pgettext_lazy("campaign phase", "Decided")
    PUBLISHED = "published", pgettext_lazy("campaign phase", "Published")


class Campaign(models.Model):
    """A campaign: the criteria version it keeps, the kinds of site and quotas, the phase dates (each
    phase runs from its start date to the day before the next one starts; the final review ends with
    the decision), the weights of the three score components (percent, summing to 100) and the audit
    rules. Platform figures are computed over ``data_from`` … ``data_to``."""

    year = models.PositiveSmallIntegerField(_("year"))
    name = models.CharField(_("name"), max_length=120)
    template = models.ForeignKey(CriteriaTemplate, verbose_name=_("criteria"), on_delete=models.PROTECT,
                                 related_name="campaigns")
    region = models.ForeignKey("regions.Region", verbose_name=_("area"), on_delete=models.PROTECT,
                               related_name="+")
    tier = models.CharField(_("tier awarded"), max_length=10, choices=Station.Tier.choices,
                            default=Station.Tier.EXEMPLARY)
    quota_stations = models.PositiveIntegerField(_("quota of stations"), default=0)
    quota_points = models.PositiveIntegerField(_("quota of points"), default=0)
    application_opens = models.DateField(_("application opens"))
    district_review_opens = models.DateField(_("district review opens"))
    audit_opens = models.DateField(_("on-site audit opens"))
    final_review_opens = models.DateField(_("final review opens"))
    publication_on = models.DateField(_("publication date"))
    data_from = models.DateField(_("platform figures from"))
    data_to = models.DateField(_("platform figures to"))
    weight_self = models.PositiveSmallIntegerField(_("weight of the self-assessment (%)"), default=20,
                                                   validators=[MaxValueValidator(100)])
    weight_audit = models.PositiveSmallIntegerField(_("weight of the on-site audit (%)"), default=50,
                                                    validators=[MaxValueValidator(100)])
    weight_platform = models.PositiveSmallIntegerField(_("weight of the platform figures (%)"), default=30,
                                                       validators=[MaxValueValidator(100)])
    auditors_per_site = models.PositiveSmallIntegerField(_("auditors per site"), default=2,
                                                         validators=[MinValueValidator(1)])
    auditors_outside_district = models.BooleanField(
        _("auditors only from other districts"), default=True,
        help_text=_("No auditor audits a site of the district the auditor belongs to."))
    disagreement_points = models.DecimalField(
        _("flag audits that differ by more than (points)"), max_digits=6, decimal_places=2, default=Decimal("10"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), default=clock.now, editable=False)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-year", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight_self__lte=100) & Q(weight_audit__lte=100) & Q(weight_platform__lte=100),
                name="campaign_weights_range"),
            models.CheckConstraint(
                condition=(Q(application_opens__lt=models.F("district_review_opens"))
                           & Q(district_review_opens__lt=models.F("audit_opens"))
                           & Q(audit_opens__lt=models.F("final_review_opens"))
                           & Q(final_review_opens__lte=models.F("publication_on"))),
                name="campaign_phases_ordered"),
            models.CheckConstraint(condition=Q(data_from__lte=models.F("data_to")), name="campaign_data_period"),
        ]

    def __str__(self) -> str:
        return self.name

    def phase(self, today=None) -> str:  # type: ignore[no-untyped-def]
        """The phase on ``today`` (the injectable clock's date by default)."""
        today = today or clock.today()
        if self.published_at is not None:
            return Phase.PUBLISHED
        if self.decided_at is not None:
            return Phase.DECIDED
        if today < self.application_opens:
            return Phase.PREPARATION
        if today < self.district_review_opens:
            return Phase.APPLICATION
        if today < self.audit_opens:
            return Phase.DISTRICT_REVIEW
        if today < self.final_review_opens:
            return Phase.AUDIT
        return Phase.FINAL_REVIEW

    def quota(self, kind: str) -> int:
        return self.quota_stations if kind == Station.Kind.STATION else self.quota_points

    @property
    def kinds(self) -> list[str]:
        """The kinds of site the campaign takes: those with a quota."""
        return [kind for kind in (Station.Kind.STATION, Station.Kind.POINT) if self.quota(kind)]


# ---- applications ---------------------------------------------------------------------------------------------


class ApplicationQuerySet(models.QuerySet["Application"]):
    def visible_to(self, user: User) -> ApplicationQuerySet:
        """Admins their area; a site manager its sites' applications; an auditor those assigned to it."""
        from lianxin.accounts.scope import scope_filter
        from lianxin.regions.models import subtree_q

        def auditor(account: User) -> ApplicationQuerySet:
            assigned = AuditAssignment.objects.filter(application=OuterRef("pk"), auditor=account)
            return self.filter(Exists(assigned))

        return scope_filter(  # type: ignore[return-value]
            self, user, area=lambda region: self.filter(subtree_q("station__region_path", region.path)),
            site_manager=lambda manager: self.filter(station__managers=manager),
            auditor=auditor,
        )


class Application(models.Model):
    """A site's application in a campaign, with the cached score components the ranking reads.

    Scores are percentages of the maximum (0–100): ``self_percent`` of the manual items' self-scores,
    ``audit_percent`` of the mean of the auditors' totals of the manual items, ``platform_percent`` of
    the automatic items; ``final_score`` weighs them by the campaign's weights."""

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("application", "Draft")
        SUBMITTED = "submitted", pgettext_lazy("application", "Submitted, waiting for the district")
        RETURNED = "returned", pgettext_lazy("application", "Returned for changes")
        RECOMMENDED = "recommended", pgettext_lazy("application", "Recommended by the district")
        NOT_RECOMMENDED = "not_recommended", pgettext_lazy("application", "Not recommended")
        WITHDRAWN = "withdrawn", pgettext_lazy("application", "Withdrawn")

    class Override(models.TextChoices):
        NONE = "", pgettext_lazy("override", "As ranked")
        INCLUDE = "include", pgettext_lazy("override", "Designate although not within the quota")
        EXCLUDE = "exclude", pgettext_lazy("override", "Do not designate although within the quota")

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT,
                                 related_name="applications")
    station = models.ForeignKey("stations.Station", verbose_name=_("site"), on_delete=models.PROTECT,
                                related_name="campaign_applications")
    kind = models.CharField(_("kind"), max_length=10, choices=Station.Kind.choices)  # the site's, when applying
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    summary = models.TextField(_("summary of the site's work"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    district_comment = models.TextField(_("district's comments"), blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    # cached components (kept by lianxin.campaigns.scoring)
    self_percent = models.DecimalField(_("self-assessment"), max_digits=6, decimal_places=2, null=True, blank=True)
    audit_percent = models.DecimalField(_("on-site audit"), max_digits=6, decimal_places=2, null=True, blank=True)
    platform_percent = models.DecimalField(_("platform figures"), max_digits=6, decimal_places=2, null=True, blank=True)
    final_score = models.DecimalField(_("final score"), max_digits=6, decimal_places=2, null=True, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)  # within its kind
    tied = models.BooleanField(_("tied"), default=False)
    disagreement = models.BooleanField(_("auditors disagree"), default=False)
    within_quota = models.BooleanField(_("within the quota"), default=False)
    override = models.CharField(_("committee's override"), max_length=8, choices=Override.choices, blank=True,
                                default=Override.NONE)
    override_reason = models.CharField(_("reason for the override"), max_length=300, blank=True)
    override_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    designated = models.BooleanField(_("designated"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), default=clock.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=clock.now)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["campaign", "kind", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "station"], name="application_one_per_site"),
            models.CheckConstraint(condition=Q(override="") | ~Q(override_reason=""),
                                   name="application_override_has_reason"),
        ]
        indexes = [
            # the district queue and the lists: campaign + status, then the ranking per kind
            models.Index(fields=["campaign", "status", "id"], name="application_status_idx"),
            models.Index(fields=["campaign", "kind", "rank"], name="application_rank_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.station_id}"

    @property
    def decided_in(self) -> bool:
        """Designated by the ranking and the override together (what the decision applies)."""
        if self.override == self.Override.INCLUDE:
            return True
        if self.override == self.Override.EXCLUDE:
            return False
        return self.within_quota


class ApplicationEvent(models.Model):
    """Immutable history of an application: created, submitted, returned, resubmitted, recommended …"""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    comment = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["application", "at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.action}"


class SelfScore(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="self_scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    points = models.DecimalField(_("self-score"), max_digits=6, decimal_places=2)
    note = models.TextField(_("explanation"), blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application", "criterion"], name="self_score_unique")]

    def __str__(self) -> str:
        return f"{self.application_id}/{self.criterion_id}: {self.points}"


def evidence_path(instance: Evidence, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"campaigns/evidence/{instance.application_id}/{secrets.token_hex(8)}.{suffix}"


class Evidence(models.Model):
    """Evidence for one item of an application: a file or photo, or a link to the platform's own
    activity or opinion (which must belong to the applying site)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="evidence")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(_("file"), upload_to=evidence_path, blank=True)
    activity = models.ForeignKey("activities.Activity", verbose_name=_("activity"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    opinion = models.ForeignKey("opinions.Opinion", verbose_name=_("opinion"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["application", "criterion", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(~Q(file="") & Q(activity__isnull=True) & Q(opinion__isnull=True))
                | (Q(file="") & Q(activity__isnull=False) & Q(opinion__isnull=True))
                | (Q(file="") & Q(activity__isnull=True) & Q(opinion__isnull=False)),
                name="evidence_exactly_one"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}/{self.criterion_id}: {self.caption or self.file.name or self.activity_id or self.opinion_id}"


class PlatformScore(models.Model):
    """The computed value and points of one automatic item for one application (kept by scoring)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="platform_scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)  # None: no data
    points = models.DecimalField(max_digits=6, decimal_places=2)
    computed_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application", "criterion"], name="platform_score_unique")]

    def __str__(self) -> str:
        return f"{self.application_id}/{self.criterion_id}: {self.points}"


# ---- on-site audit --------------------------------------------------------------------------------------------


class AuditAssignmentQuerySet(models.QuerySet["AuditAssignment"]):
    def visible_to(self, user: User) -> AuditAssignmentQuerySet:
        """Admins their area; an auditor its own assignments."""
        from lianxin.accounts.scope import scope_filter
        from lianxin.regions.models import subtree_q

        return scope_filter(  # type: ignore[return-value]
            self, user,
            area=lambda region: self.filter(subtree_q("application__station__region_path", region.path)),
            auditor=lambda account: self.filter(auditor=account),
        )


class AuditAssignment(models.Model):
    """An auditor assigned to an application; the visit's time and place are recorded when scored."""

    class Status(models.TextChoices):
        ASSIGNED = "assigned", pgettext_lazy("audit", "To visit")
        SUBMITTED = "submitted", pgettext_lazy("audit", "Scored")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="audits")
    auditor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("auditor"), on_delete=models.PROTECT,
                                related_name="audit_assignments")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ASSIGNED)
    notes = models.TextField(_("overall notes"), blank=True)
    visited_at = models.DateTimeField(_("visited"), null=True, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    location_accuracy = models.PositiveIntegerField(_("accuracy (m)"), null=True, blank=True)
    total = models.DecimalField(_("total"), max_digits=6, decimal_places=2, null=True, blank=True)  # of the manual items
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    assigned_at = models.DateTimeField(default=clock.now)

    objects = AuditAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit assignment")
        verbose_name_plural = _("audit assignments")
        ordering = ["application", "id"]
        constraints = [models.UniqueConstraint(fields=["application", "auditor"], name="audit_one_per_auditor")]
        indexes = [models.Index(fields=["auditor", "status", "id"], name="audit_auditor_idx")]

    def __str__(self) -> str:
        return f"{self.application_id} ← {self.auditor_id}: {self.status}"


class AuditScore(models.Model):
    assignment = models.ForeignKey(AuditAssignment, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assignment", "criterion"], name="audit_score_unique")]

    def __str__(self) -> str:
        return f"{self.assignment_id}/{self.criterion_id}: {self.points}"


def audit_photo_path(instance: AuditPhoto, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"campaigns/audit/{instance.assignment_id}/{secrets.token_hex(8)}.{suffix}"


class AuditPhoto(models.Model):
    assignment = models.ForeignKey(AuditAssignment, on_delete=models.CASCADE, related_name="photos")
    criterion = models.ForeignKey(Criterion, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(_("photo"), upload_to=audit_photo_path)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["assignment", "id"]

    def __str__(self) -> str:
        return f"{self.assignment_id}: {self.file.name}"


# ---- designations ---------------------------------------------------------------------------------------------


class DesignationQuerySet(models.QuerySet["Designation"]):
    def current(self) -> DesignationQuerySet:
        return self.filter(withdrawn_at__isnull=True)

    def visible_to(self, user: User) -> DesignationQuerySet:
        """Designations are public: everyone sees them (the public pages show the current ones)."""
        return self.all()


class Designation(models.Model):
    """A site named with a tier in a year (by a campaign's decision); withdrawn by a later re-check."""

    station = models.ForeignKey("stations.Station", verbose_name=_("site"), on_delete=models.PROTECT,
                                related_name="designations")
    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="designations")
    application = models.OneToOneField(Application, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="designation")
    tier = models.CharField(_("tier"), max_length=10, choices=Station.Tier.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    certificate_no = models.CharField(_("certificate number"), max_length=40, unique=True)
    designated_at = models.DateTimeField(_("designated"), default=clock.now)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_reason = models.CharField(_("reason for withdrawal"), max_length=300, blank=True)

    objects = DesignationQuerySet.as_manager()

    class Meta:
        verbose_name = _("designation")
        verbose_name_plural = _("designations")
        ordering = ["-year", "station__region_path", "station__code"]
        constraints = [
            models.UniqueConstraint(fields=["station", "tier"], condition=Q(withdrawn_at__isnull=True),
                                    name="designation_one_current_per_tier"),
        ]
        indexes = [models.Index(fields=["year", "tier"], name="designation_year_idx")]

    def __str__(self) -> str:
        return f"{self.station_id} {self.tier} {self.year}"

    @property
    def is_current(self) -> bool:
        return self.withdrawn_at is None


class DesignationReview(models.Model):
    """A re-check of a designation in a later year (动态管理): kept or withdrawn, with the reason."""

    class Outcome(models.TextChoices):
        KEPT = "kept", pgettext_lazy("designation review", "Kept")
        WITHDRAWN = "withdrawn", pgettext_lazy("designation review", "Withdrawn")

    designation = models.ForeignKey(Designation, on_delete=models.PROTECT, related_name="reviews")
    year = models.PositiveSmallIntegerField(_("year of the re-check"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    reason = models.TextField(_("findings"))
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["designation", "-reviewed_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["designation", "year"], name="designation_review_per_year")]

    def __str__(self) -> str:
        return f"{self.designation_id} {self.year}: {self.outcome}"


# ---- certificates ---------------------------------------------------------------------------------------------


def certificate_path(instance: CertificateDocument, filename: str) -> str:
    return f"campaigns/certificates/{secrets.token_hex(12)}.pdf"


class CertificateDocument(TaskDocument):
    """The certificates (授牌) of a campaign's designations as one PDF (``designation`` NULL: all of the
    campaign's current designations, one page each) or of one designation; made by a task."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="certificate_documents")
    designation = models.ForeignKey(Designation, null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="+")
    file = models.FileField(_("file"), upload_to=certificate_path, blank=True)

    class Meta:
        verbose_name = _("certificate document")
        verbose_name_plural = _("certificate documents")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "designation"], name="certificate_document_unique"),
            models.UniqueConstraint(fields=["campaign"], condition=Q(designation__isnull=True),
                                    name="certificate_document_one_batch"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.designation_id or '*'}: {self.status}"

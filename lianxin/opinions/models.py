"""The case engine's data: opinions (群众意见诉求), their immutable events, and what hangs off them.

State changes happen only in ``lianxin.opinions.services`` (one function per transition, see
``transitions.TRANSITIONS``); nothing else writes ``status``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianxin.core import clock
from lianxin.core.codes import READABLE_ALPHABET, readable_code
from lianxin.core.contact import CitizenContact
from lianxin.core.fields import EncryptedTextField
from lianxin.regions.models import subtree_q

if TYPE_CHECKING:
    from lianxin.accounts.models import User

TRACKING_ALPHABET = READABLE_ALPHABET


def new_tracking_code() -> str:
    return readable_code(10)


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    TRANSFERRED = "transferred", _("Transferred")
    REPLIED = "replied", _("Replied")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Not accepted")
    MERGED = "merged", _("Merged")


OPEN_STATUSES = (Status.SUBMITTED, Status.ACCEPTED, Status.TRANSFERRED, Status.REPLIED)


class Outcome(models.TextChoices):
    NONE = "", _("Not closed")
    RESOLVED = "resolved", _("Resolved")
    NOT_RESOLVED = "not_resolved", _("Not resolved")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
    COMPLEX = "complex", _("Complex")


class Channel(models.TextChoices):
    SITE_QR = "site_qr", _("Site QR code")
    DEPUTY_QR = "deputy_qr", _("Deputy QR code")
    SITE_PAGE = "site_page", _("Site page")
    PORTAL = "portal", _("Public portal")
    WALK_IN = "walk_in", _("Walk-in at a reception")
    PHONE = "phone", _("Phone call")
    VISIT = "visit", _("Home visit")
    SUPERVISION = "supervision", _("Thematic supervision")
    API = "api", _("API client")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASIC = "basic", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class RejectReason(models.TextChoices):
    """Standard reasons for not accepting, each telling the citizen where to go instead."""

    LITIGATION = "litigation", _("The matter is in litigation, arbitration or administrative review")
    PERSONAL_LEGAL = "personal_legal", _("A personal legal case")
    PETITION = "petition", _("A matter for the letters and visits (petition) office")
    NOT_IN_AREA = "not_in_area", _("Outside this area")
    INCOMPLETE = "incomplete", _("Not enough information to act on")
    OTHER = "other", _("Other reason")


class Category(models.Model):
    """A subject area of opinions (城乡建设, 环境保护, …), configured by the city."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        from django.utils.translation import get_language

        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class DeadlineRule(models.Model):
    """Working-day limits per category (blank = default) and urgency."""

    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="deadline_rules",
    )
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    accept_days = models.PositiveSmallIntegerField(_("working days to accept"), default=2)
    handle_days = models.PositiveSmallIntegerField(_("working days to handle"), default=10)
    warn_days = models.PositiveSmallIntegerField(_("warn this many working days before"), default=2)
    rating_days = models.PositiveSmallIntegerField(_("working days to rate"), default=10)

    class Meta:
        verbose_name = _("deadline rule")
        verbose_name_plural = _("deadline rules")
        constraints = [
            models.UniqueConstraint(fields=["category", "urgency"], name="deadline_rule_unique"),
            models.UniqueConstraint(
                fields=["urgency"], condition=Q(category__isnull=True), name="deadline_rule_default_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category or '*'} / {self.get_urgency_display()}"


class OpinionQuerySet(models.QuerySet["Opinion"]):
    def open(self) -> OpinionQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def visible_to(self, user: User) -> OpinionQuerySet:
        """Cases a staff account may see.

        Admins: cases at sites in their area (or, before acceptance, submitted in it); site
        managers: cases at their sites; deputies: cases addressed to them or at their sites;
        handling-unit staff: cases transferred to their unit (now or before).
        """
        from lianxin.accounts.scope import scope_filter
        from lianxin.deputies.models import Assignment

        def for_deputy(deputy_user: User) -> OpinionQuerySet:
            if not deputy_user.deputy_id:
                return self.none()
            my_sites = Assignment.objects.current().filter(deputy_id=deputy_user.deputy_id).values("station_id")
            return self.filter(Q(deputy_id=deputy_user.deputy_id) | Q(station_id__in=my_sites))

        def for_unit(staff: User) -> OpinionQuerySet:
            if not staff.unit_id:
                return self.none()
            # Now with the unit, or with it before (returned, reopened elsewhere): one id subquery
            # (a UNION of two index scans) rather than an OR, which would make the database test every
            # case of the table against the event subquery; and no join, so no DISTINCT over large lists.
            earlier = OpinionEvent.objects.filter(unit_id=staff.unit_id).order_by().values("opinion_id")
            now = Opinion.objects.filter(unit_id=staff.unit_id).order_by().values("pk")
            return self.filter(pk__in=earlier.union(now))

        return scope_filter(  # type: ignore[return-value]
            self, user, area=lambda region: self.filter(subtree_q("region_path", region.path)),
            site_manager=lambda manager: self.filter(station__managers=manager),
            deputy=for_deputy, unit_staff=for_unit,
        )


class Opinion(CitizenContact, models.Model):
    tracking_code = models.CharField(_("tracking code"), max_length=12, unique=True, default=new_tracking_code)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, default="", blank=True)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+")
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    title = models.CharField(_("title"), max_length=100)
    text = models.TextField(_("content"))
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    # Personal data: encrypted at rest, masked on screen; phone_hash finds a citizen's cases.
    citizen_name = EncryptedTextField(_("name"), blank=True)
    citizen_phone = EncryptedTextField(_("phone"), blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    consent_at = models.DateTimeField(_("privacy consent"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")

    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+",
    )
    # Copy of region.path (kept by save): area filters and scoping without a join.
    region_path = models.CharField(max_length=255, editable=False, default="")
    station = models.ForeignKey(
        "stations.Station", verbose_name=_("site"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="opinions",
    )
    deputy = models.ForeignKey(
        "deputies.Deputy", verbose_name=_("deputy"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="opinions",
    )
    unit = models.ForeignKey(
        "units.HandlingUnit", verbose_name=_("handling unit"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="opinions",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("handled by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="merged_cases",
    )
    suggestion = models.ForeignKey(
        "opinions.Suggestion", verbose_name=_("deputy suggestion"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="opinions",
    )
    # The activity (a reception day, a visit …) during which it was taken, when entered there.
    activity = models.ForeignKey(
        "activities.Activity", verbose_name=_("activity"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="opinions",
    )

    created_at = models.DateTimeField(_("submitted"), default=clock.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), default=clock.now)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    transferred_at = models.DateTimeField(_("transferred"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("receipt acknowledged"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # The deadline of the current stage (accept / handle / rate); NULL when nothing is due.
    # Indexed with status: the sweeper claims due rows with a conditional UPDATE.
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    escalation_count = models.PositiveSmallIntegerField(default=0, editable=False)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    returned_count = models.PositiveSmallIntegerField(default=0, editable=False)

    reply = models.TextField(_("reply"), blank=True)
    satisfaction = models.CharField(_("satisfaction"), max_length=12, choices=Satisfaction.choices, blank=True)
    citizen_says_resolved = models.BooleanField(_("resolved in the citizen's view"), null=True, blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    supporters = models.PositiveIntegerField(_("me too"), default=0)

    # Optimistic lock: every transition bumps it with UPDATE … WHERE version = seen.
    version = models.PositiveIntegerField(default=0, editable=False)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)

    objects = OpinionQuerySet.as_manager()

    class Meta:
        verbose_name = _("opinion")
        verbose_name_plural = _("opinions")
        ordering = ["-created_at", "-id"]
        indexes = [
            # staff lists: area subtree + status, newest first, keyset on (created_at, id)
            models.Index(fields=["region_path", "status", "-created_at", "-id"], name="opinion_area_status_idx"),
            models.Index(fields=["status", "-created_at", "-id"], name="opinion_status_idx"),
            # A site's or unit's cases newest first (the list filtered by site or unit, a unit's inbox);
            # a status filter on top reads a few thousand rows at most, in order.
            models.Index(fields=["station", "-created_at", "-id"], name="opinion_station_time_idx"),
            models.Index(fields=["unit", "-created_at", "-id"], name="opinion_unit_time_idx"),
            models.Index(fields=["unit", "status", "due_at"], name="opinion_unit_due_idx"),
            models.Index(fields=["deputy", "status", "-created_at"], name="opinion_deputy_idx"),
            models.Index(fields=["category", "status", "-created_at"], name="opinion_category_idx"),
            # the deadline sweeper and the "due soon / overdue" queues
            models.Index(fields=["status", "due_at"], name="opinion_due_idx"),
            # keyword search (PostgreSQL): a rare word's matching ids are sorted by time and checked
            # against scope and status from the index alone, without reading the rows
            models.Index(fields=["id"], include=["created_at", "region_path", "status", "station", "unit"],
                         name="opinion_search_idx"),
            # an area's filtered list counted from the index alone (urgency, channel, unit … of a district)
            models.Index(fields=["region_path"], include=["status", "urgency", "channel", "category", "station", "unit",
                                                          "deputy", "created_at"], name="opinion_area_filter_idx"),
            # the "unsatisfied" queue: a few per cent of the cases, counted and listed by area
            models.Index(fields=["region_path", "-created_at", "-id"], condition=Q(satisfaction="unsatisfied"),
                         name="opinion_unsatisfied_idx"),
            # the public transparency page: the matters resolved most recently
            models.Index(fields=["-closed_at", "-id"], condition=Q(status="closed", outcome="resolved"),
                         name="opinion_resolved_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_code} {self.title}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        fields = kwargs.get("update_fields")
        derived = []
        if fields is None or "region" in fields:
            self.region_path = self.region.path
            derived.append("region_path")
        if fields is not None:
            kwargs["update_fields"] = {*fields, *derived}
        super().save(*args, **kwargs)  # CitizenContact keeps phone_hash

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, now: Any = None) -> bool:
        return bool(self.due_at and self.is_open and self.due_at < (now or clock.now()))


class OpinionEvent(models.Model):
    """One step in a case's history. Written with the state change, in the same transaction; never changed."""

    opinion = models.ForeignKey(Opinion, verbose_name=_("opinion"), on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(_("time"), default=clock.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    # Who acted when there is no account: "citizen" or "system".
    actor_kind = models.CharField(max_length=10, default="staff")
    action = models.CharField(_("action"), max_length=32)
    from_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    public_note = models.TextField(_("note to the citizen"), blank=True)
    internal_note = models.TextField(_("internal note"), blank=True)
    unit = models.ForeignKey(
        "units.HandlingUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["opinion", "created_at", "id"], name="event_opinion_idx"),
            # a unit's cases (its scope, its "replied" tab) from the index alone
            models.Index(fields=["unit", "action", "opinion"], name="event_unit_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.opinion_id} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Case events are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("Case events cannot be deleted.")


class Attachment(models.Model):
    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="opinions/%Y/%m/")
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.file.name


class Supporter(models.Model):
    """A citizen's "me too" on an existing case (counted once per phone)."""

    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="supporter_rows")
    phone_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["opinion", "phone_hash"], name="supporter_once")]

    def __str__(self) -> str:
        return f"+1 {self.opinion_id}"


class ExtensionRequest(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("extension", "Pending")
        APPROVED = "approved", pgettext_lazy("extension", "Approved")
        DENIED = "denied", pgettext_lazy("extension", "Denied")

    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="extension_requests")
    unit = models.ForeignKey("units.HandlingUnit", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    working_days = models.PositiveSmallIntegerField(_("extra working days"))
    reason = models.TextField(_("reason"))
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        constraints = [
            models.UniqueConstraint(
                fields=["opinion"], condition=Q(state="pending"), name="extension_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.opinion_id} +{self.working_days}"


class ResponseTemplate(models.Model):
    """Reusable reply text; unit-specific or shared (unit blank)."""

    name = models.CharField(_("name"), max_length=50)
    text = models.TextField(_("text"))
    unit = models.ForeignKey(
        "units.HandlingUnit", verbose_name=_("handling unit"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="response_templates",
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("response template")
        verbose_name_plural = _("response templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SuggestionQuerySet(models.QuerySet["Suggestion"]):
    def visible_to(self, user: User) -> SuggestionQuerySet:
        """Admins: their area; deputies: their own; handling units: those assigned to them."""
        from lianxin.accounts.scope import scope_filter

        return scope_filter(  # type: ignore[return-value]
            self, user, area=lambda region: self.filter(subtree_q("region_path", region.path)),
            deputy=lambda deputy_user: self.filter(deputy_id=deputy_user.deputy_id) if deputy_user.deputy_id else self.none(),
            unit_staff=lambda staff: self.filter(unit_id=staff.unit_id) if staff.unit_id else self.none(),
        )


class Suggestion(models.Model):
    """A formal deputy suggestion (代表建议) made from general opinions; answered within three months."""

    class State(models.TextChoices):
        FILED = "filed", pgettext_lazy("suggestion", "Filed")
        ANSWERED = "answered", pgettext_lazy("suggestion", "Answered")
        CLOSED = "closed", pgettext_lazy("suggestion", "Closed")

    title = models.CharField(_("title"), max_length=100)
    text = models.TextField(_("content"))
    deputy = models.ForeignKey("deputies.Deputy", verbose_name=_("deputy"), on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        "units.HandlingUnit", verbose_name=_("handling unit"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255, editable=False, default="")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.FILED)
    due_on = models.DateField(_("answer due"))
    answer = models.TextField(_("answer"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    objects = SuggestionQuerySet.as_manager()

    class Meta:
        verbose_name = _("deputy suggestion")
        verbose_name_plural = _("deputy suggestions")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["region_path", "state", "-created_at"], name="suggestion_area_idx")]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.region_path = self.region.path
        super().save(*args, **kwargs)


class OpinionGram(models.Model):
    """Bigram index for Chinese keyword search (two-character keywords included), on both databases.

    Each opinion's title and text are cut into overlapping two-character grams; a query's grams
    are looked up here (index on gram) and the candidates confirmed by substring match.
    """

    gram = models.CharField(max_length=2)
    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="grams")
    # The opinion's created_at (never changes): a gram's opinions newest first straight from the
    # index, so the matches of a selective keyword need no sort of all of them.
    created_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["gram", "opinion"], name="opinion_gram_unique")]
        indexes = [models.Index(fields=["gram", "-created_at", "-opinion"], name="opinion_gram_time_idx")]

    def __str__(self) -> str:
        return self.gram


class NotificationQuerySet(models.QuerySet["Notification"]):
    def visible_to(self, user: Any) -> NotificationQuerySet:
        """A staff account's own notices, and nobody else's."""
        return self.filter(user=user) if getattr(user, "is_authenticated", False) else self.none()

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An in-app notice for a staff account (listed on /staff/notifications/, counted in the top bar)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    opinion = models.ForeignKey(Opinion, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=clock.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notification_inbox_idx")]

    def __str__(self) -> str:
        return self.message


class OpinionIntake(models.Model):
    """A public submission as it arrived, stored with one INSERT before the answer (201 + tracking code).

    The case engine registers it right after (``services.register_new``, run by the queue's drain
    ``register_new_intakes``; the sweep registers any left behind), making the ``Opinion`` with the same tracking code, its
    ``submit`` event, search index and notifications in one transaction. So an acknowledged
    submission is never lost, and the request does only the cheap part.
    """

    # A queue table written once per public submission: only the indexes it is read by (its unique keys,
    # its case, the pending ones), none for the references (never filtered on) and no LIKE copies of the
    # unique keys (a unique constraint, not unique=True, which adds one on PostgreSQL).
    # No foreign-key constraints in the database either: each check locks the referenced row (FOR KEY
    # SHARE), and concurrent submissions to one site all lock the same site, category and region rows —
    # bench/submit.py lost a fifth of its throughput to it. The references come from the API's lookups
    # of open sites and active categories, the case made from the intake has the constraints, and
    # PROTECT still keeps Django from deleting a referenced row.
    tracking_code = models.CharField(max_length=12, default=new_tracking_code)
    idempotency_key = models.CharField(max_length=64)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+", db_index=False,
                                 db_constraint=False)
    station = models.ForeignKey("stations.Station", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+", db_index=False, db_constraint=False)
    deputy = models.ForeignKey("deputies.Deputy", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", db_index=False, db_constraint=False)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", db_index=False,
                               db_constraint=False)
    channel = models.CharField(max_length=12, choices=Channel.choices)
    title = models.CharField(max_length=100)
    text = models.TextField()
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    citizen_name = EncryptedTextField(blank=True)
    citizen_phone = EncryptedTextField(blank=True)
    language = models.CharField(max_length=10, default="zh-hans")
    created_at = models.DateTimeField(default=clock.now)
    due_at = models.DateTimeField(null=True, blank=True)  # as answered to the citizen
    # Its case once registered: unique among the registered only (intake_opinion_uniq), so the INSERT of a
    # new submission adds no entry for its empty reference to any index.
    opinion = models.ForeignKey(Opinion, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                                db_index=False)
    registered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("received submission")
        verbose_name_plural = _("received submissions")
        constraints = [
            models.UniqueConstraint(fields=["tracking_code"], name="intake_tracking_code_uniq"),
            models.UniqueConstraint(fields=["idempotency_key"], name="intake_idempotency_key_uniq"),
            models.UniqueConstraint(fields=["opinion"], name="intake_opinion_uniq",
                                    condition=models.Q(opinion__isnull=False)),
        ]
        # The submissions not registered yet (a handful at any moment): the queue's drain and the sweep.
        indexes = [models.Index(fields=["created_at"], name="intake_pending_idx",
                                condition=models.Q(registered_at__isnull=True))]

    def __str__(self) -> str:
        return self.tracking_code


class SubmitCounter(models.Model):
    """Public API submissions of one address or one phone in one window of a rate limit.

    On PostgreSQL the public API counts its two limits (per address, per phone) in the same statement
    as the intake's INSERT (``services.receive_submission``): one round trip for the limits and the
    row, no cache server on the way. The table is UNLOGGED (migration 0012: no WAL; after a crash
    PostgreSQL empties it, which only restarts the windows) and expired windows are deleted by the
    queue (``tasks.purge_submit_counters``). Other databases count these limits in the cache, as every
    other limit is (``lianxin.core.ratelimit``).
    """

    # ratelimit.window_id: 64 bits of a keyed hash of the scope, the address or phone (never stored
    # itself) and the window's number. An integer key: no second (LIKE) index as a text key would get.
    key = models.BigIntegerField(primary_key=True)
    count = models.IntegerField(default=0)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("submission counter")
        verbose_name_plural = _("submission counters")

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"

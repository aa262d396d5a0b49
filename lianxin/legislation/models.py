"""Consultation on draft laws (立法征求意见): a draft split into articles, comments per article, adoption.

A ``Consultation`` holds a draft imported from plain text or Markdown and split into chapters and
articles by the 第…章 / 第…条 headings (``splitter``), the dates of its phases and the sites taking
part. Citizens comment per article online; staff enter comments gathered at site sessions
(activities of kind ``legislation``). Comments are moderated; staff mark them adopted, partly
adopted or not adopted, and commenters who left contact details are told.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianxin.core import clock
from lianxin.core.contact import CitizenContact
from lianxin.core.documents import TaskDocument
from lianxin.core.fields import EncryptedTextField

if TYPE_CHECKING:
    from lianxin.accounts.models import User


class ConsultationQuerySet(models.QuerySet["Consultation"]):
    def visible_to(self, user: User) -> ConsultationQuerySet:
        """Admins: consultations run in their area or with sites in it; site staff and deputies: their sites'."""
        from lianxin.accounts.scope import scope_filter
        from lianxin.regions.models import subtree_q
        from lianxin.stations.models import Station

        def by_sites(u: User) -> ConsultationQuerySet:
            return self.filter(stations__in=Station.objects.visible_to(u)).distinct()

        return scope_filter(  # type: ignore[return-value]
            self, user,
            area=lambda region: self.filter(
                subtree_q("region__path", region.path) | Q(stations__region_path__startswith=region.path)
            ).distinct(),
            site_manager=by_sites, deputy=by_sites,
        )

    def public(self) -> ConsultationQuerySet:
        return self.exclude(status=Consultation.Status.DRAFT)


class Consultation(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Being prepared")
        OPEN = "open", _("Open for comments")
        CLOSED = "closed", pgettext_lazy("consultation", "Closed")
        REPORTED = "reported", _("Feedback given")

    title = models.CharField(_("title of the draft"), max_length=200)
    organiser = models.CharField(_("legislative body"), max_length=100)
    summary = models.TextField(_("introduction"), blank=True)
    source_text = models.TextField(_("draft text as imported"))
    region = models.ForeignKey("regions.Region", verbose_name=_("area"), on_delete=models.PROTECT,
                               related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    opens_on = models.DateField(_("comments from"))
    closes_on = models.DateField(_("comments until"))
    report_due_on = models.DateField(_("feedback to the legislature by"), null=True, blank=True)
    stations = models.ManyToManyField("stations.Station", verbose_name=_("sites taking part"), blank=True,
                                      related_name="consultations")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=clock.now, editable=False)

    objects = ConsultationQuerySet.as_manager()

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-opens_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(closes_on__gte=models.F("opens_on")),
                                              name="consultation_period")]
        indexes = [
            # the staff list's status filter with its keyset order; the public list of open ones
            models.Index(fields=["status", "-opens_on", "-id"], name="consultation_status_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class DraftArticle(models.Model):
    """One article (条) of the draft, within its chapter (章) when the draft has chapters."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="articles")
    order = models.PositiveIntegerField()
    chapter_number = models.PositiveIntegerField(null=True, blank=True)
    chapter_title = models.CharField(max_length=200, blank=True)  # e.g. 第二章 管理与服务
    number = models.PositiveIntegerField()  # 12 for 第十二条
    label = models.CharField(max_length=20)  # 第十二条
    text = models.TextField()
    deleted = models.BooleanField(default=False)  # withdrawn from a revised draft: no new comments

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["consultation_id", "order"]
        constraints = [models.UniqueConstraint(fields=["consultation", "number"], name="article_unique_number")]

    def __str__(self) -> str:
        return self.label


class CommentQuerySet(models.QuerySet["Comment"]):
    def visible_to(self, user: User) -> CommentQuerySet:
        return self.filter(consultation__in=Consultation.objects.visible_to(user))


class Comment(CitizenContact, models.Model):
    class Channel(models.TextChoices):
        ONLINE = "online", _("Online")
        SITE = "site", _("At a site session")

    class Moderation(models.TextChoices):
        PENDING = "pending", _("Waiting for moderation")
        APPROVED = "approved", _("Published")
        REJECTED = "rejected", _("Not published")

    class Adoption(models.TextChoices):
        UNDECIDED = "", _("Not decided")
        ADOPTED = "adopted", _("Adopted")
        PARTLY = "partly", _("Partly adopted")
        NOT_ADOPTED = "not_adopted", _("Not adopted")

    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="comments")
    article = models.ForeignKey(DraftArticle, verbose_name=_("article"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="comments")  # None: the draft as a whole
    text = models.TextField(_("comment"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    station = models.ForeignKey("stations.Station", verbose_name=_("site"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey("activities.Activity", verbose_name=_("site session"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="legislation_comments")
    # Contact details are optional; kept encrypted, for telling the commenter about adoption.
    citizen_name = EncryptedTextField(_("name"), blank=True)
    citizen_phone = EncryptedTextField(_("phone"), blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    language = models.CharField(max_length=10, default="zh-hans")
    moderation = models.CharField(_("moderation"), max_length=10, choices=Moderation.choices,
                                  default=Moderation.PENDING)
    adoption = models.CharField(_("adoption"), max_length=12, choices=Adoption.choices, blank=True, default="")
    adoption_reason = models.CharField(_("reason"), max_length=500, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    notified_at = models.DateTimeField(null=True, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(default=clock.now)

    objects = CommentQuerySet.as_manager()

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["consultation_id", "article_id", "id"]
        indexes = [
            models.Index(fields=["consultation", "moderation", "article"], name="comment_moderation_idx"),
            models.Index(fields=["article", "moderation"], name="comment_article_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.consultation_id}/{self.article_id}: {self.text[:20]}"



def summary_pdf_path(instance: SummaryDocument, filename: str) -> str:
    import secrets

    return f"legislation/summaries/{instance.consultation_id}/{secrets.token_hex(8)}.pdf"


class SummaryDocument(TaskDocument):
    """The printable summary of a consultation as a PDF, made by a task; a new one replaces the old.

    The file lives under MEDIA_ROOT with an unguessable name and is only served by a scoped staff view.
    """

    consultation = models.OneToOneField(Consultation, on_delete=models.CASCADE, related_name="summary_document")
    file = models.FileField(_("file"), upload_to=summary_pdf_path, blank=True)
    comment_count = models.PositiveIntegerField(_("comments at generation"), default=0)

    class Meta:
        verbose_name = _("summary document")
        verbose_name_plural = _("summary documents")

    def __str__(self) -> str:
        return f"{self.consultation_id}: {self.status}"

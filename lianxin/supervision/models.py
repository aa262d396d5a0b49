"""Thematic supervision (主题监督): a topic, its deputies, period and sites; field visits; recommendations.

Field visits are activities of kind ``supervision`` linked to the topic (``Activity.topic``). What the
deputies find becomes ``Recommendation``s, each carried by a case of the case engine (an ``Opinion``
of channel ``supervision``, transferred to a handling unit with a deadline), with its progress in
per cent and milestones; the topic's progress is rolled up from them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lianxin.core import clock

if TYPE_CHECKING:
    from lianxin.accounts.models import User


class TopicQuerySet(models.QuerySet["Topic"]):
    def visible_to(self, user: User) -> TopicQuerySet:
        """Admins: topics of their area, above it or elsewhere when they take part through its sites;
        site managers and deputies: their sites' topics (deputies also those they are named in);
        handling-unit staff: topics with a recommendation whose case their unit handles (now or before).

        Subqueries rather than joins: no duplicate rows, so no DISTINCT under the list's ordering.
        """
        from lianxin.accounts.scope import scope_filter
        from lianxin.opinions.models import Opinion
        from lianxin.regions.models import subtree_q
        from lianxin.stations.models import Station

        through = Topic.stations.through

        def at_sites(sites: models.QuerySet[Any]) -> Q:
            return Q(pk__in=through.objects.filter(station__in=sites).values("topic_id"))

        def area(region: Any) -> TopicQuerySet:
            return self.filter(subtree_q("region__path", region.path)
                               | at_sites(Station.objects.filter(subtree_q("region_path", region.path))))

        def deputy(u: User) -> TopicQuerySet:
            if not u.deputy_id:
                return self.none()
            named = Topic.deputies.through.objects.filter(deputy_id=u.deputy_id).values("topic_id")
            return self.filter(Q(pk__in=named) | at_sites(Station.objects.visible_to(u)))

        def unit_staff(u: User) -> TopicQuerySet:
            if not u.unit_id:
                return self.none()
            cases = Opinion.objects.visible_to(u).values("pk")
            return self.filter(pk__in=Recommendation.objects.filter(opinion__in=cases).values("topic_id"))

        return scope_filter(  # type: ignore[return-value]
            self, user, area=area,
            site_manager=lambda u: self.filter(at_sites(Station.objects.visible_to(u))),
            deputy=deputy, unit_staff=unit_staff,
        )

    def public(self) -> TopicQuerySet:
        return self.filter(published=True)


class Topic(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ACTIVE = "active", _("Under way")
        CONCLUDED = "concluded", _("Concluded")

    title = models.CharField(_("topic"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    # The congress that runs it: its area bounds the sites and handling units.
    region = models.ForeignKey("regions.Region", verbose_name=_("area"), on_delete=models.PROTECT,
                               related_name="+")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    published = models.BooleanField(_("shown on the public page"), default=False)
    # The mean of its recommendations' progress, kept up to date with each milestone (cheap for lists).
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    deputies = models.ManyToManyField("deputies.Deputy", verbose_name=_("deputies"), blank=True,
                                      related_name="supervision_topics")
    stations = models.ManyToManyField("stations.Station", verbose_name=_("sites"), blank=True,
                                      related_name="supervision_topics")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=clock.now, editable=False)

    objects = TopicQuerySet.as_manager()

    class Meta:
        verbose_name = _("supervision topic")
        verbose_name_plural = _("supervision topics")
        ordering = ["-starts_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")),
                                              name="topic_period"),
                       models.CheckConstraint(condition=Q(progress__lte=100), name="topic_progress")]
        indexes = [
            models.Index(fields=["status", "starts_on", "id"], name="topic_status_idx"),
            models.Index(fields=["region", "starts_on", "id"], name="topic_region_idx"),
            models.Index(fields=["published", "starts_on", "id"], name="topic_public_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class Recommendation(models.Model):
    """A finding turned into a recommendation, routed through the case engine; progress 0–100 with milestones."""

    topic = models.ForeignKey(Topic, verbose_name=_("topic"), on_delete=models.PROTECT,
                              related_name="recommendations")
    visit = models.ForeignKey("activities.Activity", verbose_name=_("field visit"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="recommendations")
    opinion = models.OneToOneField("opinions.Opinion", verbose_name=_("case"), on_delete=models.PROTECT,
                                   related_name="recommendation")
    title = models.CharField(_("recommendation"), max_length=120)
    text = models.TextField(_("finding and recommendation"))
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        ordering = ["topic_id", "id"]
        constraints = [models.CheckConstraint(condition=Q(progress__lte=100), name="recommendation_progress")]

    def __str__(self) -> str:
        return self.title


class Milestone(models.Model):
    """A step of a recommendation's progress, reported by the unit or recorded by staff."""

    recommendation = models.ForeignKey(Recommendation, on_delete=models.CASCADE, related_name="milestones")
    on = models.DateField(_("date"))
    text = models.CharField(_("milestone"), max_length=300)
    progress = models.PositiveSmallIntegerField(_("progress (%)"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["recommendation_id", "on", "id"]
        constraints = [models.CheckConstraint(condition=Q(progress__lte=100), name="milestone_progress")]

    def __str__(self) -> str:
        return f"{self.on} {self.text}"

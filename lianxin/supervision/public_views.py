"""Public pages of thematic supervision, under /t/: the published topics and each topic's progress.

Only published topics; deputies by name only, visits that were held (date and site), the
recommendations with their handling unit, progress and milestones. No personal data, no case details.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from lianxin.activities.models import Activity
from lianxin.core.pagination import keyset_page

from .models import Milestone, Topic

LIST_ORDER = ("-starts_on", "-id")


def topic_list(request: HttpRequest) -> HttpResponse:
    topics = Topic.objects.public().select_related("region").only(
        "title", "starts_on", "ends_on", "status", "progress", "region__name", "published")
    page = keyset_page(topics, LIST_ORDER, request.GET.get("cursor"), settings.PAGE_SIZE)
    return render(request, "supervision/public/list.html", {"page": page, "total": topics.count()})


def topic_detail(request: HttpRequest, pk: int) -> HttpResponse:
    topic = get_object_or_404(Topic.objects.public().select_related("region"), pk=pk)
    recommendations = (
        topic.recommendations.select_related("opinion__unit", "visit__station")
        .only("title", "text", "progress", "topic_id", "visit__starts_at", "visit__station__name",
              "opinion__status", "opinion__due_at", "opinion__unit__name")
        .prefetch_related(Prefetch("milestones", queryset=Milestone.objects.only(
            "recommendation_id", "on", "text", "progress").order_by("on", "id")))
        .order_by("id")
    )
    return render(request, "supervision/public/detail.html", {
        "topic": topic,
        "deputies": topic.deputies.order_by("name", "id").values_list("name", flat=True),
        "stations": topic.stations.order_by("region_path", "name", "id").only("name", "address"),
        "visits": topic.activities.filter(status=Activity.Status.HELD).select_related("station")
        .only("starts_at", "station__name").order_by("starts_at", "id"),
        "recommendations": recommendations,
    })

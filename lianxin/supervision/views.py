"""Staff pages of thematic supervision, under /staff/supervision/.

Topics (list, create, edit, detail), a field visit, a recommendation, a milestone, and the handling
units' "my recommendations". Every read goes through ``Topic.objects.visible_to``; every change
through ``services``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from lianxin.accounts.decorators import staff_required
from lianxin.accounts.models import Role
from lianxin.core import clock
from lianxin.core.pagination import keyset_page
from lianxin.opinions.models import Opinion

from . import services
from .forms import MilestoneForm, RecommendationForm, TopicFilterForm, TopicForm, VisitForm
from .models import Milestone, Recommendation, Topic
from .services import SupervisionError

LIST_ORDER = ("-starts_on", "-id")
MINE_ORDER = ("-id",)


def _topics(request: HttpRequest) -> Any:
    return Topic.objects.visible_to(request.user)  # type: ignore[arg-type]


@staff_required
def topic_list(request: HttpRequest) -> HttpResponse:
    form = TopicFilterForm(request.GET or None, user=request.user)
    topics = form.filter(_topics(request)).select_related("region")
    page = keyset_page(topics, LIST_ORDER, request.GET.get("cursor"), settings.PAGE_SIZE)
    return render(request, "supervision/staff/list.html", {
        "form": form, "page": page, "total": topics.count(),
        "can_create": services.can_manage(request.user),  # type: ignore[arg-type]
        "is_unit_staff": getattr(request.user, "role", "") == Role.UNIT_STAFF,
    })


def _recommendations(request: HttpRequest, topic: Topic) -> list[Recommendation]:
    user: Any = request.user
    rows = topic.recommendations.select_related("opinion__unit", "visit__station").prefetch_related(
        Prefetch("milestones", queryset=Milestone.objects.order_by("on", "id")))
    if user.role == Role.UNIT_STAFF and not user.is_superuser:
        # A unit sees the recommendations its unit handles (or handled), not the other units'.
        rows = rows.filter(opinion__in=Opinion.objects.visible_to(user).values("pk"))
    recommendations = list(rows.order_by("id"))
    visible_cases = set(Opinion.objects.visible_to(user).filter(
        pk__in=[r.opinion_id for r in recommendations]).values_list("pk", flat=True))
    for rec in recommendations:
        rec.topic = topic
        rec.case_visible = rec.opinion_id in visible_cases  # type: ignore[attr-defined]
        rec.can_record = services.can_record_progress(user, rec)  # type: ignore[attr-defined]
    return recommendations


@staff_required
def topic_detail(request: HttpRequest, pk: int) -> HttpResponse:
    topic = get_object_or_404(_topics(request).select_related("region", "created_by"), pk=pk)
    return render(request, "supervision/staff/detail.html", {
        "topic": topic,
        "deputies": topic.deputies.order_by("name", "id"),
        "stations": topic.stations.select_related("region").order_by("region_path", "name", "id"),
        "visits": topic.activities.select_related("station").order_by("starts_at", "id"),
        "recommendations": _recommendations(request, topic),
        "can_manage": services.can_manage(request.user, topic),  # type: ignore[arg-type]
    })


def _topic_values(form: TopicForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {key: data[key] for key in ("title", "description", "region", "starts_on", "ends_on", "status",
                                       "published", "stations", "deputies")}


@staff_required
def topic_create(request: HttpRequest) -> HttpResponse:
    if not services.can_manage(request.user):  # type: ignore[arg-type]
        raise PermissionDenied
    form = TopicForm(request.POST or None, user=request.user,
                     initial={"region": services.admin_region(request.user), "status": Topic.Status.PLANNED})  # type: ignore[arg-type]
    if request.method == "POST" and form.is_valid():
        try:
            topic = services.create_topic(request.user, request=request, **_topic_values(form))  # type: ignore[arg-type]
        except SupervisionError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Topic created."))
            return redirect("supervision:detail", topic.pk)
    return render(request, "supervision/staff/form.html", {"form": form, "topic": None})


@staff_required
def topic_edit(request: HttpRequest, pk: int) -> HttpResponse:
    topic = get_object_or_404(_topics(request).select_related("region"), pk=pk)
    if not services.can_manage(request.user, topic):  # type: ignore[arg-type]
        raise PermissionDenied
    initial = {"title": topic.title, "description": topic.description, "region": topic.region,
               "starts_on": topic.starts_on, "ends_on": topic.ends_on, "status": topic.status,
               "published": topic.published, "stations": list(topic.stations.all()),
               "deputies": list(topic.deputies.all())}
    form = TopicForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_topic(request.user, topic, request=request, **_topic_values(form))  # type: ignore[arg-type]
        except SupervisionError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Topic saved."))
            return redirect("supervision:detail", topic.pk)
    return render(request, "supervision/staff/form.html", {"form": form, "topic": topic})


@never_cache
@staff_required
def deputy_search(request: HttpRequest) -> JsonResponse:
    """The topic form's deputy chooser: ``?q=<part of a name>&region=<the topic's area>``, at most 20
    deputies the user may see, working at sites within the area (default: the user's whole area)."""
    user: Any = request.user
    if not services.can_manage(user):
        raise PermissionDenied
    region = None
    raw = request.GET.get("region", "").strip()
    if raw:
        region = services.area_choices(user).filter(pk=raw).first() if raw.isdigit() else None
        if region is None:
            return JsonResponse({"error": _("Choose your own area or a region within it.")}, status=400)
    return JsonResponse({"results": services.search_deputies(user, request.GET.get("q", ""), region=region)})


def _managed_topic(request: HttpRequest, pk: int) -> Topic:
    topic = get_object_or_404(_topics(request).select_related("region"), pk=pk)
    if not services.can_manage(request.user, topic):  # type: ignore[arg-type]
        raise PermissionDenied
    return topic


@staff_required
def visit_create(request: HttpRequest, pk: int) -> HttpResponse:
    topic = _managed_topic(request, pk)
    form = VisitForm(request.POST or None, topic=topic)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            visit = services.schedule_visit(request.user, topic, station=data["station"], title=data["title"],  # type: ignore[arg-type]
                                            starts_at=data["starts_at"], ends_at=data["ends_at"],
                                            description=data["description"], request=request)
        except SupervisionError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Field visit planned: publish it and close it as held on the activity's page."))
            return redirect("activities:detail", visit.pk)
    return render(request, "supervision/staff/visit_form.html", {"form": form, "topic": topic})


@staff_required
def recommendation_create(request: HttpRequest, pk: int) -> HttpResponse:
    topic = _managed_topic(request, pk)
    initial: dict[str, Any] = {"working_days": 15}
    if request.GET.get("visit", "").isdigit():
        initial["visit"] = request.GET["visit"]
    form = RecommendationForm(request.POST or None, topic=topic, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.create_recommendation(
                request.user, topic, title=data["title"], text=data["text"], unit=data["unit"],  # type: ignore[arg-type]
                category=data["category"], working_days=data["working_days"], visit=data["visit"],
                station=data["station"], request=request)
        except SupervisionError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Recommendation made and transferred to the handling unit."))
            return redirect("supervision:detail", topic.pk)
    return render(request, "supervision/staff/recommendation_form.html", {"form": form, "topic": topic})


@staff_required
def milestone_create(request: HttpRequest, pk: int) -> HttpResponse:
    rec = get_object_or_404(
        Recommendation.objects.filter(topic__in=_topics(request).values("pk"))
        .select_related("topic__region", "opinion__unit").prefetch_related("milestones"), pk=pk)
    if not services.can_record_progress(request.user, rec):  # type: ignore[arg-type]
        raise PermissionDenied
    form = MilestoneForm(request.POST or None, initial={"on": clock.today(), "progress": rec.progress})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.add_milestone(request.user, rec, on=data["on"], text=data["text"],  # type: ignore[arg-type]
                                   progress=data["progress"], request=request)
        except SupervisionError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Progress recorded."))
            if getattr(request.user, "role", "") == Role.UNIT_STAFF:
                return redirect("supervision:mine")
            return redirect("supervision:detail", rec.topic_id)
    return render(request, "supervision/staff/milestone_form.html", {"form": form, "rec": rec})


@staff_required
def mine(request: HttpRequest) -> HttpResponse:
    """Unit staff: the recommendations their unit handles now; admins: those of the topics they see."""
    user: Any = request.user
    rows = Recommendation.objects.filter(topic__in=_topics(request).values("pk"))
    if user.role == Role.UNIT_STAFF and not user.is_superuser:
        rows = rows.filter(opinion__unit_id=user.unit_id) if user.unit_id else rows.none()
    rows = rows.select_related("topic__region", "opinion__unit")
    page = keyset_page(rows, MINE_ORDER, request.GET.get("cursor"), settings.PAGE_SIZE)
    visible_cases = set(Opinion.objects.visible_to(user).filter(
        pk__in=[r.opinion_id for r in page.rows]).values_list("pk", flat=True))
    for rec in page.rows:
        rec.can_record = services.can_record_progress(user, rec)
        rec.case_visible = rec.opinion_id in visible_cases
    return render(request, "supervision/staff/mine.html", {"page": page, "total": rows.count()})

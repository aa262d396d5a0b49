"""Forms of the supervision pages: the topics' filter bar, a topic, a visit, a recommendation, a milestone.

The forms check types and ranges; the rules (area, sites, deputies, progress) live in ``services``
and come back as form errors.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianxin.core.forms import BootstrapMixin
from lianxin.core.widgets import SearchSelectMultiple
from lianxin.opinions.models import Category
from lianxin.regions.forms import RegionChoiceField
from lianxin.regions.models import Region, subtree_q
from lianxin.stations.models import Station
from lianxin.units.models import HandlingUnit

from . import services
from .models import Topic

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class _TopicFilter(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses")), *Topic.Status.choices])
    region = RegionChoiceField(label=_("Area"), queryset=Region.objects.none(), required=False,
                               empty_label=_("All areas"), indent=True)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.visible_to(user).filter(  # type: ignore[attr-defined]
            level__in=[Region.Level.CITY, Region.Level.COUNTY, Region.Level.TOWNSHIP])

    def filter(self, queryset: QuerySet[Topic]) -> QuerySet[Topic]:
        """Apply the valid filters; an invalid one (a stale id in a URL) is ignored."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if data.get("status"):
            queryset = queryset.filter(status=data["status"])
        if data.get("region"):
            queryset = queryset.filter(subtree_q("region__path", data["region"].path))
        return queryset


class TopicFilterForm(BootstrapMixin, _TopicFilter):
    pass


class _TopicForm(forms.Form):
    title = forms.CharField(label=_("Topic"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    region = RegionChoiceField(label=_("Area"), queryset=Region.objects.none())
    starts_on = forms.DateField(label=_("From"), widget=DATE)
    ends_on = forms.DateField(label=_("Until"), widget=DATE)
    status = forms.ChoiceField(label=_("Status"), choices=Topic.Status.choices)
    published = forms.BooleanField(label=_("Shown on the public page"), required=False)
    stations = forms.ModelMultipleChoiceField(
        label=pgettext_lazy("supervision", "Sites"), queryset=Region.objects.none(), required=False,
        widget=SearchSelectMultiple(placeholder=_("Type a site's name…")),
        error_messages={"invalid_choice": _("Choose active sites within the topic's area.")})
    deputies = forms.ModelMultipleChoiceField(
        label=_("Deputies"), queryset=Region.objects.none(), required=False,
        widget=SearchSelectMultiple(placeholder=_("Type a deputy's name…"), forward=("region",)),
        error_messages={"invalid_choice": _("Choose deputies working at sites within the topic's area.")})

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        areas = services.area_choices(user).filter(level__lte=Region.Level.TOWNSHIP)
        self.fields["region"].queryset = areas  # type: ignore[attr-defined]
        scope = services.topic_scope(user)
        sites = services.site_choices(scope).order_by("region_path", "name", "id") if scope else Station.objects.none()
        # Thousands of deputies in a city: only the chosen ones are rendered, the others are searched.
        deputies = services.deputy_options(user).order_by("name", "id")
        self.fields["stations"].queryset = sites  # type: ignore[attr-defined]
        self.fields["deputies"].queryset = deputies  # type: ignore[attr-defined]
        self.fields["deputies"].widget.search_url = reverse("supervision:deputy_search")
        self.fields["stations"].help_text = _("Active sites within the topic's area.")
        self.fields["deputies"].help_text = _("Deputies working at sites within the topic's area: type a name to search.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The period must end on or after the day it starts."))
        return data


class TopicForm(BootstrapMixin, _TopicForm):
    pass


class _VisitForm(forms.Form):
    station = forms.ModelChoiceField(label=_("Site"), queryset=Region.objects.none())
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = forms.DateTimeField(label=_("Starts"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("Ends"), widget=DATETIME)
    description = forms.CharField(label=_("What the deputies will look at"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, topic: Topic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = topic.stations.order_by("name", "id")  # type: ignore[attr-defined]


class VisitForm(BootstrapMixin, _VisitForm):
    pass


class _RecommendationForm(forms.Form):
    title = forms.CharField(label=_("Recommendation"), max_length=120)
    text = forms.CharField(label=_("Finding and recommendation"), widget=forms.Textarea(attrs={"rows": 5}))
    visit = forms.ModelChoiceField(label=_("Field visit"), queryset=Region.objects.none(), required=False,
                                   empty_label=_("Not from a particular visit"))
    station = forms.ModelChoiceField(label=_("Site"), queryset=Region.objects.none(), required=False,
                                     help_text=_("The site the finding concerns (the visit's site when a visit is chosen)."))
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none())
    unit = forms.ModelChoiceField(label=_("Handling unit"), queryset=HandlingUnit.objects.none())
    working_days = forms.IntegerField(label=_("Deadline (working days)"), min_value=1, max_value=60, initial=15)

    def __init__(self, *args: Any, topic: Topic, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["visit"].queryset = (  # type: ignore[attr-defined]
            topic.activities.select_related("station").order_by("-starts_at", "-id"))
        self.fields["visit"].label_from_instance = (  # type: ignore[attr-defined]
            lambda a: f"{timezone.localtime(a.starts_at):%Y-%m-%d} {a.station.name} · {a.title}")
        self.fields["station"].queryset = topic.stations.order_by("name", "id")  # type: ignore[attr-defined]
        self.fields["category"].queryset = Category.objects.filter(active=True).order_by("sort_order", "id")  # type: ignore[attr-defined]
        self.fields["unit"].queryset = (  # type: ignore[attr-defined]
            HandlingUnit.objects.visible_to(user).filter(active=True).order_by("name", "id"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("visit") and not data.get("station") and "station" not in self.errors:
            self.add_error("station", _("Choose the site, or the visit the finding comes from."))
        return data


class RecommendationForm(BootstrapMixin, _RecommendationForm):
    pass


class _MilestoneForm(forms.Form):
    on = forms.DateField(label=_("Date"), widget=DATE)
    text = forms.CharField(label=_("Milestone"), max_length=300)
    progress = forms.IntegerField(label=_("Progress (%)"), min_value=0, max_value=100)


class MilestoneForm(BootstrapMixin, _MilestoneForm):
    pass

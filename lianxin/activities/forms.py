"""Forms of the activity pages: the list's filter bar, plan/edit, close as held, cancel, upload."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core.forms import BootstrapMixin
from lianxin.deputies.models import Deputy
from lianxin.opinions.forms import NameChoiceField, PlainSelect
from lianxin.regions.forms import RegionChoiceField
from lianxin.regions.models import Region, subtree_q
from lianxin.stations.models import Station

from . import services
from .models import Activity, Attendance, Kind

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class SiteChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Station) -> str:
        return f"{obj.name}（{obj.code}）"


class DeputyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Deputy) -> str:
        return obj.name


class _Filter(forms.Form):
    q = forms.CharField(label=_("Keyword"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Words in the title")}))
    # a city has hundreds of sites and areas: options built as one string, not one template each
    station = NameChoiceField(label=_("Site"), queryset=Station.objects.none(), required=False,
                              empty_label=_("All sites"))
    region = RegionChoiceField(label=_("Area"), queryset=Region.objects.none(), required=False,
                               empty_label=_("All areas"), indent=True, widget=PlainSelect)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *Kind.choices],
                             widget=PlainSelect)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses")), *Activity.Status.choices], widget=PlainSelect)
    since = forms.DateField(label=_("From"), required=False, widget=DATE_WIDGET)
    until = forms.DateField(label=_("Until"), required=False, widget=DATE_WIDGET)
    # A city has thousands of deputies: a name to type (or an id, from a link), not a <select> of all of them.
    deputy = forms.CharField(label=_("Deputy"), required=False, max_length=50,
                             widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Deputy's name")}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["station"].queryset = (  # type: ignore[attr-defined]
            Station.objects.visible_to(user).order_by("region_path", "code", "id"))
        # a manager (or deputy) of one site: no site or area to choose (one small query)
        self.one_site = Station.objects.visible_to(user).values("pk")[:2].count() <= 1
        self.fields["region"].queryset = Region.objects.visible_to(user).filter(  # type: ignore[attr-defined]
            level__in=[Region.Level.COUNTY, Region.Level.TOWNSHIP]).only("id", "name", "level", "path")

    def deputies(self, value: str) -> QuerySet[Deputy]:
        """The deputies a ``deputy`` filter names: by id (links), else by a part of the name, in scope."""
        visible = Deputy.objects.visible_to(self.user)
        return visible.filter(pk=int(value)) if value.isdigit() else visible.filter(name__contains=value)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise ValidationError(_("The end of the date range is before its start."))
        return data

    def filter(self, queryset: QuerySet[Activity]) -> QuerySet[Activity]:
        """Apply the valid filters; an invalid one (a stale id in a URL) is ignored."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if data.get("station"):
            queryset = queryset.filter(station=data["station"])
        if data.get("region"):
            queryset = queryset.filter(subtree_q("region_path", data["region"].path))
        for name in ("kind", "status"):
            if data.get(name):
                queryset = queryset.filter(**{name: data[name]})
        if data.get("since"):
            queryset = queryset.filter(starts_at__gte=day_start(data["since"]))
        if data.get("until"):
            queryset = queryset.filter(starts_at__lt=day_start(data["until"] + datetime.timedelta(days=1)))
        if data.get("deputy", "").strip():
            # a subquery, not a join: an activity with two matching deputies is listed once
            queryset = queryset.filter(pk__in=Attendance.objects.filter(
                deputy__in=self.deputies(data["deputy"].strip()).values("pk")).values("activity_id"))
        if data.get("q"):
            for word in data["q"].split():
                queryset = queryset.filter(Q(title__icontains=word))
        return queryset

    def active_filters(self) -> dict[str, str]:
        data = getattr(self, "cleaned_data", {})
        return {name: str(value) for name, value in data.items() if value}


class ActivityFilterForm(BootstrapMixin, _Filter):
    pass


def day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class _SitePick(forms.Form):
    # a city admin picks among hundreds of sites: options built as one string
    station = NameChoiceField(label=_("Site"), queryset=Station.objects.none(), empty_label=_("Choose a site"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = (  # type: ignore[attr-defined]
            Station.objects.visible_to(user).filter(status=Station.Status.ACTIVE).order_by("region_path", "code"))


class SitePickForm(BootstrapMixin, _SitePick):
    pass


class _ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *Kind.choices])
    title = forms.CharField(label=_("Title"), max_length=120)
    starts_at = forms.DateTimeField(label=_("Starts"), widget=DATETIME_WIDGET,
                                    input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    ends_at = forms.DateTimeField(label=_("Ends"), widget=DATETIME_WIDGET,
                                  input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    place = forms.CharField(label=_("Place"), max_length=200, required=False,
                            help_text=_("Empty: the site's address."))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    deputies = forms.ModelMultipleChoiceField(
        label=_("Deputies expected to come"), queryset=Deputy.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=_("The deputies of this site's group who are to come."),
    )
    publish = forms.BooleanField(label=_("Publish now"), required=False)

    def __init__(self, *args: Any, station: Station, extra_ids: tuple[int, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        group = [d.pk for d in services.group_deputies(station)]
        self.fields["deputies"].queryset = (  # type: ignore[attr-defined]
            Deputy.objects.filter(pk__in=[*group, *extra_ids]).order_by("name", "id"))
        self.fields["deputies"].error_messages["invalid_choice"] = _(
            "%(value)s is not a deputy of this site's group.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("An activity must end after it starts."))
        return data


class ActivityForm(BootstrapMixin, _ActivityForm):
    pass


class _Cancel(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=200)


class CancelForm(BootstrapMixin, _Cancel):
    pass


class _Upload(forms.Form):
    file = forms.FileField(label=_("Photo or document"),
                           help_text=_("JPEG, PNG or WebP photos; PDF, Word, Excel or PowerPoint documents."))


class UploadForm(BootstrapMixin, _Upload):
    pass


class HoldForm(forms.Form):
    """Close as held: minutes, citizens received, and for each expected deputy: came, arrival, departure, note.

    Rows are named by deputy id (``came_12``, ``arrived_12`` …); one extra row adds a deputy of the
    site's group who came unannounced.
    """

    minutes = forms.CharField(label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 6, "class": "form-control"}),
                              error_messages={"required": _("Write the minutes before closing the activity as held.")})
    citizens_received = forms.IntegerField(label=_("Citizens received"), min_value=0, initial=0,
                                           widget=forms.NumberInput(attrs={"class": "form-control"}))
    extra_deputy = DeputyChoiceField(label=_("A deputy who came unannounced"), queryset=Deputy.objects.none(),
                                     required=False, empty_label=_("None"),
                                     widget=forms.Select(attrs={"class": "form-select"}))
    extra_arrived = forms.TimeField(label=_("Arrival time"), required=False,
                                    widget=forms.TimeInput(attrs={"type": "time", "class": "form-control"}))
    extra_left = forms.TimeField(label=_("Departure time"), required=False,
                                 widget=forms.TimeInput(attrs={"type": "time", "class": "form-control"}))
    extra_note = forms.CharField(label=_("Note"), max_length=200, required=False,
                                 widget=forms.TextInput(attrs={"class": "form-control"}))

    def __init__(self, *args: Any, activity: Activity, expected: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.activity = activity
        self.expected = expected  # Attendance rows with their deputy
        self.rows: list[dict[str, Any]] = []
        for row in expected:
            pk = row.deputy_id
            self.fields[f"came_{pk}"] = forms.BooleanField(
                label=_("Came"), required=False, initial=True, widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
            self.fields[f"arrived_{pk}"] = forms.TimeField(
                label=_("Arrival time"), required=False, widget=forms.TimeInput(attrs={"type": "time", "class": "form-control form-control-sm"}))
            self.fields[f"left_{pk}"] = forms.TimeField(
                label=_("Departure time"), required=False, widget=forms.TimeInput(attrs={"type": "time", "class": "form-control form-control-sm"}))
            self.fields[f"note_{pk}"] = forms.CharField(
                label=_("Note"), required=False, max_length=200, widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
        known = [row.deputy_id for row in expected]
        group = [d.pk for d in services.group_deputies(activity.station) if d.pk not in known]
        self.fields["extra_deputy"].queryset = Deputy.objects.filter(pk__in=group).order_by("name", "id")  # type: ignore[attr-defined]
        self.fields["extra_deputy"].error_messages["invalid_choice"] = _("That deputy is not in this site's group.")

    def bound_rows(self) -> list[dict[str, Any]]:
        return [{"attendance": row, "came": self[f"came_{row.deputy_id}"], "arrived": self[f"arrived_{row.deputy_id}"],
                 "left": self[f"left_{row.deputy_id}"], "note": self[f"note_{row.deputy_id}"]} for row in self.expected]

    def _at(self, value: datetime.time | None) -> datetime.datetime | None:
        if value is None:
            return None
        day = timezone.localtime(self.activity.starts_at).date()
        return timezone.make_aware(datetime.datetime.combine(day, value))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        presence: list[services.Presence] = []
        for row in self.expected:
            pk = row.deputy_id
            came = bool(data.get(f"came_{pk}"))
            arrived, left = data.get(f"arrived_{pk}"), data.get(f"left_{pk}")
            if not came and (arrived or left):
                self.add_error(f"arrived_{pk}", _("Arrival and departure times are only for deputies who came."))
            if arrived and left and left < arrived:
                self.add_error(f"left_{pk}", _("A deputy cannot leave before arriving."))
            presence.append(services.Presence(pk, came, self._at(arrived) if came else None,
                                              self._at(left) if came else None, data.get(f"note_{pk}") or ""))
        extra = data.get("extra_deputy")
        if extra is not None:
            arrived, left = data.get("extra_arrived"), data.get("extra_left")
            if arrived and left and left < arrived:
                self.add_error("extra_left", _("A deputy cannot leave before arriving."))
            presence.append(services.Presence(extra.pk, True, self._at(arrived), self._at(left),
                                              data.get("extra_note") or ""))
        elif data.get("extra_arrived") or data.get("extra_left"):
            self.add_error("extra_deputy", _("Choose the deputy who came unannounced."))
        if not presence:
            raise ValidationError(_("Record the attendance of the deputies before closing the activity."))
        data["presence"] = presence
        return data

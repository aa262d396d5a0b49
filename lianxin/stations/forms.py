"""Forms for liaison sites: the list's filter bar, create/edit (admin and site-manager variants), status."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from lianxin.core.forms import BootstrapMixin
from lianxin.core.validators import validate_phone
from lianxin.regions.forms import RegionChoiceField
from lianxin.regions.models import Region

from . import services
from .models import Facility, Station

DUPLICATE_CODE = _("Another site already uses this code. Choose a different code.")
PHONE_MESSAGE = _("Enter a valid phone number: an 11-digit mobile number or a landline with its area code, e.g. 0351-1234567.")


# BootstrapMixin reads ``self.errors`` in its __init__, which validates a bound form on the spot;
# so each form's scoping (querysets, validators) lives in a base class that BootstrapMixin wraps,
# and is in place before that first validation.


class _StationFilter(forms.Form):
    q = forms.CharField(
        label=_("Keyword"), required=False, max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name, code or address")}),
    )
    region = RegionChoiceField(
        label=_("Area"), queryset=Region.objects.none(), required=False, empty_label=_("All areas"), indent=True
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *Station.Kind.choices])
    tier = forms.ChoiceField(label=_("Tier"), required=False, choices=[("", _("All tiers")), *Station.Tier.choices])
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *Station.Status.choices]
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.visible_to(user).filter(  # type: ignore[attr-defined]
            level__in=[Region.Level.COUNTY, Region.Level.TOWNSHIP]
        )

    def filter(self, queryset: QuerySet[Station]) -> QuerySet[Station]:
        """Apply the valid filters; an invalid one (a stale region id in a URL) is ignored."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if data.get("region"):
            queryset = queryset.in_region(data["region"])  # type: ignore[attr-defined]
        for name in ("kind", "tier", "status"):
            if data.get(name):
                queryset = queryset.filter(**{name: data[name]})
        if data.get("q"):
            queryset = queryset.filter(services.search_filter(data["q"].strip()))
        return queryset


class StationFilterForm(BootstrapMixin, _StationFilter):
    pass


class _StationForm(forms.ModelForm):

    facilities = forms.MultipleChoiceField(
        label=_("Facilities"), required=False, choices=Facility.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    class Meta:
        model = Station
        fields = [
            "code", "name", "kind", "region", "parent", "tier", "address", "latitude", "longitude",
            "contact_name", "contact_phone", "opening_hours", "reception_days", "facilities", "description",
        ]
        field_classes = {"region": RegionChoiceField}
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}
        error_messages = {
            "code": {"unique": DUPLICATE_CODE},
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if "region" in self.fields:
            self.fields["region"].queryset = Region.objects.visible_to(user).filter(  # type: ignore[attr-defined]
                level__in=[*services.STATION_LEVELS, *services.POINT_LEVELS]
            )
        if "parent" in self.fields:
            parents = Station.objects.visible_to(user).filter(kind=Station.Kind.STATION)
            if self.instance.pk:
                parents = parents.exclude(pk=self.instance.pk)
            self.fields["parent"].queryset = parents  # type: ignore[attr-defined]
            self.fields["parent"].label = _("Parent station")
        phone = self.fields["contact_phone"]
        phone.validators.append(validate_phone)
        phone.error_messages["invalid_phone"] = PHONE_MESSAGE
        for name in ("latitude", "longitude"):
            self.fields[name].widget.attrs.update({"step": "0.000001", "inputmode": "decimal"})
        self.fields["latitude"].help_text = _("Decimal degrees north, e.g. 37.857014")
        self.fields["longitude"].help_text = _("Decimal degrees east, e.g. 112.549248")

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        try:
            services.validate_coordinates(data.get("latitude"), data.get("longitude"))
        except ValidationError as error:
            self.add_validation_error(error)
        if "kind" in self.fields:
            try:
                services.validate_structure(data.get("kind", ""), data.get("region"), data.get("parent"))
            except ValidationError as error:
                self.add_validation_error(error)
        return data

    def add_validation_error(self, error: ValidationError) -> None:
        for field, messages in error.message_dict.items():
            for message in messages:
                if field in self.fields and field not in self.errors:
                    self.add_error(field, message)
                elif field not in self.fields:
                    self.add_error(None, message)


class StationForm(BootstrapMixin, _StationForm):
    """The full form, for congress admins: where the site sits, how it is rated, and its details."""


class ManagerStationForm(BootstrapMixin, _StationForm):
    """A site manager's form: the site's own details; code, kind, region, parent and tier stay fixed."""

    class Meta(_StationForm.Meta):
        fields = [name for name in _StationForm.Meta.fields if name not in services.MANAGER_LOCKED_FIELDS]


def station_form_class(user: Any) -> type[StationForm | ManagerStationForm]:
    if services.locked_fields(user) & {"region", "code"}:
        return ManagerStationForm
    return StationForm


class StatusChangeForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give a reason for this change; it is kept in the audit log.")},
    )

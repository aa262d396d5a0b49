"""The directory's GET forms: search (keyword, district) and nearest sites (latitude, longitude)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from lianxin.core.forms import BootstrapMixin
from lianxin.regions.models import Region


class DirectoryForm(BootstrapMixin, forms.Form):
    q = forms.CharField(
        label=_("Keyword"), required=False, max_length=50,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Site name, address or street")}),
    )
    # A CharField rendered as a select: BootstrapMixin validates the bound form inside __init__,
    # before choices could be set on a ChoiceField, so the district is checked in clean_district.
    district = forms.CharField(label=_("District / county"), required=False, widget=forms.Select)

    def __init__(self, *args: Any, districts: list[Region], **kwargs: Any) -> None:
        self.districts = {d.code: d for d in districts}
        super().__init__(*args, **kwargs)
        self.fields["district"].widget.choices = [("", _("All districts"))] + [  # type: ignore[attr-defined]
            (d.code, d.name) for d in districts
        ]

    def clean_district(self) -> str:
        code = self.cleaned_data.get("district") or ""
        if code and code not in self.districts:
            raise forms.ValidationError(_("Choose a district from the list."))
        return code

    def selected_district(self) -> Region | None:
        return self.districts.get(self.cleaned_data.get("district") or "")


class NearestForm(BootstrapMixin, forms.Form):
    lat = forms.FloatField(
        label=_("Latitude"), min_value=-90, max_value=90,
        error_messages={
            "invalid": _("Enter the latitude as a number between -90 and 90, e.g. 37.87."),
            "min_value": _("The latitude must be between -90 and 90."),
            "max_value": _("The latitude must be between -90 and 90."),
            "required": _("Enter both latitude and longitude, or use your location."),
        },
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    lng = forms.FloatField(
        label=_("Longitude"), min_value=-180, max_value=180,
        error_messages={
            "invalid": _("Enter the longitude as a number between -180 and 180, e.g. 112.55."),
            "min_value": _("The longitude must be between -180 and 180."),
            "max_value": _("The longitude must be between -180 and 180."),
            "required": _("Enter both latitude and longitude, or use your location."),
        },
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )


class PosterForm(forms.Form):
    paper = forms.ChoiceField(choices=[("a4", "A4"), ("a5", "A5")], required=False)

    def paper_size(self) -> str:
        if self.is_valid() and self.cleaned_data["paper"]:
            return self.cleaned_data["paper"]
        return "a4"

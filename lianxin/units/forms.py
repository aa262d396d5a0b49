"""Forms for handling units: the list's filter bar, create/edit, and the status change."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianxin.core.forms import BootstrapMixin
from lianxin.core.validators import validate_phone
from lianxin.regions.forms import RegionChoiceField
from lianxin.regions.models import Region, subtree_q

from . import services
from .models import HandlingUnit

DUPLICATE_CODE = _("Another handling unit already uses this code. Choose a different code.")
PHONE_MESSAGE = _("Enter a valid phone number: an 11-digit mobile number or a landline with its area code, e.g. 0351-1234567.")


# BootstrapMixin reads ``self.errors`` in its __init__, which validates a bound form on the spot;
# so each form's scoping (querysets, validators) lives in a base class that BootstrapMixin wraps.


class _UnitFilter(forms.Form):
    q = forms.CharField(
        label=_("Keyword"), required=False, max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name, code or responsibilities")}),
    )
    region = RegionChoiceField(
        label=_("Area"), queryset=Region.objects.none(), required=False, empty_label=_("All areas"), indent=True
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *HandlingUnit.Kind.choices]
    )
    active = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[("", _("All statuses")), ("yes", pgettext_lazy("handling unit", "Active")), ("no", pgettext_lazy("handling unit", "Deactivated"))],
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.visible_to(user).filter(  # type: ignore[attr-defined]
            level__in=[Region.Level.CITY, Region.Level.COUNTY]
        )

    def filter(self, queryset: QuerySet[HandlingUnit]) -> QuerySet[HandlingUnit]:
        """Apply the valid filters; an invalid one (a stale id in a URL) is ignored."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if data.get("region"):
            queryset = queryset.filter(subtree_q("region__path", data["region"].path))
        if data.get("kind"):
            queryset = queryset.filter(kind=data["kind"])
        if data.get("active"):
            queryset = queryset.filter(active=data["active"] == "yes")
        if data.get("q"):
            queryset = queryset.filter(services.search_filter(data["q"].strip()))
        return queryset


class UnitFilterForm(BootstrapMixin, _UnitFilter):
    pass


class _UnitForm(forms.ModelForm):
    class Meta:
        model = HandlingUnit
        fields = ["code", "name", "kind", "region", "contact_name", "contact_phone", "address", "duties"]
        field_classes = {"region": RegionChoiceField}
        widgets = {"duties": forms.Textarea(attrs={"rows": 4})}
        error_messages = {
            "code": {"unique": DUPLICATE_CODE},
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.visible_to(user).filter(  # type: ignore[attr-defined]
            level__in=services.UNIT_LEVELS
        )
        phone = self.fields["contact_phone"]
        phone.validators.append(validate_phone)
        phone.error_messages["invalid_phone"] = PHONE_MESSAGE

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip()


class UnitForm(BootstrapMixin, _UnitForm):
    pass


class StatusChangeForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give a reason for this change; it is kept in the audit log.")},
    )

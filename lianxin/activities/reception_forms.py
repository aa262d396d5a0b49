"""Staff forms of reception days: the schedule, a period to generate, the door, cancelling a day."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lianxin.core.forms import BootstrapMixin
from lianxin.deputies.models import Deputy
from lianxin.opinions.models import Category

from .models import ReceptionSchedule

WEEKDAYS = [
    (0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")), (4, _("Friday")),
    (5, _("Saturday")), (6, _("Sunday")),
]
NTH = [(1, _("First")), (2, _("Second")), (3, _("Third")), (4, _("Fourth")), (-1, _("Last"))]


class ScheduleForm(BootstrapMixin, forms.ModelForm):
    weekday = forms.TypedChoiceField(label=_("Weekday"), choices=WEEKDAYS, coerce=int,
                                     error_messages={"required": _("Choose a weekday.")})
    nth = forms.TypedChoiceField(label=_("Which one in the month"), choices=NTH, coerce=int, required=False,
                                 help_text=_("For a monthly schedule: e.g. the first Friday."))

    class Meta:
        model = ReceptionSchedule
        fields = ["frequency", "weekday", "nth", "start_time", "end_time", "holiday_rule", "slot_minutes",
                  "slot_capacity", "deputies_per_day", "publish_days", "valid_from", "valid_until"]
        widgets = {
            "start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "end_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slot_minutes"].validators.append(_min(5, _("A slot lasts at least five minutes.")))
        self.fields["slot_minutes"].validators.append(_max(240, _("A slot lasts at most four hours.")))
        self.fields["slot_capacity"].validators.append(_min(1, _("A slot must take at least one citizen.")))
        self.fields["slot_capacity"].validators.append(_max(50, _("At most 50 citizens per slot.")))
        self.fields["deputies_per_day"].validators.append(_min(1, _("At least one deputy must be on duty.")))
        self.fields["deputies_per_day"].validators.append(_max(20, _("At most 20 deputies per day.")))
        self.fields["publish_days"].validators.append(_max(60, _("Publish at most 60 days ahead.")))
        self.fields["publish_days"].help_text = _("Empty: the configured default.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", _("The reception must end after it starts."))
        if data.get("frequency") == ReceptionSchedule.Frequency.MONTHLY and data.get("nth") in (None, ""):
            self.add_error("nth", _("Choose which weekday of the month: first to fourth, or the last."))
        if data.get("frequency") == ReceptionSchedule.Frequency.WEEKLY:
            data["nth"] = 1
        until, since = data.get("valid_until"), data.get("valid_from")
        if until and since and until < since:
            self.add_error("valid_until", _("The end of validity must not be before its start."))
        return data


def _min(limit: int, message: Any) -> Any:
    def check(value: int | None) -> None:
        if value is not None and value < limit:
            raise ValidationError(message)
    return check


def _max(limit: int, message: Any) -> Any:
    def check(value: int | None) -> None:
        if value is not None and value > limit:
            raise ValidationError(message)
    return check


class PeriodForm(BootstrapMixin, forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                            error_messages={"required": _("Give the first day of the period.")})
    end = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                          error_messages={"required": _("Give the last day of the period.")})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise ValidationError(_("The end of the period must not be before its start."))
            if end - start > datetime.timedelta(days=400):
                raise ValidationError(_("Generate at most about a year of reception days at once."))
        return data


class CodeForm(BootstrapMixin, forms.Form):
    code = forms.CharField(label=_("Booking code"), max_length=20,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                                         "autofocus": True}),
                           error_messages={"required": _("Enter the booking code.")})

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split()).replace("-", "").upper()


class ArriveForm(BootstrapMixin, forms.Form):
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(),
                                      empty_label=_("Choose a category"),
                                      error_messages={"required": _("Choose the category of the matter.")})
    deputy = forms.ModelChoiceField(label=_("Deputy receiving"), queryset=Deputy.objects.none(), required=False,
                                    empty_label=_("The first deputy on duty"))
    note = forms.CharField(label=_("What the citizen says (optional)"), max_length=3000, required=False,
                           widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, deputies: list[Deputy] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(active=True)  # type: ignore[attr-defined]
        self.fields["deputy"].queryset = Deputy.objects.filter(  # type: ignore[attr-defined]
            pk__in=[d.pk for d in deputies or []])


class CancelDayForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=200,
                             error_messages={"required": _("Give a reason for cancelling.")})


class RotaYearForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2100)

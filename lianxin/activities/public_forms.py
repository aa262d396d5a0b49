"""Citizens' forms of reception days: book a slot, cancel a booking (code + last four phone digits)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lianxin.core.forms import BootstrapMixin
from lianxin.core.validators import validate_phone
from lianxin.opinions.public_forms import KEY_RE, new_idempotency_key, normalise_phone

from .models import BOOKING_ALPHABET, ReceptionSlot


class BookingForm(BootstrapMixin, forms.Form):
    slot = forms.TypedChoiceField(label=_("Time"), coerce=int, widget=forms.RadioSelect,
                                  error_messages={"required": _("Choose a time."),
                                                  "invalid_choice": _("Choose one of the times shown.")})
    name = forms.CharField(label=_("Your name"), max_length=50, widget=forms.TextInput(attrs={"autocomplete": "name"}),
                           error_messages={"required": _("Please give your name.")})
    phone = forms.CharField(
        label=_("Your phone"), max_length=20, validators=[validate_phone],
        help_text=_("We send a reminder the day before. You cancel with the booking code and the last four digits."),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
        error_messages={"required": _("Please give a phone number we can reach you on.")},
    )
    topic = forms.CharField(label=_("What do you want to raise?"), max_length=200,
                            widget=forms.Textarea(attrs={"rows": 3}),
                            error_messages={"required": _("Tell us briefly what you want to raise.")})
    consent = forms.BooleanField(
        label=_("I have read the privacy notice and agree that my data is used for this appointment."),
        error_messages={"required": _("Please agree to the privacy notice; without it we cannot take your booking.")},
    )
    key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, slots: list[ReceptionSlot] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.slots = {s.pk: s for s in slots or []}
        self.fields["slot"].choices = [  # type: ignore[attr-defined]
            (s.pk, f"{s.starts_at:%H:%M}") for s in self.slots.values()
        ]
        self.fields["slot"].widget.attrs["class"] = "form-check-input flex-shrink-0"
        if not self.is_bound:
            self.initial.setdefault("key", new_idempotency_key())

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data.get("phone", ""))

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean_topic(self) -> str:
        topic = self.cleaned_data["topic"].strip()
        if not topic:
            raise ValidationError(_("Tell us briefly what you want to raise."))
        return topic

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not KEY_RE.match(data.get("key") or ""):
            raise ValidationError(_("The form has expired. Please reload the page and try again."))
        return data


class CancelForm(BootstrapMixin, forms.Form):
    code = forms.CharField(label=_("Booking code"), max_length=20,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
                           error_messages={"required": _("Enter your booking code.")})
    digits = forms.CharField(label=_("Last four digits of your phone"), max_length=4,
                             widget=forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]{4}",
                                                           "autocomplete": "off"}),
                             error_messages={"required": _("Enter the last four digits of your phone.")})

    def clean_code(self) -> str:
        code = re.sub(r"[\s-]", "", self.cleaned_data["code"]).upper()
        return code if code and all(c in BOOKING_ALPHABET for c in code) else ""

    def clean_digits(self) -> str:
        digits = self.cleaned_data["digits"].strip()
        if not re.fullmatch(r"\d{4}", digits):
            raise ValidationError(_("Enter exactly four digits."))
        return digits

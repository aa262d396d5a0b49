"""Citizens' forms: submit an opinion, follow it (tracking code + phone digits), rate it, "me too"."""

from __future__ import annotations

import re
import secrets
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lianxin.core.forms import BootstrapMixin
from lianxin.core.validators import validate_phone
from lianxin.deputies.models import Deputy
from lianxin.stations.models import Station

from . import attachments
from .models import TRACKING_ALPHABET, Category, Satisfaction

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def require_contact() -> bool:
    return bool(getattr(settings, "OPINION_REQUIRE_CONTACT", True))


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(24)


def normalise_phone(value: str) -> str:
    return "".join(value.split())


def _style_radios(form: forms.Form) -> None:
    for bound in form.fields.values():
        if isinstance(bound.widget, forms.RadioSelect):
            bound.widget.attrs["class"] = "form-check-input flex-shrink-0"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to three photos in one input; each checked by ``attachments.check_photos``."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        uploads = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if not uploads:
            return []
        single = super().clean
        return attachments.check_photos([single(f, initial) for f in uploads])


class OpinionForm(BootstrapMixin, forms.Form):
    # Chosen only when a deputy receives at several sites; otherwise the site comes with the link.
    site = forms.ChoiceField(label=_("Liaison site"), required=False, widget=forms.RadioSelect)
    deputy = forms.ChoiceField(label=_("Address it to a deputy (optional)"), required=False, widget=forms.RadioSelect)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), empty_label=_("Choose a category"),
        error_messages={"required": _("Choose the category that fits your opinion best.")},
    )
    title = forms.CharField(
        label=_("Title"), max_length=100,
        help_text=_("A few words, e.g. “Street lamp broken at building 3”."),
        error_messages={"required": _("Give your opinion a short title.")},
    )
    text = forms.CharField(
        label=_("Your opinion"), max_length=3000, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What happened, where, since when, and what you would like done."),
        error_messages={"required": _("Describe your opinion or request.")},
    )
    photos = PhotosField(
        label=_("Photos (optional)"), required=False,
        help_text=_("Up to 3 photos, JPEG, PNG or WebP, at most 5 MB each."),
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    latitude = forms.FloatField(
        label=_("Latitude"), required=False, min_value=-90, max_value=90,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    longitude = forms.FloatField(
        label=_("Longitude"), required=False, min_value=-180, max_value=180,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    name = forms.CharField(label=_("Your name"), max_length=50, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    phone = forms.CharField(
        label=_("Your phone"), max_length=20, required=False, validators=[validate_phone],
        help_text=_("You follow your opinion with its tracking code and the last four digits of this number."),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
    )
    consent = forms.BooleanField(
        label=_("I have read the privacy notice and agree that my data is used to handle this opinion."),
        error_messages={"required": _("Please agree to the privacy notice; without it we cannot take your opinion.")},
    )
    # Idempotency key, made when the form is rendered: a double click or retry finds the first case.
    key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, sites: list[Station] | None = None, deputies: list[Deputy] | None = None,
                 similar_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style_radios(self)
        if similar_url:
            # htmx: similar open opinions of the area while the title is typed (the page works without).
            self.fields["title"].widget.attrs.update({
                "hx-get": similar_url, "hx-trigger": "change, keyup changed delay:800ms",
                "hx-target": "#lx-similar", "hx-params": "title",
            })
        self.sites = {s.code: s for s in sites or []}
        self.deputies = {d.public_code: d for d in deputies or []}
        self.fields["category"].queryset = Category.objects.filter(active=True)  # type: ignore[attr-defined]
        if len(self.sites) > 1:
            self.fields["site"].required = True
            self.fields["site"].choices = [(s.code, s.name) for s in self.sites.values()]  # type: ignore[attr-defined]
            self.fields["site"].error_messages["required"] = _("Choose the site where you raise the matter.")
        else:
            del self.fields["site"]
        if self.deputies:
            self.fields["deputy"].choices = [("", _("No particular deputy"))] + [  # type: ignore[attr-defined]
                (d.public_code, d.name) for d in self.deputies.values()
            ]
        else:
            del self.fields["deputy"]
        if require_contact():
            self.fields["name"].required = True
            self.fields["name"].error_messages["required"] = _("Please give your name.")
            self.fields["phone"].required = True
            self.fields["phone"].error_messages["required"] = _("Please give a phone number we can reach you on.")
        if not self.is_bound:
            self.initial.setdefault("key", new_idempotency_key())

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data.get("phone", ""))

    def clean_title(self) -> str:
        return self.cleaned_data["title"].strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not KEY_RE.match(data.get("key") or ""):
            # A hidden field: reported at the top of the form, where the citizen sees it.
            raise ValidationError(_("The form has expired. Please reload the page and try again."))
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            raise ValidationError(_("Give both latitude and longitude, or leave both empty."))
        return data

    def chosen_site(self) -> Station | None:
        if "site" in self.fields:
            return self.sites.get(self.cleaned_data.get("site") or "")
        return next(iter(self.sites.values()), None)

    def chosen_deputy(self) -> Deputy | None:
        return self.deputies.get(self.cleaned_data.get("deputy") or "")

    def coordinates(self) -> tuple[Decimal | None, Decimal | None]:
        lat, lng = self.cleaned_data.get("latitude"), self.cleaned_data.get("longitude")
        if lat is None or lng is None:
            return None, None
        return Decimal(f"{lat:.6f}"), Decimal(f"{lng:.6f}")


def normalise_code(value: str) -> str:
    return re.sub(r"[\s-]", "", value).upper()


class TrackForm(BootstrapMixin, forms.Form):
    code = forms.CharField(
        label=_("Tracking code"), max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
        error_messages={"required": _("Enter the tracking code you received.")},
    )
    digits = forms.CharField(
        label=_("Last four digits of your phone"), max_length=4, required=False,
        help_text=_("Leave empty only if you gave no phone number."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]{4}", "autocomplete": "off"}),
    )

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        # Every malformed code gets the same answer as an unknown one: no hints for guessing.
        return code if code and all(c in TRACKING_ALPHABET for c in code) else ""

    def clean_digits(self) -> str:
        digits = self.cleaned_data.get("digits", "").strip()
        if digits and not re.fullmatch(r"\d{4}", digits):
            raise ValidationError(_("Enter exactly four digits."))
        return digits


class RateForm(BootstrapMixin, forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("How satisfied are you with the handling?"), choices=Satisfaction.choices,
        widget=forms.RadioSelect, error_messages={"required": _("Choose how satisfied you are.")},
    )
    resolved = forms.TypedChoiceField(
        label=_("Was your matter resolved?"), choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes", widget=forms.RadioSelect,
        error_messages={"required": _("Tell us whether your matter was resolved.")},
    )
    comment = forms.CharField(label=_("Comment (optional)"), required=False, max_length=1000,
                              widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style_radios(self)


class MeTooForm(forms.Form):
    metoo = forms.CharField(max_length=200)
    phone = forms.CharField(
        max_length=20, validators=[validate_phone],
        error_messages={"required": _("Enter your phone number first: each phone counts once.")},
    )

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data["phone"])

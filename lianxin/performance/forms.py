"""Forms of the duty record: a declared item, a review decision, the assessment rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext_lazy as _

from lianxin.core.forms import BootstrapMixin

from .models import DECLARED_KINDS, POSITIVE_KINDS, RuleSet

EVIDENCE_TYPES = ["pdf", "jpg", "jpeg", "png", "doc", "docx", "xlsx"]
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024


class DeclareForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[(k.value, k.label) for k in DECLARED_KINDS])
    done_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    title = forms.CharField(label=_("What was done"), max_length=120)
    evidence_text = forms.CharField(label=_("Evidence"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                    help_text=_("Where and with whom; a reference number of the suggestion."))
    evidence_file = forms.FileField(label=_("Evidence file"), required=False,
                                    validators=[FileExtensionValidator(EVIDENCE_TYPES)],
                                    help_text=_("PDF, photo or office document, at most 10 MB."))

    def clean_evidence_file(self) -> Any:
        upload = self.cleaned_data.get("evidence_file")
        if upload and upload.size > MAX_EVIDENCE_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("evidence_text") or "").strip() and not data.get("evidence_file") and not self.errors:
            raise forms.ValidationError(_("Give the evidence as a text, a file or both."))
        return data


class DecisionForm(BootstrapMixin, forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give a reason for rejecting the item."))
        return data


POINTS: dict[str, Any] = {"min_value": Decimal("0"), "max_value": Decimal("100"), "max_digits": 6, "decimal_places": 2}


class RulesForm(BootstrapMixin, forms.Form):
    """The rule set on one form: scalar fields plus, per item kind, points per item and an optional cap."""

    base_score = forms.DecimalField(label=_("Base score"), **POINTS)
    absence_penalty = forms.DecimalField(label=_("Points off per absence"), **POINTS)
    absence_cap = forms.DecimalField(label=_("Most points off for absences"), required=False, **POINTS)
    good_from = forms.DecimalField(label=_("Good from (points)"), **POINTS)
    fair_from = forms.DecimalField(label=_("Fair from (points)"), **POINTS)
    min_site_visits = forms.IntegerField(label=_("Minimum site visits per year"), min_value=0, max_value=366)
    note = forms.CharField(label=_("Reason for the change"), max_length=200)

    def __init__(self, *args: Any, rules: RuleSet | None = None, **kwargs: Any) -> None:
        if rules is not None and "initial" not in kwargs:
            initial: dict[str, Any] = {name: getattr(rules, name) for name in (
                "base_score", "absence_penalty", "absence_cap", "good_from", "fair_from", "min_site_visits")}
            for kind in POSITIVE_KINDS:
                initial[f"points_{kind}"] = rules.points.get(kind, 0)
                initial[f"cap_{kind}"] = rules.caps.get(kind)
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        for kind in POSITIVE_KINDS:
            self.fields[f"points_{kind}"] = forms.DecimalField(label=kind.label, **POINTS)
            self.fields[f"cap_{kind}"] = forms.DecimalField(label=_("Cap"), required=False, **POINTS)
        for name, field in self.fields.items():
            if name.startswith(("points_", "cap_")):
                field.widget.attrs["class"] = "form-control form-control-sm"

    def kind_rows(self) -> list[tuple[Any, forms.BoundField, forms.BoundField]]:
        return [(kind.label, self[f"points_{kind}"], self[f"cap_{kind}"]) for kind in POSITIVE_KINDS]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        good, fair = data.get("good_from"), data.get("fair_from")
        if good is not None and fair is not None and good <= fair:
            self.add_error("good_from", _("The threshold for “good” must be above the one for “fair”."))
        return data

    def values(self) -> dict[str, Any]:
        """The cleaned form as RuleSet fields."""
        data = self.cleaned_data
        points = {str(kind): float(data[f"points_{kind}"]) for kind in POSITIVE_KINDS}
        caps = {str(kind): float(data[f"cap_{kind}"]) for kind in POSITIVE_KINDS
                if data.get(f"cap_{kind}") is not None}
        return {"base_score": data["base_score"], "absence_penalty": data["absence_penalty"],
                "absence_cap": data.get("absence_cap"), "good_from": data["good_from"],
                "fair_from": data["fair_from"], "min_site_visits": data["min_site_visits"],
                "points": points, "caps": caps, "note": data["note"]}

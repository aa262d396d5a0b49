"""Forms of the staff pages of a campaign: they validate input at the edge; the services decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import Application, Campaign, CriteriaTemplate, Criterion, DimensionCode, Metric

SMALL = {"class": "form-control form-control-sm"}
SELECT = {"class": "form-select form-select-sm"}


class CampaignForm(forms.ModelForm):
    """Every field of a campaign; the weights must add up to 100 (checked here and by the service)."""

    class Meta:
        model = Campaign
        fields = ["year", "name", "template", "region", "tier", "quota_stations", "quota_points",
                  "application_opens", "district_review_opens", "audit_opens", "final_review_opens",
                  "publication_on", "data_from", "data_to", "weight_self", "weight_audit", "weight_platform",
                  "auditors_per_site", "auditors_outside_district", "disagreement_points"]
        help_texts = {
            "template": _("The newest version of each criteria template; the campaign keeps the version chosen."),
            "region": _("The area whose sites may apply (normally the whole city)."),
            "quota_stations": _("How many stations may be designated; 0: stations do not take part."),
            "quota_points": _("How many points may be designated; 0: points do not take part."),
            "application_opens": _("Sites self-assess and apply from this day."),
            "district_review_opens": _("Applications close the day before; districts review from this day."),
            "audit_opens": _("Auditors visit the recommended sites from this day."),
            "final_review_opens": _("The city ranks the applications and decides from this day."),
            "publication_on": _("The planned day of publication of the designated sites."),
            "data_from": _("Platform figures (activities, opinions, satisfaction…) are computed from this day …"),
            "data_to": _("… to this day, inclusive."),
            "weight_self": _("Percent of the final score; the three weights add up to 100."),
            "weight_audit": _("Percent of the final score; the three weights add up to 100."),
            "weight_platform": _("Percent of the final score; the three weights add up to 100."),
            "disagreement_points": _("Applications whose auditors' totals differ by more are flagged."),
        }
        widgets = {name: forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
                   for name in ("application_opens", "district_review_opens", "audit_opens", "final_review_opens",
                                "publication_on", "data_from", "data_to")}

    def __init__(self, *args: Any, templates: Any = None, regions: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        template_field: Any = self.fields["template"]
        if templates is not None:
            ids = [t.pk for t in templates]
            if self.instance.pk and self.instance.template_id not in ids:
                ids.append(self.instance.template_id)
            template_field.queryset = CriteriaTemplate.objects.filter(pk__in=ids)
        if regions is not None:
            region_field: Any = self.fields["region"]
            region_field.queryset = regions
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        weights = [data.get(name) for name in ("weight_self", "weight_audit", "weight_platform")]
        if all(w is not None for w in weights) and sum(weights) != 100:  # type: ignore[arg-type]
            self.add_error("weight_platform", _("The three weights add up to %(sum)d; they must add up to 100.")
                           % {"sum": sum(weights)})  # type: ignore[arg-type]
        order = ["application_opens", "district_review_opens", "audit_opens", "final_review_opens"]
        for previous_name, name in zip(order, order[1:], strict=False):
            date, previous = data.get(name), data.get(previous_name)
            if date and previous and date <= previous:
                self.add_error(name, _("Each phase must open after the previous one."))
        if data.get("publication_on") and data.get("final_review_opens") and (
                data["publication_on"] < data["final_review_opens"]):
            self.add_error("publication_on", _("Publication cannot come before the final review."))
        if data.get("data_from") and data.get("data_to") and data["data_from"] > data["data_to"]:
            self.add_error("data_to", _("The end of the data period must not come before its start."))
        return data

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


# ---- criteria templates --------------------------------------------------------------------------------------


class TemplateMetaForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, widget=forms.TextInput(attrs={"class": "form-control"}))
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}))
    note = forms.CharField(label=_("Reason for the change"), max_length=200,
                           widget=forms.TextInput(attrs={"class": "form-control"}))


class CriterionRowForm(forms.Form):
    """One item of the template editor; empty rows are ignored, ``DELETE`` drops a row."""

    dimension = forms.ChoiceField(label=_("Dimension"), choices=DimensionCode.choices,
                                  widget=forms.Select(attrs=SELECT))
    title = forms.CharField(label=_("Item"), max_length=200, widget=forms.TextInput(attrs=SMALL))
    guidance = forms.CharField(label=_("What earns the points"), required=False,
                               widget=forms.Textarea(attrs={**SMALL, "rows": 1}))
    evidence = forms.CharField(label=_("Evidence needed"), max_length=300, required=False,
                               widget=forms.TextInput(attrs=SMALL))
    max_points = forms.DecimalField(label=_("Maximum points"), min_value=Decimal("0.5"), max_digits=6,
                                    decimal_places=2, widget=forms.NumberInput(attrs={**SMALL, "step": "0.5"}))
    kind = forms.ChoiceField(label=_("Scored by"), choices=Criterion.Kind.choices, widget=forms.Select(attrs=SELECT))
    metric = forms.ChoiceField(label=_("Figure"), choices=[("", "—"), *Metric.choices], required=False,
                               widget=forms.Select(attrs=SELECT))
    target = forms.DecimalField(label=_("Value for full points"), required=False, max_digits=8, decimal_places=2,
                                min_value=Decimal("0.01"), widget=forms.NumberInput(attrs={**SMALL, "step": "0.01"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == Criterion.Kind.AUTOMATIC:
            if not data.get("metric"):
                self.add_error("metric", _("An automatic item needs a figure."))
            if not data.get("target"):
                self.add_error("target", _("An automatic item needs the value that earns full points."))
        elif data.get("kind") == Criterion.Kind.MANUAL:
            data["metric"], data["target"] = "", None
        return data


class BaseCriterionFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.rows():
            raise forms.ValidationError(_("A template needs at least one item."))

    def rows(self) -> list[dict[str, Any]]:
        # unchanged extra rows validate as empty (``cleaned_data == {}``) and are skipped
        return [form.cleaned_data for form in self.forms
                if form.cleaned_data.get("title") and not form.cleaned_data.get("DELETE")]

    def dimensions(self) -> list[dict[str, Any]]:
        """The rows grouped into the service's ``dimensions`` structure, in the dimensions' fixed order."""
        names = dict(DimensionCode.choices)
        grouped: dict[str, list[dict[str, Any]]] = {}
        for row in self.rows():
            grouped.setdefault(row["dimension"], []).append({
                "title": row["title"], "guidance": row.get("guidance") or "", "evidence": row.get("evidence") or "",
                "max_points": row["max_points"], "kind": row["kind"], "metric": row.get("metric") or "",
                "target": row.get("target"),
            })
        return [{"code": code, "name": str(names[code]), "criteria": grouped[code]}
                for code in DimensionCode.values if code in grouped]


def criterion_formset(extra: int = 3) -> Any:
    """The editor's formset class with ``extra`` empty rows for new items (a POST carries its own count)."""
    return forms.formset_factory(CriterionRowForm, formset=BaseCriterionFormSet, extra=extra, can_delete=True,
                                 max_num=200, validate_max=True)


CriterionFormSet = criterion_formset()


# ---- applications -------------------------------------------------------------------------------------------


class SelfScoreForm(forms.Form):
    """The self-scores of an application's manual items (``points_<id>``, ``note_<id>``) and the summary."""

    summary = forms.CharField(label=_("Summary of the site's work"), required=False,
                              widget=forms.Textarea(attrs={"class": "form-control", "rows": 4}))

    def __init__(self, *args: Any, criteria: list[Criterion], scores: dict[int, Any] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scores = scores or {}
        self.criteria = criteria
        for item in criteria:
            current = scores.get(item.pk)
            self.fields[f"points_{item.pk}"] = forms.DecimalField(
                label=_("Self-score"), required=False, min_value=Decimal(0), max_value=item.max_points,
                max_digits=6, decimal_places=2, initial=current.points if current else None,
                widget=forms.NumberInput(attrs={**SMALL, "step": "0.5", "min": 0, "max": item.max_points}))
            self.fields[f"note_{item.pk}"] = forms.CharField(
                label=_("Explanation"), required=False, initial=current.note if current else "",
                widget=forms.Textarea(attrs={**SMALL, "rows": 1}))

    def scores(self) -> dict[int, tuple[Decimal, str]]:
        return {item.pk: (self.cleaned_data[f"points_{item.pk}"], self.cleaned_data.get(f"note_{item.pk}") or "")
                for item in self.criteria if self.cleaned_data.get(f"points_{item.pk}") is not None}

    def rows(self) -> list[tuple[Criterion, Any, Any]]:
        return [(item, self[f"points_{item.pk}"], self[f"note_{item.pk}"]) for item in self.criteria]


class EvidenceForm(forms.Form):
    """A file, an activity of the site or an opinion of the site (by tracking code) for one item."""

    criterion = forms.TypedChoiceField(label=_("Item"), coerce=int, widget=forms.Select(attrs=SELECT))
    file = forms.FileField(label=_("File (JPEG, PNG, WebP or PDF, up to 10 MB)"), required=False,
                           widget=forms.ClearableFileInput(attrs=SMALL))
    activity = forms.TypedChoiceField(label=_("Activity of the site"), coerce=int, required=False, empty_value=None,
                                      widget=forms.Select(attrs=SELECT))
    tracking_code = forms.CharField(label=_("Tracking code of an opinion of the site"), max_length=12,
                                    required=False, widget=forms.TextInput(attrs=SMALL))
    caption = forms.CharField(label=_("Caption"), max_length=200, required=False, widget=forms.TextInput(attrs=SMALL))

    def __init__(self, *args: Any, criteria: list[Criterion], activities: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["criterion"].choices = [(c.pk, c.title) for c in criteria]  # type: ignore[attr-defined]
        self.fields["activity"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (a.pk, f"{a.starts_at:%Y-%m-%d} {a.title}") for a in activities]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = [bool(data.get("file")), data.get("activity") is not None, bool(data.get("tracking_code"))]
        if sum(given) != 1:
            raise forms.ValidationError(_("Give exactly one of: a file, an activity, an opinion's tracking code."))
        return data


class ReviewForm(forms.Form):
    DECISIONS = (
        ("recommend", pgettext_lazy("district review", "Recommend")),
        ("return", pgettext_lazy("district review", "Return for changes")),
        ("not_recommend", pgettext_lazy("district review", "Not recommended")),
    )
    decision = forms.ChoiceField(choices=DECISIONS)
    comment = forms.CharField(label=_("Comment"), required=False,
                              widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") in ("return", "not_recommend") and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Say why: the site reads this comment."))
        return data


# ---- audit and final review ---------------------------------------------------------------------------------


class OverrideForm(forms.Form):
    override = forms.ChoiceField(label=_("Committee's override"), choices=Application.Override.choices,
                                 required=False, widget=forms.Select(attrs=SELECT))
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False, widget=forms.TextInput(attrs=SMALL))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("override") and not (data.get("reason") or "").strip():
            self.add_error("reason", _("An override needs a reason."))
        return data


class DesignationReviewForm(forms.Form):
    OUTCOMES = (("keep", pgettext_lazy("designation review", "Keep")),
                ("withdraw", pgettext_lazy("designation review", "Withdraw")))
    year = forms.IntegerField(label=_("Year of the re-check"), min_value=2000, max_value=2100,
                              widget=forms.NumberInput(attrs=SMALL))
    outcome = forms.ChoiceField(label=_("Outcome"), choices=OUTCOMES, widget=forms.Select(attrs=SELECT))
    reason = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={**SMALL, "rows": 2}))

"""Forms of the handling units' inbox, response templates, extension decisions and deputy suggestions."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianxin.core.forms import BootstrapMixin

from . import suggestions as suggestion_service
from .models import Category, Opinion, ResponseTemplate, Suggestion

# ---- inbox ---------------------------------------------------------------------------------


class InboxFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(
        label=_("Keyword"), required=False, max_length=50,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Words in the title or text")}),
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.filter(active=True), required=False,
        empty_label=_("All categories"),
    )
    date_from = forms.DateField(label=_("Submitted from"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Submitted until"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))

    def filter(self, queryset: QuerySet[Opinion]) -> QuerySet[Opinion]:
        """Apply the valid filters; an invalid one (a stale value in a URL) is ignored."""
        from . import search

        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if data.get("category"):
            queryset = queryset.filter(category=data["category"])
        if data.get("date_from"):
            queryset = queryset.filter(created_at__date__gte=data["date_from"])
        if data.get("date_to"):
            queryset = queryset.filter(created_at__date__lte=data["date_to"])
        if data.get("q", "").strip():
            queryset = search.filter_keyword(queryset, data["q"].strip())
        return queryset


class TemplatePickerForm(BootstrapMixin, forms.Form):
    """Choose a response template: the page reloads with its text in the reply box (no script needed)."""

    template = forms.ModelChoiceField(
        label=_("Response template"), queryset=ResponseTemplate.objects.none(), required=False,
        empty_label=_("Choose a template"),
    )

    def __init__(self, *args: Any, templates: QuerySet[ResponseTemplate], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates  # type: ignore[attr-defined]

    def chosen_text(self) -> str:
        if self.is_bound and self.is_valid() and self.cleaned_data.get("template"):
            return self.cleaned_data["template"].text
        return ""


class ReplyForm(BootstrapMixin, forms.Form):
    text = forms.CharField(
        label=_("Reply to the citizen"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Write the reply to the citizen.")},
        help_text=_("The citizen sees this text."),
    )
    internal_note = forms.CharField(
        label=_("Internal note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Seen only by staff."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ExtensionForm(BootstrapMixin, forms.Form):
    working_days = forms.IntegerField(
        label=_("Extra working days"), min_value=1, max_value=30,
        error_messages={
            "required": _("Enter the number of extra working days."),
            "min_value": _("An extension is between 1 and 30 working days."),
            "max_value": _("An extension is between 1 and 30 working days."),
            "invalid": _("Enter a whole number of working days."),
        },
    )
    reason = forms.CharField(
        label=_("Reason for the extension"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give a reason for the extension.")},
    )


class ReturnForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why is the matter not for your unit?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why the matter is returned.")},
    )


class BulkReplyForm(BootstrapMixin, forms.Form):
    cases = forms.ModelMultipleChoiceField(
        label=_("Cases"), queryset=Opinion.objects.none(), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Select at least one case.")},
    )
    text = forms.CharField(
        label=_("Reply to the citizens"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Write the reply to the citizen.")},
    )

    def __init__(self, *args: Any, cases: QuerySet[Opinion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cases"].queryset = cases  # type: ignore[attr-defined]


# ---- response templates --------------------------------------------------------------------


class ResponseTemplateForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50,
                           error_messages={"required": _("Give the template a name.")})
    text = forms.CharField(label=_("Text"), max_length=5000, widget=forms.Textarea(attrs={"rows": 8}),
                           error_messages={"required": _("Write the text of the template.")})


# ---- extension decisions -------------------------------------------------------------------


class ExtensionDecisionForm(BootstrapMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("deny", _("Deny"))],
        error_messages={"required": _("Choose approve or deny.")},
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


# ---- deputy suggestions --------------------------------------------------------------------

_CODE_SPLIT = re.compile(r"[\s,，;；、]+")


class SuggestionForm(BootstrapMixin, forms.Form):
    cases = forms.CharField(
        label=_("Tracking codes of the opinions"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One or more codes, separated by spaces or commas."),
        error_messages={"required": _("Choose at least one opinion.")},
    )
    title = forms.CharField(label=_("Title"), max_length=100)
    text = forms.CharField(label=_("Content"), widget=forms.Textarea(attrs={"rows": 8}))
    deputy = forms.ModelChoiceField(label=_("Filed by deputy"), queryset=suggestion_service.Deputy.objects.none())
    unit = forms.ModelChoiceField(label=_("Handling unit"), queryset=suggestion_service.HandlingUnit.objects.none(),
                                  required=False, empty_label=_("Not yet decided"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        deputies = suggestion_service.deputies_for(user)
        self.fields["deputy"].queryset = deputies  # type: ignore[attr-defined]
        self.fields["unit"].queryset = suggestion_service.units_for(user)  # type: ignore[attr-defined]
        if user.role == "deputy":
            self.fields["deputy"].initial = user.deputy_id
            self.fields["deputy"].disabled = True

    def clean_cases(self) -> list[Opinion]:
        codes = sorted({code.upper() for code in _CODE_SPLIT.split(self.cleaned_data["cases"]) if code})
        if not codes:
            raise forms.ValidationError(_("Choose at least one opinion."))
        found = list(suggestion_service.convertible_opinions(self.user).filter(tracking_code__in=codes))
        missing = sorted(set(codes) - {op.tracking_code for op in found})
        if missing:
            raise forms.ValidationError(
                _("These codes are not open or replied opinions of your area, or are already part of a suggestion: "
                  "%(codes)s") % {"codes": "、".join(missing)}
            )
        return found


class SuggestionAnswerForm(BootstrapMixin, forms.Form):
    answer = forms.CharField(
        label=_("Answer"), max_length=10000, widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Write the answer to the suggestion.")},
    )


class SuggestionFilterForm(BootstrapMixin, forms.Form):
    state = forms.ChoiceField(
        label=pgettext_lazy("suggestion", "State"), required=False,
        choices=[("", _("All states")), *Suggestion.State.choices],
    )
    deputy = forms.ModelChoiceField(label=_("Deputy"), queryset=suggestion_service.Deputy.objects.none(),
                                    required=False, empty_label=_("All deputies"))
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["deputy"].queryset = suggestion_service.Deputy.objects.filter(  # type: ignore[attr-defined]
            pk__in=suggestion_service.suggestions_visible_to(user).values("deputy_id")
        )

    def cleaned(self) -> dict[str, Any]:
        self.is_valid()
        return getattr(self, "cleaned_data", {})

"""Forms of draft-law consultations: staff (create, entry, adoption) and citizens (comment)."""

from __future__ import annotations

import re
import secrets
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lianxin.core.forms import BootstrapMixin
from lianxin.core.validators import validate_phone
from lianxin.stations.models import Station

from .models import Comment, Consultation, DraftArticle

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_UPLOAD = 1_000_000


def new_key() -> str:
    return secrets.token_urlsafe(24)


class SitePickerMixin(forms.Form):
    """The sites taking part, grouped by district; a "whole district" choice stands for all its sites.

    ``stations`` is the queryset of sites the user may choose (active, in scope). Without JavaScript the
    server expands each chosen district to its sites in that queryset, so the choice works either way.
    """

    stations = forms.ModelMultipleChoiceField(label=_("Sites taking part"), queryset=Station.objects.none(),
                                              required=False, widget=forms.CheckboxSelectMultiple)
    districts = forms.TypedMultipleChoiceField(label=_("Whole districts"), coerce=int, required=False, choices=(),
                                               widget=forms.CheckboxSelectMultiple)

    def _setup_sites(self, stations: Any) -> None:
        from .services import district_groups

        self.fields["stations"].queryset = stations  # type: ignore[attr-defined]
        self.site_groups = district_groups(list(stations))
        self.fields["districts"].choices = [(g.key, g.name) for g in self.site_groups if g.key]  # type: ignore[attr-defined]
        self.fields["districts"].error_messages["invalid_choice"] = _(
            "A district chosen is not in your area or has no active sites.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = {s.pk: s for s in data.get("stations") or []}
        for group in self.site_groups:
            if group.key and group.key in (data.get("districts") or []):
                chosen.update((s.pk, s) for s in group.stations)
        data["stations"] = list(chosen.values())
        return data

    def picker(self) -> dict[str, Any]:
        """The groups for the template, with what is checked (from the submitted data or the initial sites)."""
        if self.is_bound:
            picked = {int(v) for v in self.data.getlist("stations") if str(v).isdigit()}  # type: ignore[attr-defined]
            districts = {int(v) for v in self.data.getlist("districts") if str(v).isdigit()}  # type: ignore[attr-defined]
        else:
            picked = {getattr(s, "pk", s) for s in self.initial.get("stations") or []}
            districts = set()
        groups, total, chosen_total = [], 0, 0
        for group in self.site_groups:
            if group.key in districts:
                picked.update(s.pk for s in group.stations)
            items = [(s, s.pk in picked) for s in group.stations]
            chosen = sum(1 for _s, checked in items if checked)
            groups.append({"key": group.key, "name": group.name, "items": items, "chosen": chosen,
                           "whole": bool(items) and chosen == len(items)})
            total += len(items)
            chosen_total += chosen
        return {"groups": groups, "total": total, "chosen": chosen_total}


class ConsultationForm(BootstrapMixin, SitePickerMixin):
    title = forms.CharField(label=_("Title of the draft"), max_length=200, required=False,
                            help_text=_("Leave empty to use the first line of the draft."))
    organiser = forms.CharField(label=_("Legislative body"), max_length=100,
                                help_text=_("E.g. “太原市人大常委会法制工作委员会”."))
    text = forms.CharField(label=_("Draft text"), required=False, widget=forms.Textarea(attrs={"rows": 12}),
                           help_text=_("Paste the draft (plain text or Markdown); each article starts on its own "
                                       "line with “第…条”, chapters with “第…章”."))
    upload = forms.FileField(label=_("Or upload the draft (.txt or .md)"), required=False,
                             widget=forms.ClearableFileInput(attrs={"accept": ".txt,.md,text/plain,text/markdown"}))
    opens_on = forms.DateField(label=_("Comments from"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    closes_on = forms.DateField(label=_("Comments until"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    report_due_on = forms.DateField(label=_("Feedback to the legislature by"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args: Any, stations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_sites(stations)

    def clean_upload(self) -> str:
        upload = self.cleaned_data.get("upload")
        if not upload:
            return ""
        if not upload.name.lower().endswith((".txt", ".md", ".markdown")):
            raise ValidationError(_("Upload a .txt or .md file."))
        if upload.size > MAX_UPLOAD:
            raise ValidationError(_("The file is too large (at most 1 MB)."))
        raw = upload.read()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return str(raw.decode(encoding))
            except UnicodeDecodeError:
                continue
        raise ValidationError(_("The file is not readable text (UTF-8 or GB18030)."))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("upload"):
            data["text"] = data["upload"]
        if not (data.get("text") or "").strip() and "upload" not in self.errors:
            self.add_error("text", _("Paste the draft or upload it as a file."))
        return data


class ConsultationEditForm(BootstrapMixin, SitePickerMixin):
    """Title, organiser, phase dates and sites of a consultation being prepared or open."""

    title = forms.CharField(label=_("Title of the draft"), max_length=200,
                            error_messages={"required": _("Give the title of the draft.")})
    organiser = forms.CharField(label=_("Legislative body"), max_length=100,
                                error_messages={"required": _("Name the legislative body consulting.")})
    opens_on = forms.DateField(label=_("Comments from"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    closes_on = forms.DateField(label=_("Comments until"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    report_due_on = forms.DateField(label=_("Feedback to the legislature by"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args: Any, stations: Any, consultation: Consultation, **kwargs: Any) -> None:
        chosen = set(consultation.stations.values_list("pk", flat=True))
        kwargs.setdefault("initial", {
            "title": consultation.title, "organiser": consultation.organiser, "opens_on": consultation.opens_on,
            "closes_on": consultation.closes_on, "report_due_on": consultation.report_due_on,
            "stations": [pk for pk in stations.values_list("pk", flat=True) if pk in chosen],
        })
        super().__init__(*args, **kwargs)
        self._setup_sites(stations)


class PhaseForm(forms.Form):
    action = forms.ChoiceField(choices=[("open", "open"), ("close", "close"), ("report", "report")])


class ModerationForm(forms.Form):
    decision = forms.ChoiceField(choices=[(Comment.Moderation.APPROVED, "approve"),
                                          (Comment.Moderation.REJECTED, "reject")])
    comments = forms.TypedMultipleChoiceField(coerce=int, choices=())

    def __init__(self, *args: Any, ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["comments"].choices = [(i, i) for i in ids]  # type: ignore[attr-defined]
        self.fields["comments"].error_messages["required"] = _("Choose at least one comment.")


class DecisionForm(BootstrapMixin, forms.Form):
    adoption = forms.ChoiceField(label=_("Decision"), choices=[c for c in Comment.Adoption.choices if c[0]])
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


def _article_choices(consultation: Consultation, with_deleted: bool = False) -> list[tuple[str, str]]:
    articles = DraftArticle.objects.filter(consultation=consultation).order_by("order")
    if not with_deleted:
        articles = articles.filter(deleted=False)
    return [("", str(_("The draft as a whole")))] + [
        (str(a.pk), f"{a.label} {a.text[:30]}") for a in articles.only("pk", "label", "text")]


class ContactMixin(forms.Form):
    name = forms.CharField(label=_("Name (optional)"), max_length=50, required=False)
    phone = forms.CharField(label=_("Mobile phone (optional)"), max_length=20, required=False,
                            validators=[validate_phone],
                            help_text=_("Leave it to be told by SMS whether your comment was adopted."),
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    consent = forms.BooleanField(label=_("I agree that my name and phone are kept to tell me the outcome."),
                                 required=False)

    def clean_phone(self) -> str:
        return "".join(self.cleaned_data.get("phone", "").split())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("name") or data.get("phone")) and not data.get("consent"):
            self.add_error("consent", _("To leave your name or phone, agree that they are kept to tell you "
                                        "the outcome."))
        return data


class EntryForm(BootstrapMixin, ContactMixin):
    station = forms.ModelChoiceField(label=_("Site"), queryset=Station.objects.none(), empty_label=None)
    session = forms.ChoiceField(label=_("Site session"), required=False)
    article = forms.ChoiceField(label=_("Article"), required=False)
    text = forms.CharField(label=_("Comment"), max_length=3000, widget=forms.Textarea(attrs={"rows": 4}),
                           error_messages={"required": _("Write the comment.")})

    def __init__(self, *args: Any, consultation: Consultation, stations: Any, sessions: list[Any],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = stations  # type: ignore[attr-defined]
        self.fields["article"].choices = _article_choices(consultation)  # type: ignore[attr-defined]
        self.fields["session"].choices = [("", str(_("No session recorded")))] + [  # type: ignore[attr-defined]
            (str(s.pk), f"{s.station.name} · {s.starts_at:%Y-%m-%d %H:%M} · {s.title}") for s in sessions]


class SessionForm(BootstrapMixin, forms.Form):
    station = forms.ModelChoiceField(label=_("Site"), queryset=Station.objects.none(), empty_label=None)
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = forms.DateTimeField(label=_("Starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label=_("Ends"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def __init__(self, *args: Any, stations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = stations  # type: ignore[attr-defined]


class PublicCommentForm(BootstrapMixin, ContactMixin):
    key = forms.CharField(widget=forms.HiddenInput, required=False)
    text = forms.CharField(label=_("Your comment"), max_length=3000, widget=forms.Textarea(attrs={"rows": 5}),
                           help_text=_("What should be changed in this article, and why."),
                           error_messages={"required": _("Write your comment.")})
    field_order = ["key", "text", "name", "phone", "consent"]

    def clean_key(self) -> str:
        key = self.cleaned_data.get("key") or ""
        return key if KEY_RE.match(key) else ""

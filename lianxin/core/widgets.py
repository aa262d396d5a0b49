"""Searchable choosers: a plain <select> that Tom Select turns into a search box with remove buttons.

The widgets render an ordinary ``<select>`` (the form works without JavaScript) marked with
``data-search-select``; ``lianxin/search-select.js`` (loaded through the widget's ``Media``, so only on
pages that use it) enhances every marked select. Pages render ``{{ form.media }}``.

With ``search_url`` the options are not all rendered: only the selected ones are (so the form submits
and re-displays with errors as usual), and the others come from a JSON endpoint as the user types.
The endpoint answers ``GET ?q=<text>`` (plus the ``forward``-ed fields of the same form) with
``{"results": [{"value": "<pk>", "text": "<label>", "hint": "<optional detail>"}]}``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

JS = ("vendor/tom-select/tom-select.complete.min.js", "lianxin/search-select.js")
CSS = {"all": ("vendor/tom-select/tom-select.bootstrap5.min.css", "lianxin/search-select.css")}


class _SearchMixin:
    """What the single and the multiple chooser share: the data attributes and the rendered options."""

    choices: Any
    attrs: dict[str, Any]

    def __init__(self, attrs: dict[str, Any] | None = None, choices: Any = (), *, search_url: str = "",
                 forward: Sequence[str] = (), placeholder: Any = None) -> None:
        super().__init__(attrs, choices)  # type: ignore[call-arg]
        self.search_url = search_url
        self.forward = tuple(forward)
        self.placeholder = placeholder

    class Media:
        js = JS
        css = CSS

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        marks: dict[str, Any] = {
            "data-search-select": "",
            "data-placeholder": self.placeholder if self.placeholder is not None else _("Type to search…"),
            "data-no-results": _("Nothing found"),
            "data-remove-title": pgettext_lazy("chooser", "Remove"),
        }
        if self.search_url:
            marks["data-search-url"] = self.search_url
            marks["data-loading"] = _("Searching…")
            marks["data-search-failed"] = _("The search is not available. Please try again.")
            if self.forward:
                marks["data-search-forward"] = " ".join(self.forward)
        return super().get_context(name, value, {**marks, **(attrs or {})})  # type: ignore[misc]

    def optgroups(self, name: str, value: list[str], attrs: dict[str, Any] | None = None) -> Any:
        if not self.search_url:
            return super().optgroups(name, value, attrs)  # type: ignore[misc]
        everything = self.choices
        self.choices = _only_selected(everything, value)
        try:
            return super().optgroups(name, value, attrs)  # type: ignore[misc]
        finally:
            self.choices = everything


def _only_selected(choices: Any, values: Iterable[Any]) -> Any:
    """The choices restricted to the selected values; a model iterator queries only those rows."""
    wanted = [str(v) for v in values if v not in (None, "")]
    queryset = getattr(choices, "queryset", None)
    field = getattr(choices, "field", None)
    if queryset is None or field is None:  # plain (value, label) pairs
        return [(v, label) for v, label in choices if str(v) in wanted or v in ("", None)]
    key = getattr(field, "to_field_name", None) or queryset.model._meta.pk.name
    model_field = queryset.model._meta.get_field(key)
    keys = []
    for v in wanted:
        try:
            keys.append(model_field.to_python(v))
        except ValidationError:  # junk in the submitted data: nothing to show for it
            continue
    narrowed = copy.copy(choices)
    narrowed.queryset = queryset.filter(**{f"{key}__in": keys})
    return narrowed


class SearchSelect(_SearchMixin, forms.Select):
    """One choice, searchable."""


class SearchSelectMultiple(_SearchMixin, forms.SelectMultiple):
    """Several choices, searchable, each with a remove button."""

"""Region pickers shared by the staff forms and filter bars, and the region search form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from lianxin.core.forms import BootstrapMixin

from . import services
from .models import Region


class RegionChoiceField(forms.ModelChoiceField):
    """A region picker labelled with full names ("太原市 小店区 坞城街道").

    The names are fetched in bulk for the whole queryset when the first option is labelled, so
    a picker of a few hundred regions costs two queries, not one per option.
    """

    def __init__(self, *args: Any, indent: bool = False, **kwargs: Any) -> None:
        # indent=True: a filter bar's compact tree, each name indented by its depth.
        self.indent = indent
        self._names: dict[str, str] = {}
        self._names_for: Any = None
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Region) -> str:
        if self.indent:
            return "\u3000" * max(obj.level - Region.Level.COUNTY, 0) + obj.name
        queryset = self.queryset
        if queryset is not None and self._names_for is not queryset:  # first option, or a new queryset
            self._names = services.full_names(queryset.values_list("path", flat=True))
            self._names_for = queryset
        return self._names.get(obj.path, obj.name)


class RegionSearchForm(BootstrapMixin, forms.Form):
    q = forms.CharField(
        label=_("Region name or division code"), required=False, max_length=50,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("e.g. 坞城 or 140105")}),
    )

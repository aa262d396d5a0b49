from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lianxin.core.forms import BootstrapMixin
from lianxin.regions.models import Region

from .models import Assignment, Deputy, Level
from .services import manageable_stations

if TYPE_CHECKING:
    from lianxin.accounts.models import User


class ScopedForm(BootstrapMixin, forms.Form):
    """A form whose choices depend on the user: ``scope_fields`` narrows them.

    BootstrapMixin reads ``self.errors`` inside ``__init__`` (to mark invalid fields), which
    validates a bound form before a subclass's ``__init__`` could narrow its querysets; so the
    narrowing runs at the start of ``full_clean`` too, whichever comes first.
    """

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        self._scoped = False
        super().__init__(*args, **kwargs)
        self._scope_once()

    def _scope_once(self) -> None:
        if not self._scoped:
            self._scoped = True
            self.scope_fields(self.user)

    def full_clean(self) -> None:
        self._scope_once()
        super().full_clean()

    def scope_fields(self, user: User) -> None:
        """Narrow the fields' querysets and choices to what ``user`` may see (subclasses do the narrowing)."""


class DeputyFilterForm(ScopedForm):
    """The list's filter bar (GET). Every field is optional."""

    q = forms.CharField(label=_("Keyword"), required=False, max_length=50,
                        widget=forms.TextInput(attrs={"placeholder": _("Name or work unit")}))
    region = forms.ModelChoiceField(label=_("Area"), queryset=Region.objects.none(), required=False,
                                    empty_label=_("All areas"))
    level = forms.ChoiceField(label=_("Level"), required=False, choices=[("", _("All levels")), *Level.choices])
    site = forms.CharField(label=_("Site"), required=False, max_length=50,
                           widget=forms.TextInput(attrs={"placeholder": _("Site name or code")}))
    gender = forms.ChoiceField(label=_("Gender"), required=False,
                               choices=[("", _("Any gender")), *Deputy.Gender.choices])
    active = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Serving or not")), ("1", _("Serving")), ("0", _("No longer serving"))])
    without_site = forms.BooleanField(label=_("Without a site"), required=False)

    def scope_fields(self, user: User) -> None:
        regions = Region.objects.visible_to(user).filter(level__lte=Region.Level.TOWNSHIP)
        field: forms.ModelChoiceField = self.fields["region"]  # type: ignore[assignment]
        field.queryset = regions
        # Any area of the user's subtree is accepted (links may carry a township), but the drop-down
        # lists only districts — and townships when the user's own area is a district or smaller —
        # so it stays short at national scale.
        shown = Q(level__lte=Region.Level.COUNTY)
        area = getattr(user, "region", None) if getattr(user, "is_admin", False) else None
        if area is not None and area.level >= Region.Level.COUNTY:
            shown = Q()
        selected = self.data.get("region") if self.is_bound else None
        if selected and str(selected).isdigit():
            shown |= Q(pk=int(selected))
        choices = forms.models.ModelChoiceIterator(field)
        choices.queryset = regions.filter(shown)
        field.widget.choices = choices  # type: ignore[attr-defined]


class AssignForm(ScopedForm):
    """Add a deputy to a site's group: the site must be one the user manages."""

    station: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Site"), queryset=None,
        error_messages={"invalid_choice": _("You cannot change the group of this site.")},
    )
    role = forms.ChoiceField(label=_("Role"), choices=Assignment.Role.choices, initial=Assignment.Role.MEMBER)

    def scope_fields(self, user: User) -> None:
        self.fields["station"].queryset = manageable_stations(user)  # type: ignore[attr-defined]


class AddToGroupForm(ScopedForm):
    """Add a deputy to the group of a given site (the site-centred page)."""

    deputy: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Deputy"), queryset=None,
        error_messages={"invalid_choice": _("This deputy is not in your area.")},
    )
    role = forms.ChoiceField(label=_("Role"), choices=Assignment.Role.choices, initial=Assignment.Role.MEMBER)

    def scope_fields(self, user: User) -> None:
        self.fields["deputy"].queryset = Deputy.objects.visible_to(user)  # type: ignore[attr-defined]


class RoleForm(BootstrapMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Assignment.Role.choices)

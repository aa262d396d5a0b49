"""Forms of the staff case console: the list's filter bar, one form per transition, intake, bulk actions.

Every transition form carries the case's ``version`` in a hidden field; the view passes it to the
service as ``expected_version`` so a form opened before someone else's change is refused.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from html import escape
from typing import Any

from django import forms
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db.models import QuerySet
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from lianxin.accounts.models import ADMIN_ROLES, Role, User
from lianxin.core.forms import BootstrapMixin
from lianxin.core.keycache import KeyCache
from lianxin.core.validators import validate_phone
from lianxin.deputies.models import Assignment, Deputy
from lianxin.regions.forms import RegionChoiceField
from lianxin.regions.models import Region, subtree_q
from lianxin.stations.models import Station
from lianxin.units.models import HandlingUnit

from . import search, similar
from .models import Category, Channel, Opinion, RejectReason, Status, Urgency

STAFF_CHANNELS = [Channel.WALK_IN, Channel.PHONE, Channel.VISIT]
DEPUTY_NOT_AT_SITE = _("This deputy does not belong to the chosen site.")


def role_of(user: User) -> str:
    return Role.CITY_ADMIN if user.is_superuser else user.role


def sites_for(user: User) -> QuerySet[Station]:
    return Station.objects.visible_to(user).active().order_by("region_path", "code")


def deputies_at(stations: QuerySet[Station]) -> QuerySet[Deputy]:
    """Deputies currently in the mixed group of one of ``stations``."""
    at_sites = Assignment.objects.current().filter(station__in=stations.values("pk")).values("deputy_id")
    return Deputy.objects.filter(pk__in=at_sites, active=True).order_by("name", "id")


def check_deputy_at_site(deputy: Deputy | None, station: Station | None) -> None:
    if deputy is not None and station is not None and not Assignment.objects.current().filter(
        station=station, deputy=deputy
    ).exists():
        raise ValidationError(DEPUTY_NOT_AT_SITE)


def transfer_units(user: User, opinion: Opinion) -> QuerySet[HandlingUnit]:
    """Units a user may forward ``opinion`` to: a site forwards by level to its own township/street
    office; the congress staff to any active unit of their area."""
    units = HandlingUnit.objects.active().select_related("region").order_by("region__path", "name", "id")
    if role_of(user) in (Role.SITE_MANAGER, Role.DEPUTY):
        path = opinion.station.region_path if opinion.station_id else opinion.region_path  # type: ignore[union-attr]
        codes = [code for code in path.strip("/").split("/") if code]
        ancestors = ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]
        return units.filter(kind=HandlingUnit.Kind.TOWNSHIP, region__path__in=ancestors)
    return units.filter(pk__in=HandlingUnit.objects.visible_to(user).values("pk"))


# ---- the list ----------------------------------------------------------------------------------


# The options of filter selects over rows (sites, units, areas, categories) by language and query (the
# query carries the viewer's scope), pre-escaped: a city's filter bar has some 800 options, and
# reading and escaping them was a fifth of a list page. Emptied when a site, unit, area or category is
# saved or deleted (OpinionsConfig.ready); other processes see changes within a minute.
FILTER_OPTIONS: KeyCache[list[tuple[str, str, str]]] = KeyCache(lambda _key: None, ttl=60.0, max_size=2_000)


class PlainSelect(forms.Select):
    """A ``<select>`` built as one string.

    Django renders every option through a template (some 0.2 ms each): a city's filter bar of
    several hundred sites, units and areas took longer than the rest of the page. Same markup,
    without option groups. Options from a queryset are kept in ``FILTER_OPTIONS``.
    """

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        chosen = set(self.format_value(value))
        options = "".join(
            f'<option value="{escaped}"{" selected" if key in chosen else ""}>{label}</option>'
            for key, escaped, label in self._options()
        )
        attributes = flatatt(self.build_attrs(self.attrs, {**(attrs or {}), "name": name}))
        return mark_safe(f"<select{attributes}>{options}</select>")  # noqa: S308 - every part escaped

    def _options(self) -> list[tuple[str, str, str]]:
        def read(_key: str = "") -> list[tuple[str, str, str]]:
            return [(str(option), escape(str(option)), escape(str(label))) for option, label in self.choices]

        queryset = getattr(self.choices, "queryset", None)
        if queryset is None:
            return read()
        try:
            sql = str(queryset.query)
        except EmptyResultSet:
            return []
        empty = getattr(getattr(self.choices, "field", None), "empty_label", None)
        key = f"{translation.get_language()}|{type(self.choices).__name__}|{empty}|{sql}"
        return FILTER_OPTIONS.get(key, read) or []


class _NameChoices(ModelChoiceIterator):
    """Options straight from ``values_list("pk", "name")``: no model instance per option."""

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from self.queryset.values_list("pk", "name")


class NameChoiceField(forms.ModelChoiceField):
    """A filter's choice of sites or units, labelled with their names and rendered as a ``PlainSelect``."""

    iterator = _NameChoices
    widget = PlainSelect


class OpinionFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(
        label=_("Keyword"), required=False, max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Words of the title or content")}),
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All statuses")), *Status.choices],
                               widget=PlainSelect)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.all(), required=False,
                                      empty_label=_("All categories"), widget=PlainSelect)
    region = RegionChoiceField(label=_("Area"), queryset=Region.objects.none(), required=False,
                               empty_label=_("All areas"), indent=True, widget=PlainSelect)
    site = NameChoiceField(label=_("Site"), queryset=Station.objects.none(), required=False,
                           empty_label=_("All sites"))
    unit = NameChoiceField(label=_("Handling unit"), queryset=HandlingUnit.objects.none(), required=False,
                           empty_label=_("All units"))
    # A city has thousands of deputies: a name to type, not a <select> of every one of them.
    deputy = forms.CharField(label=_("Deputy"), required=False, max_length=50,
                             widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Deputy's name")}))
    urgency = forms.ChoiceField(label=_("Urgency"), required=False, choices=[("", _("Any urgency")), *Urgency.choices],
                                widget=PlainSelect)
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("All channels")), *Channel.choices],
                                widget=PlainSelect)
    created_from = forms.DateField(label=_("Submitted from"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    created_to = forms.DateField(label=_("Submitted until"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["region"].queryset = Region.objects.visible_to(user).filter(  # type: ignore[attr-defined]
            level__in=[Region.Level.COUNTY, Region.Level.TOWNSHIP]
        ).only("id", "name", "level", "path")
        self.fields["site"].queryset = Station.objects.visible_to(user).order_by("region_path", "code")  # type: ignore[attr-defined]
        self.fields["unit"].queryset = HandlingUnit.objects.visible_to(user)  # type: ignore[attr-defined]

    def deputies(self, value: str) -> QuerySet[Deputy]:
        """The deputies a ``deputy`` filter names: by id (links), else by a part of the name, in scope."""
        visible = Deputy.objects.visible_to(self.user)
        return visible.filter(pk=int(value)) if value.isdigit() else visible.filter(name__contains=value)

    def filter(self, queryset: QuerySet[Opinion], *, probe: bool = False, keyword: bool = True) -> QuerySet[Opinion]:
        """Apply the valid filters; an invalid one (a stale id in a URL) is ignored, not obeyed.

        ``probe``: the keyword's grams as per-row probes (``search.filter_keyword``); ``keyword=False``:
        every filter but the keyword (the scope ``search.keyword_plan`` weighs; the list then joins
        the keyword itself, ``search.join_gram``)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if data.get("region"):
            queryset = queryset.filter(subtree_q("region_path", data["region"].path))
        for name, column in (("site", "station"), ("unit", "unit"), ("category", "category")):
            if data.get(name):
                queryset = queryset.filter(**{column: data[name]})
        if data.get("deputy", "").strip():
            # a subquery, not a query of its own: the list's query count stays the same
            queryset = queryset.filter(deputy__in=self.deputies(data["deputy"].strip()).values("pk"))
        for name in ("status", "urgency", "channel"):
            if data.get(name):
                queryset = queryset.filter(**{name: data[name]})
        if data.get("created_from"):
            queryset = queryset.filter(created_at__gte=_day_start(data["created_from"]))
        if data.get("created_to"):
            queryset = queryset.filter(created_at__lt=_day_start(data["created_to"] + datetime.timedelta(days=1)))
        if keyword and data.get("q", "").strip():
            queryset = search.filter_keyword(queryset, data["q"].strip(), probe=probe)
        return queryset

    def active_filters(self) -> dict[str, Any]:
        return {k: str(v) for k, v in getattr(self, "cleaned_data", {}).items() if v not in (None, "")}


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


# ---- transitions ---------------------------------------------------------------------------------


class CaseForm(BootstrapMixin, forms.Form):
    """A transition form; ``version`` is the case's version when the page was rendered."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, user: User, opinion: Opinion, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})["version"] = opinion.version
        super().__init__(*args, **kwargs)
        self.user = user
        self.opinion = opinion


def _internal_note() -> forms.CharField:
    return forms.CharField(label=_("Internal note (staff only)"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


def _public_note(label: Any = None) -> forms.CharField:
    return forms.CharField(label=label or _("Note to the citizen"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class AcceptForm(CaseForm):
    station = forms.ModelChoiceField(label=_("Site taking the case"), queryset=Station.objects.none())
    deputy = forms.ModelChoiceField(label=_("Deputy"), queryset=Deputy.objects.none(), required=False,
                                    empty_label=_("No particular deputy"))
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.filter(active=True))
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
    public_note = _public_note()
    internal_note = _internal_note()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        opinion: Opinion = kwargs["opinion"]
        kwargs.setdefault("initial", {}).update({
            "station": opinion.station_id, "deputy": opinion.deputy_id, "category": opinion.category_id,
            "urgency": opinion.urgency,
        })
        super().__init__(*args, **kwargs)
        stations = sites_for(self.user)
        self.fields["station"].queryset = stations  # type: ignore[attr-defined]
        self.fields["deputy"].queryset = deputies_at(stations)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            check_deputy_at_site(data.get("deputy"), data.get("station"))
        except ValidationError as error:
            self.add_error("deputy", error)
        activity, station = data.get("activity"), data.get("station")
        if activity is not None and station is not None and activity.station_id != station.pk:
            self.add_error("station", _("The activity took place at another site."))
        return data


class RejectForm(CaseForm):
    reason = forms.ChoiceField(label=_("Reason"), choices=RejectReason.choices, widget=forms.RadioSelect,
                               error_messages={"required": _("Choose a reason for not accepting.")})
    public_note = _public_note(_("Note to the citizen (leave empty to send the standard guidance)"))
    internal_note = _internal_note()


class MergeForm(CaseForm):
    into = forms.ModelChoiceField(label=_("Similar open cases"), queryset=Opinion.objects.none(), required=False,
                                  widget=forms.RadioSelect, empty_label=None)
    tracking_code = forms.CharField(label=_("Or the tracking code of the case"), required=False, max_length=12)
    internal_note = _internal_note()

    def __init__(self, *args: Any, candidates: list[Opinion] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = candidates or []
        self.fields["into"].queryset = Opinion.objects.filter(  # type: ignore[attr-defined]
            pk__in=[c.pk for c in self.candidates]
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        target = data.get("into")
        code = (data.get("tracking_code") or "").strip()
        if code:
            target = similar.by_tracking_code(self.user, code)
            if target is None:
                self.add_error("tracking_code", _("No case with this tracking code in your area."))
        elif target is None:
            raise ValidationError(_("Pick a similar case or enter a tracking code."))
        data["target"] = target
        return data


class AnswerForm(CaseForm):
    reply = forms.CharField(label=_("Answer given to the citizen"), max_length=5000,
                            widget=forms.Textarea(attrs={"rows": 4}),
                            error_messages={"required": _("Write the answer given to the citizen.")})
    internal_note = _internal_note()


class TransferForm(CaseForm):
    unit = forms.ModelChoiceField(label=_("Handling unit"), queryset=HandlingUnit.objects.none(),
                                  error_messages={"required": _("Choose the handling unit.")})
    working_days = forms.IntegerField(label=_("Working days to handle"), min_value=1, max_value=60)
    public_note = _public_note()
    internal_note = _internal_note()

    def __init__(self, *args: Any, default_days: int = 10, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})["working_days"] = default_days
        super().__init__(*args, **kwargs)
        self.default_days = default_days
        self.fields["unit"].queryset = transfer_units(self.user, self.opinion)  # type: ignore[attr-defined]
        self.fields["working_days"].help_text = _("The rule for this category and urgency: %(days)s working days.") % {
            "days": default_days}


class EscalateForm(CaseForm):
    note = forms.CharField(label=_("Escalation note (staff only)"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class ExtensionDecisionForm(CaseForm):
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect,
                                 choices=[("approve", _("Approve the extension")), ("deny", _("Deny the extension"))])
    note = forms.CharField(label=_("Internal note (staff only)"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


# ---- intake on a citizen's behalf ----------------------------------------------------------------


class NewOpinionForm(BootstrapMixin, forms.Form):
    channel = forms.ChoiceField(label=_("How the citizen came"), choices=[(c.value, c.label) for c in STAFF_CHANNELS])
    station = forms.ModelChoiceField(label=_("Site"), queryset=Station.objects.none())
    deputy = forms.ModelChoiceField(label=_("Deputy who received it"), queryset=Deputy.objects.none(),
                                    required=False, empty_label=_("No particular deputy"))
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.filter(active=True))
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    title = forms.CharField(label=_("Title"), max_length=100)
    text = forms.CharField(label=_("Content"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))
    citizen_name = forms.CharField(label=_("Citizen's name"), max_length=50)
    citizen_phone = forms.CharField(label=_("Citizen's phone"), max_length=20, validators=[validate_phone])
    consent = forms.BooleanField(label=_("The citizen agreed to the privacy notice"),
                                 error_messages={"required": _("The citizen's consent to the privacy notice is required.")})
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    # Entered during an activity (a reception day …): the opinion links to it.
    activity = forms.ModelChoiceField(queryset=Opinion.objects.none(), required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        from lianxin.activities.models import Activity

        kwargs.setdefault("initial", {}).setdefault("idempotency_key", f"staff-{uuid.uuid4().hex}")
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["activity"].queryset = Activity.objects.visible_to(user).exclude(  # type: ignore[attr-defined]
            status=Activity.Status.CANCELLED)
        stations = sites_for(user)
        self.fields["station"].queryset = stations  # type: ignore[attr-defined]
        self.fields["deputy"].queryset = deputies_at(stations)  # type: ignore[attr-defined]
        if user.role == Role.DEPUTY and user.deputy_id:
            self.fields["deputy"].initial = user.deputy_id
        if stations.count() == 1:
            self.fields["station"].initial = stations.first().pk  # type: ignore[union-attr]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            check_deputy_at_site(data.get("deputy"), data.get("station"))
        except ValidationError as error:
            self.add_error("deputy", error)
        return data


# ---- bulk actions --------------------------------------------------------------------------------


class IdListField(forms.Field):
    widget = forms.MultipleHiddenInput
    default_error_messages = {"required": _("Select at least one case."), "invalid": _("Invalid selection.")}

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        try:
            return sorted({int(v) for v in value})
        except (TypeError, ValueError) as error:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from error


class BulkForm(BootstrapMixin, forms.Form):
    ACTIONS = [("transfer", _("Transfer to a handling unit")), ("escalate", _("Escalate (督办)"))]

    ids = IdListField()
    action = forms.ChoiceField(label=_("Bulk action"), choices=ACTIONS)
    unit = forms.ModelChoiceField(label=_("Handling unit"), queryset=HandlingUnit.objects.none(), required=False)
    working_days = forms.IntegerField(label=_("Working days (empty: the rule of each case)"), required=False,
                                      min_value=1, max_value=60)
    note = forms.CharField(label=_("Internal note (staff only)"), required=False, max_length=2000)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = HandlingUnit.objects.visible_to(user).active()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "transfer" and not data.get("unit"):
            self.add_error("unit", _("Choose the handling unit."))
        return data


def bulk_allowed(user: User) -> bool:
    return user.is_superuser or user.role in ADMIN_ROLES

"""The deputies' roster in Excel (代表名册): template, export, and import checked into a preview then applied.

One row per seat; a person with two seats is two rows, joined by the person ID column (the
record number, filled in by the export) or, for people not yet on the roster, by name + mobile phone.
A row without level, term and constituency only updates the person. Nothing is written until
``apply_import``, which re-reads the file, re-checks every row and writes all of it in one transaction.
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from lianxin.accounts.audit import log_action
from lianxin.accounts.models import ADMIN_ROLES
from lianxin.accounts.scope import admin_region
from lianxin.core import clock
from lianxin.core.crypto import lookup_hash
from lianxin.core.masking import mask_phone
from lianxin.regions.models import Region, subtree_q

from .models import LEVEL_ORDER, Deputy, DeputyQuerySet, Level, RosterImport, Seat

if TYPE_CHECKING:
    from lianxin.accounts.models import User

# Above this many rows the check and the apply run as a task with a progress bar.
TASK_THRESHOLD = 300
MAX_ROWS = 20_000
# Rows listed in the stored preview per kind (counts are always complete).
PREVIEW_LIMIT = 1000
PROGRESS_EVERY = 250
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
# The smallest kind of area a seat's constituency may be, per level: a township deputy is elected in a
# township/street or a smaller area, a county deputy within a county, and so on.
LEVEL_AREA = {
    Level.NATIONAL: Region.Level.COUNTRY,
    Level.PROVINCIAL: Region.Level.PROVINCE,
    Level.MUNICIPAL: Region.Level.CITY,
    Level.COUNTY: Region.Level.COUNTY,
    Level.TOWNSHIP: Region.Level.TOWNSHIP,
}


@dataclass(frozen=True)
class Column:
    key: str
    label: Promise
    width: int


COLUMNS = [
    Column("person", pgettext_lazy("roster column", "Person ID"), 10),
    Column("name", pgettext_lazy("roster column", "Name"), 12),
    Column("gender", pgettext_lazy("roster column", "Gender"), 8),
    Column("birth_year", pgettext_lazy("roster column", "Year of birth"), 10),
    Column("ethnicity", pgettext_lazy("roster column", "Ethnicity"), 10),
    Column("party", pgettext_lazy("roster column", "Political affiliation"), 14),
    Column("occupation", pgettext_lazy("roster column", "Work unit and position"), 30),
    Column("phone", pgettext_lazy("roster column", "Mobile phone"), 15),
    Column("home_region", pgettext_lazy("roster column", "Home division code"), 16),
    Column("level", pgettext_lazy("roster column", "Level"), 12),
    Column("term", pgettext_lazy("roster column", "Term"), 8),
    Column("constituency", pgettext_lazy("roster column", "Constituency division code"), 18),
    Column("constituency_name", pgettext_lazy("roster column", "Constituency"), 20),
    Column("started_on", pgettext_lazy("roster column", "Seat start date"), 14),
]
COLUMN_LABELS = {column.key: column.label for column in COLUMNS}
PERSON_FIELDS = ("name", "gender", "birth_year", "ethnicity", "party", "occupation", "phone", "home_region")
SEAT_KEYS = ("level", "term", "constituency", "constituency_name", "started_on")
REQUIRED_HEADERS = ("name", "gender", "phone", "level", "term", "constituency")
LANGUAGES = ("zh-hans", "en")


class RosterFileError(Exception):
    """The file as a whole cannot be read (not Excel, no header, too many rows)."""


def can_import(user: User) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role in ADMIN_ROLES))


# --- words accepted in cells, in every language of the site ------------------------------------


def _aliases(pairs: Callable[[], Iterable[tuple[str, Any]]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for language in LANGUAGES:
        with translation.override(language):
            for key, label in pairs():
                found[_norm(str(label))] = key
    return found


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()


def _header_aliases() -> dict[str, str]:
    return _aliases(lambda: ((c.key, c.label) for c in COLUMNS))


def _level_aliases() -> dict[str, str]:
    found = _aliases(lambda: Level.choices)
    found.update({_norm(value): value for value in Level.values})
    return found


def _gender_aliases() -> dict[str, str]:
    found = _aliases(lambda: Deputy.Gender.choices)
    found.update({_norm(value): value for value in Deputy.Gender.values})
    return found


# --- template and export ------------------------------------------------------------------------


def _workbook(rows: Iterable[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("Roster")
    sheet.append([str(column.label) for column in COLUMNS])
    bold = Font(bold=True)
    for index, column in enumerate(COLUMNS, start=1):
        sheet.cell(row=1, column=index).font = bold
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = column.width
    sheet.freeze_panes = "A2"
    for row in rows:
        sheet.append(row)
    last = max(sheet.max_row, 2000)
    letters = {c.key: sheet.cell(row=1, column=i).column_letter for i, c in enumerate(COLUMNS, start=1)}
    for key, choices in (("gender", Deputy.Gender.choices), ("level", Level.choices)):
        options = ",".join(str(label) for _value, label in choices)
        validation = DataValidation(type="list", formula1=f'"{options}"', allow_blank=True)
        validation.error = _("Choose a value from the list.")
        validation.add(f"{letters[key]}2:{letters[key]}{last}")
        sheet.add_data_validation(validation)
    _instructions(workbook.create_sheet(_("Instructions")))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _instructions(sheet: Any) -> None:
    lines = [
        _("How to fill in the roster"),
        _("One row per seat: a person with seats at two levels takes two rows with the same person details."),
        _("Person ID: leave empty for a new person; rows exported from the platform carry it, keep it unchanged."),
        _("Without a person ID a person is recognised by name and mobile phone together."),
        _("Gender and level: choose from the list. Mobile phone: 11 digits."),
        _("Home division code and constituency division code: the official administrative division code, "
          "e.g. 140105 for a district or 140105001 for a street."),
        _("A township deputy's constituency is a township or street (or smaller), a county deputy's a county "
          "or district (or smaller), a municipal deputy's a city (or smaller)."),
        _("Term: the number of the congress (届), e.g. 17. Seat start date: YYYY-MM-DD, may be empty."),
        _("A row without level, term and constituency only updates the person's details."),
        _("After an election, import the new term's seats with \"new term\" set: the previous terms' current "
          "seats at the same levels end, and their history is kept."),
        _("Nothing is saved until you confirm the preview; one wrong row stops the whole import."),
    ]
    for line in lines:
        sheet.append([line])
    sheet.column_dimensions["A"].width = 120
    sheet["A1"].font = Font(bold=True)


def template_xlsx() -> bytes:
    return _workbook([])


def export_rows(deputies: DeputyQuerySet, full_phones: bool) -> Iterator[list[Any]]:
    """One row per current seat (a person without one: one row of person details), template columns."""
    seats = Prefetch("seats", queryset=Seat.objects.current().select_related("constituency"), to_attr="roster_seats")
    queryset = deputies.select_related("home_region").prefetch_related(seats).order_by("name", "id")
    for deputy in queryset.iterator(chunk_size=1000):
        person = [
            deputy.pk, deputy.name, deputy.get_gender_display(), deputy.birth_year, deputy.ethnicity, deputy.party,
            deputy.occupation, deputy.phone if full_phones else mask_phone(deputy.phone),
            deputy.home_region.code if deputy.home_region else "",
        ]
        current = sorted(deputy.roster_seats, key=lambda s: (LEVEL_ORDER[s.level], -s.term))  # type: ignore[attr-defined]
        if not current:
            yield [*person, "", "", "", "", ""]
        for seat in current:
            yield [*person, seat.get_level_display(), seat.term, seat.constituency.code, seat.constituency_name,
                   seat.started_on]


def export_xlsx(actor: User, deputies: DeputyQuerySet, full_phones: bool, filters: dict[str, Any],
                request: Any = None) -> bytes:
    """The filtered list in the template's columns; full phones only for roles that may see them (audited)."""
    from .services import can_view_full_phone

    if full_phones and not can_view_full_phone(actor):
        raise PermissionDenied
    action = "pii.export" if full_phones else "deputy.export"
    log_action(actor, action, None, {"filters": filters, "format": "roster", "field": "phone" if full_phones else ""},
               request)
    return _workbook(export_rows(deputies.visible_to(actor), full_phones))


# --- reading a file -----------------------------------------------------------------------------


def read_rows(source: IO[bytes]) -> list[tuple[int, dict[str, Any]]]:
    """(row number, {column key: cell value}) of the roster sheet's non-empty rows."""
    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not .xlsx
        raise RosterFileError(_("The file is not an Excel workbook (.xlsx).")) from error
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None) or ()
        aliases = _header_aliases()
        keys = [aliases.get(_norm(str(cell))) if cell is not None else None for cell in header]
        missing = [str(COLUMN_LABELS[key]) for key in REQUIRED_HEADERS if key not in keys]
        if missing:
            raise RosterFileError(
                _("The first row must hold the template's column headers; missing: %(columns)s.")
                % {"columns": "、".join(missing)}
            )
        found: list[tuple[int, dict[str, Any]]] = []
        for number, values in enumerate(rows, start=2):
            if not any(v not in (None, "") for v in values):
                continue
            if len(found) >= MAX_ROWS:
                raise RosterFileError(_("A roster file may have at most %(max)s rows.") % {"max": MAX_ROWS})
            found.append((number, {key: value for key, value in zip(keys, values, strict=False) if key}))
        return found
    finally:
        workbook.close()


# --- checking: rows into a plan -----------------------------------------------------------------


@dataclass
class Plan:
    """What applying the file would do; ``errors`` empty means it may be applied."""

    errors: list[dict[str, Any]] = field(default_factory=list)
    new_people: list[Deputy] = field(default_factory=list)
    changed_people: dict[int, tuple[Deputy, set[str]]] = field(default_factory=dict)
    new_seats: list[Seat] = field(default_factory=list)
    changed_seats: list[Seat] = field(default_factory=list)
    ending: list[int] = field(default_factory=list)
    create: list[dict[str, Any]] = field(default_factory=list)
    change: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    rows: int = 0

    def error(self, row: int, key: str, message: str) -> None:
        self.errors.append({"row": row, "column": str(COLUMN_LABELS[key]) if key else "", "message": message})

    @property
    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows, "errors": len(self.errors), "create": len(self.create), "change": len(self.change),
            "unchanged": self.unchanged, "people_new": len(self.new_people),
            "people_changed": len(self.changed_people), "seats_new": len(self.new_seats),
            "seats_changed": len(self.changed_seats), "seats_ending": len(self.ending),
        }

    def preview(self) -> dict[str, Any]:
        return {"counts": self.counts, "create": self.create[:PREVIEW_LIMIT], "change": self.change[:PREVIEW_LIMIT],
                "errors": self.errors[:PREVIEW_LIMIT]}


@dataclass
class _Row:
    number: int
    person: dict[str, Any]
    seat: dict[str, Any] | None
    person_id: int | None
    phone_masked: bool
    phone_hash: str


def _text(value: Any, limit: int) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()[:limit]


def _code(value: Any) -> str:
    return _text(value, 12)


def _integer(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError
        return int(value)
    if isinstance(value, int):
        return value
    return int(str(value).strip().removeprefix("第").removesuffix("届"))


def _date(value: Any) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value).strip().replace("/", "-"))


class _Checker:
    def __init__(self, actor: User, new_term: int | None, progress: Callable[[int], None] | None) -> None:
        self.actor = actor
        self.new_term = new_term
        self.progress = progress
        self.area = None if actor.is_superuser else admin_region(actor)
        self.levels = _level_aliases()
        self.genders = _gender_aliases()
        self.plan = Plan()
        self._what: dict[tuple[str, int], str] = {}

    # first pass: each cell on its own
    def clean(self, number: int, cells: dict[str, Any]) -> _Row | None:
        plan, ok = self.plan, True

        def bad(key: str, message: str) -> None:
            nonlocal ok
            ok = False
            plan.error(number, key, message)

        person: dict[str, Any] = {}
        person_id = None
        try:
            person_id = _integer(cells.get("person"))
        except ValueError:
            bad("person", _("The person ID must be a number from an export; leave it empty for a new person."))
        person["name"] = _text(cells.get("name"), 50)
        if not person["name"]:
            bad("name", _("The name is missing."))
        gender = _text(cells.get("gender"), 20)
        person["gender"] = self.genders.get(_norm(gender), "")
        if not person["gender"]:
            bad("gender", _("Unknown gender “%(value)s”: choose from the list.") % {"value": gender}
                if gender else _("The gender is missing."))
        try:
            person["birth_year"] = _integer(cells.get("birth_year"))
            if person["birth_year"] is not None and not 1900 <= person["birth_year"] <= clock.today().year:
                raise ValueError
        except ValueError:
            bad("birth_year", _("The year of birth must be a year such as 1975."))
        person["ethnicity"] = _text(cells.get("ethnicity"), 20)
        person["party"] = _text(cells.get("party"), 30)
        person["occupation"] = _text(cells.get("occupation"), 120)
        phone = re.sub(r"[\s-]", "", _text(cells.get("phone"), 20))
        masked = "*" in phone
        person["phone"] = phone
        if not phone:
            bad("phone", _("The mobile phone is missing."))
        elif masked and person_id is None:
            bad("phone", _("A masked number (138****5678) is only accepted on rows with a person ID."))
        elif not masked and not PHONE_RE.match(phone):
            bad("phone", _("“%(value)s” is not a mobile phone number (11 digits starting with 1).") % {"value": phone})
        person["home_region"] = _code(cells.get("home_region"))

        seat: dict[str, Any] | None = None
        if any(cells.get(key) not in (None, "") for key in SEAT_KEYS):
            seat = {}
            level = _text(cells.get("level"), 30)
            seat["level"] = self.levels.get(_norm(level), "")
            if not seat["level"]:
                bad("level", _("Unknown level “%(value)s”: choose from the list.") % {"value": level}
                    if level else _("The level is missing."))
            try:
                seat["term"] = _integer(cells.get("term"))
                if seat["term"] is None:
                    bad("term", _("The term is missing."))
                elif not 1 <= seat["term"] <= 99:
                    raise ValueError
            except ValueError:
                bad("term", _("The term must be a number such as 17."))
            if ok and self.new_term and seat["term"] != self.new_term:
                bad("term", _("This import is for the new term %(term)s; the row is for term %(row_term)s.")
                    % {"term": self.new_term, "row_term": seat["term"]})
            seat["constituency"] = _code(cells.get("constituency"))
            if not seat["constituency"]:
                bad("constituency", _("The constituency division code is missing."))
            seat["constituency_name"] = _text(cells.get("constituency_name"), 100)
            try:
                seat["started_on"] = _date(cells.get("started_on"))
            except ValueError:
                bad("started_on", _("The start date must be written as YYYY-MM-DD."))
        if not ok:
            return None
        return _Row(number, person, seat, person_id, masked, "" if masked else lookup_hash(phone))

    # second pass: the rows against each other and against the database
    def check(self, raw: list[tuple[int, dict[str, Any]]]) -> Plan:
        plan = self.plan
        plan.rows = len(raw)
        rows = [row for row in (self.clean(number, cells) for number, cells in raw) if row is not None]
        codes = {r.person["home_region"] for r in rows} | {r.seat["constituency"] for r in rows if r.seat}
        regions = {r.code: r for r in Region.objects.filter(code__in=codes - {""})}
        ids = {r.person_id for r in rows if r.person_id is not None}
        hashes = {r.phone_hash for r in rows if not r.phone_masked}
        by_phone: dict[tuple[str, str], Deputy] = {}
        for deputy in Deputy.objects.filter(phone_hash__in=hashes).only("pk", "name", "phone_hash"):
            by_phone.setdefault((deputy.name, deputy.phone_hash), deputy)
        candidates = ids | {d.pk for d in by_phone.values()}
        visible = set(Deputy.objects.visible_to(self.actor).filter(pk__in=candidates).values_list("pk", flat=True))
        existing = {
            d.pk: d for d in Deputy.objects.filter(pk__in=visible).select_related("home_region")
            .prefetch_related(Prefetch("seats", queryset=Seat.objects.select_related("constituency"),
                                       to_attr="all_seats"))
        }

        people: dict[Any, tuple[int, dict[str, Any], Deputy]] = {}
        seats_seen: dict[tuple[Any, str, int], int] = {}
        for done, row in enumerate(rows, start=1):
            if self.progress and done % PROGRESS_EVERY == 0:
                self.progress(done)
            self._row(row, regions, by_phone, visible, existing, people, seats_seen)
        if self.new_term:
            self._ending()
        plan.errors.sort(key=lambda e: (e["row"], e["column"]))
        return plan

    def _row(self, row: _Row, regions: dict[str, Region], by_phone: dict[tuple[str, str], Deputy],
             visible: set[int], existing: dict[int, Deputy], people: dict[Any, tuple[int, dict[str, Any], Deputy]],
             seats_seen: dict[tuple[Any, str, int], int]) -> None:
        plan, n, person = self.plan, row.number, row.person
        errors_before = len(plan.errors)
        home = None
        if person["home_region"]:
            home = regions.get(person["home_region"])
            if home is None:
                plan.error(n, "home_region", _("Unknown division code “%(code)s”.") % {"code": person["home_region"]})
        deputy: Deputy | None = None
        if row.person_id is not None:
            deputy = existing.get(row.person_id)
            if deputy is None:
                plan.error(n, "person", _("No deputy with person ID %(id)s in your area.") % {"id": row.person_id})
            elif row.phone_masked and person["phone"] != mask_phone(deputy.phone):
                plan.error(n, "phone", _("A masked number must be the current one; write the full new number."))
        else:
            match = by_phone.get((person["name"], row.phone_hash))
            if match is not None and match.pk not in visible:
                plan.error(n, "name", _("This person is already on the roster outside your area."))
            elif match is not None:
                deputy = existing[match.pk]
        seat_data = row.seat
        constituency = None
        if seat_data:
            constituency = regions.get(seat_data["constituency"])
            if constituency is None:
                plan.error(n, "constituency", _("Unknown division code “%(code)s”.") % {"code": seat_data["constituency"]})
            elif self.area is not None and not constituency.is_within(self.area):
                plan.error(n, "constituency", _("%(area)s is outside your area (%(own)s).")
                           % {"area": constituency.name, "own": self.area.name})
            elif seat_data["level"] and constituency.level < LEVEL_AREA[Level(seat_data["level"])]:
                plan.error(n, "constituency", _("A %(level)s deputy cannot be elected in %(area)s: the constituency "
                                                 "must be a %(kind)s or a smaller area.") % {
                    "level": Level(seat_data["level"]).label, "area": constituency.name,
                    "kind": Region.Level(LEVEL_AREA[Level(seat_data["level"])]).label})
        elif deputy is None and len(plan.errors) == errors_before:
            plan.error(n, "level", _("A new person needs a seat: level, term and constituency."))
        if len(plan.errors) != errors_before:
            return

        key: Any = deputy.pk if deputy is not None else ("new", person["name"], person["phone"])
        values = {**person, "home_region": home}
        if key in people:
            first, first_values, target = people[key]
            for name in PERSON_FIELDS:
                if not (name == "phone" and row.phone_masked) and values[name] != first_values[name]:
                    plan.error(n, name, _("Differs from row %(row)s of the same person.") % {"row": first})
            if len(plan.errors) != errors_before:
                return
        else:
            target = deputy if deputy is not None else Deputy()
            people[key] = (n, values, target)
            self._person(n, target, values, row, is_new=deputy is None)
        if seat_data and constituency is not None:
            seat_key = (key, seat_data["level"], seat_data["term"])
            if seat_key in seats_seen:
                plan.error(n, "level", _("Duplicate: the same person's %(level)s seat of term %(term)s is also in "
                                         "row %(row)s.") % {"level": Level(seat_data["level"]).label,
                                                            "term": seat_data["term"], "row": seats_seen[seat_key]})
                return
            seats_seen[seat_key] = n
            self._seat(n, target, seat_data, constituency)

    def _person(self, n: int, target: Deputy, values: dict[str, Any], row: _Row, is_new: bool) -> None:
        plan, masked = self.plan, row.phone_masked
        if is_new:
            for name in PERSON_FIELDS:
                setattr(target, name, values[name])
            target.phone_hash = row.phone_hash
            plan.new_people.append(target)
            return
        changes, changed = [], set()
        for name in PERSON_FIELDS:
            if name == "phone" and masked:
                continue
            old, new = getattr(target, name), values[name]
            if old != new:
                changed.add(name)
                changes.append({"field": _label(Deputy, name),
                                "old": _shown(name, old), "new": _shown(name, new)})
                setattr(target, name, new)
        if changes:
            assert target.pk is not None
            if "phone" in changed:
                target.phone_hash = row.phone_hash
                changed.add("phone_hash")
            plan.changed_people[target.pk] = (target, changed)
            plan.change.append({"row": n, "name": target.name, "what": _("Person"), "changes": changes})

    def _seat(self, n: int, deputy: Deputy, data: dict[str, Any], constituency: Region) -> None:
        plan = self.plan
        level, term = data["level"], data["term"]
        what = self._what.get((level, term))
        if what is None:
            what = self._what[level, term] = _("%(level)s seat, term %(term)s") % {
                "level": Level(level).label, "term": term}
        seat = next((s for s in getattr(deputy, "all_seats", []) if s.level == level and s.term == term), None)
        if seat is None:
            seat = Seat(deputy=deputy, level=level, term=term, constituency=constituency,
                        constituency_name=data["constituency_name"], started_on=data["started_on"])
            plan.new_seats.append(seat)
            plan.create.append({"row": n, "name": deputy.name, "new_person": deputy.pk is None, "what": what,
                                "constituency": constituency.name})
            return
        changes = []
        for name, new, shown in (
            ("constituency", constituency, constituency.name),
            ("constituency_name", data["constituency_name"], data["constituency_name"]),
            ("started_on", data["started_on"], _shown("started_on", data["started_on"])),
        ):
            old = getattr(seat, name)
            if old != new:
                changes.append({"field": _label(Seat, name),
                                "old": _shown(name, old), "new": shown})
                setattr(seat, name, new)
        if changes:
            plan.changed_seats.append(seat)
            plan.change.append({"row": n, "name": deputy.name, "what": what, "changes": changes})
        else:
            plan.unchanged += 1

    def _ending(self) -> None:
        """New term: the current seats of earlier terms at the file's levels, within the importer's area."""
        assert self.new_term is not None
        levels = {s.level for s in self.plan.new_seats} | {s.level for s in self.plan.changed_seats}
        if not levels:
            return
        seats = Seat.objects.current().filter(level__in=levels, term__lt=self.new_term)
        if self.area is not None:
            seats = seats.filter(subtree_q("constituency__path", self.area.path))
        self.plan.ending = list(seats.values_list("pk", flat=True))


def _label(model: Any, name: str) -> str:
    return str(getattr(model._meta.get_field(name), "verbose_name", name))


def _shown(name: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if name == "phone":
        return mask_phone(value)
    if name == "gender":
        return str(Deputy.Gender(value).label)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def check_rows(actor: User, raw: list[tuple[int, dict[str, Any]]], new_term: int | None = None,
               progress: Callable[[int], None] | None = None) -> Plan:
    """Check the rows of a roster file (no writes): the plan of what applying would do, or the errors."""
    if not can_import(actor):
        raise PermissionDenied
    return _Checker(actor, new_term, progress).check(raw)


# --- the import record: check, then apply -------------------------------------------------------


def start_import(actor: User, upload: Any, new_term: int | None = None, language: str | None = None) -> RosterImport:
    """Store the upload and check it, here or (a large file) in a task; returns the import record."""
    if not can_import(actor):
        raise PermissionDenied
    imp = RosterImport(created_by=actor, region=admin_region(actor), new_term=new_term,
                       filename=str(getattr(upload, "name", ""))[:200],
                       language=language or translation.get_language() or "zh-hans")
    imp.file.save("roster.xlsx", upload, save=False)
    imp.save()
    try:
        with translation.override(imp.language), imp.file.open("rb") as handle:
            raw = read_rows(handle)
    except RosterFileError as error:
        _fail(imp, str(error))
        return imp
    RosterImport.objects.filter(pk=imp.pk).update(rows_total=len(raw))
    imp.rows_total = len(raw)
    if len(raw) > TASK_THRESHOLD:
        from .tasks import check_roster_import

        check_roster_import(imp.pk)
        imp.refresh_from_db()
    else:
        run_check(imp.pk, raw)
        imp.refresh_from_db()
    return imp


def _fail(imp: RosterImport, message: str, status: str = RosterImport.Status.INVALID) -> None:
    imp.status = status
    imp.errors = [{"row": 0, "column": "", "message": message}]
    imp.counts = {"errors": 1}
    imp.save(update_fields=["status", "errors", "counts"])


def _reader(imp: RosterImport) -> list[tuple[int, dict[str, Any]]]:
    with imp.file.open("rb") as handle:
        return read_rows(handle)


def run_check(import_id: int, raw: list[tuple[int, dict[str, Any]]] | None = None) -> None:
    """Check a stored import and save its preview (the task's body for large files)."""
    imp = RosterImport.objects.select_related("created_by").get(pk=import_id)
    assert imp.created_by is not None
    with translation.override(imp.language):
        try:
            raw = raw if raw is not None else _reader(imp)
        except RosterFileError as error:
            _fail(imp, str(error))
            return

        def progress(done: int) -> None:
            RosterImport.objects.filter(pk=import_id).update(rows_done=done)

        plan = check_rows(imp.created_by, raw, imp.new_term, progress)
    imp.rows_total = imp.rows_done = len(raw)
    imp.counts, imp.errors, imp.preview = plan.counts, plan.errors[:PREVIEW_LIMIT], plan.preview()
    imp.status = RosterImport.Status.INVALID if plan.errors else RosterImport.Status.READY
    imp.save(update_fields=["rows_total", "rows_done", "counts", "errors", "preview", "status"])


class ImportStateError(Exception):
    """The import is not ready to apply (already applied, has errors, or being worked on)."""


def request_apply(actor: User, imp: RosterImport) -> RosterImport:
    """Confirm a checked import: apply here, or (a large one) in a task."""
    if not can_import(actor) or not RosterImport.objects.visible_to(actor).filter(pk=imp.pk).exists():
        raise PermissionDenied
    claimed = RosterImport.objects.filter(pk=imp.pk, status=RosterImport.Status.READY).update(
        status=RosterImport.Status.APPLYING, applied_by=actor)
    if not claimed:
        raise ImportStateError(_("This import cannot be applied now."))
    if imp.rows_total > TASK_THRESHOLD:
        from .tasks import apply_roster_import

        apply_roster_import(imp.pk)
    else:
        apply_import(imp.pk)
    imp.refresh_from_db()
    return imp


def apply_import(import_id: int) -> bool:
    """Re-read and re-check the file, then write everything in one transaction (or nothing)."""
    imp = RosterImport.objects.select_related("created_by", "applied_by").get(pk=import_id)
    actor = imp.applied_by or imp.created_by
    assert actor is not None
    with translation.override(imp.language):
        try:
            raw = _reader(imp)
            with transaction.atomic():
                plan = check_rows(actor, raw, imp.new_term)
                if plan.errors:
                    raise _Rollback(plan)
                _write(plan)
                log_action(actor, "roster.import", imp, {**plan.counts, "new_term": imp.new_term})
        except RosterFileError as error:
            _fail(imp, str(error), RosterImport.Status.FAILED)
            return False
        except _Rollback as rollback:
            imp.status, imp.errors = RosterImport.Status.FAILED, rollback.plan.errors[:PREVIEW_LIMIT]
            imp.counts, imp.preview = rollback.plan.counts, rollback.plan.preview()
            imp.save(update_fields=["status", "errors", "counts", "preview"])
            return False
    imp.status, imp.applied_at, imp.counts = RosterImport.Status.APPLIED, clock.now(), plan.counts
    imp.rows_done = imp.rows_total
    imp.save(update_fields=["status", "applied_at", "counts", "rows_done"])
    return True


class _Rollback(Exception):
    def __init__(self, plan: Plan) -> None:
        super().__init__("roster rows changed since the preview")
        self.plan = plan


def _write(plan: Plan) -> None:
    Deputy.objects.bulk_create(plan.new_people, batch_size=500)
    if plan.changed_people:
        fields = sorted(set().union(*(f for _d, f in plan.changed_people.values())))
        Deputy.objects.bulk_update([d for d, _f in plan.changed_people.values()], fields, batch_size=500)
    if plan.ending:
        Seat.objects.filter(pk__in=plan.ending).update(ended_on=clock.today())
    Seat.objects.bulk_create(plan.new_seats, batch_size=500)
    if plan.changed_seats:
        Seat.objects.bulk_update(plan.changed_seats, ["constituency", "constituency_name", "started_on"],
                                 batch_size=500)


def import_file(actor: User, source: IO[bytes], new_term: int | None = None, apply: bool = False,
                filename: str = "") -> RosterImport:
    """The command line's path: the same record, check and apply as the web page, synchronously."""
    from django.core.files.base import ContentFile

    upload = ContentFile(source.read(), name=filename or "roster.xlsx")
    imp = start_import(actor, upload, new_term)
    if imp.in_progress:  # a large file whose check task is queued (not immediate): run it here
        run_check(imp.pk)
        imp.refresh_from_db()
    if apply and imp.status == RosterImport.Status.READY:
        RosterImport.objects.filter(pk=imp.pk).update(status=RosterImport.Status.APPLYING, applied_by=actor)
        apply_import(imp.pk)
        imp.refresh_from_db()
    return imp

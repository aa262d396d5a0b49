"""What the API returns. Staff objects are read through ``visible_to``; the summaries nested in
them (a site's deputies, a deputy's sites) carry only what the public side shows anyway — codes,
names, levels, roles — so nesting never widens what a caller learns.

Nested lists are read from attributes that the routers fill with ``Prefetch(..., to_attr=...)``,
which keeps every endpoint at a fixed number of queries.
"""

from __future__ import annotations

import datetime
from typing import Any

from ninja import Schema

from lianxin.deputies.models import LEVEL_ORDER, Level


def level_labels(seats: list[Any]) -> list[LevelOut]:
    """Distinct levels of some seats, highest first (a deputy may sit at several levels)."""
    levels = sorted({seat.level for seat in seats}, key=LEVEL_ORDER.__getitem__)
    return [LevelOut(level=level, label=str(Level(level).label)) for level in levels]


class LevelOut(Schema):
    level: str
    label: str


class RegionRef(Schema):
    code: str
    name: str


class SiteBrief(Schema):
    code: str
    name: str


class RegionOut(Schema):
    code: str
    name: str
    level: int
    level_label: str
    parent_code: str | None
    has_children: bool

    @staticmethod
    def resolve_level_label(obj: Any) -> str:
        return str(obj.get_level_display())

    @staticmethod
    def resolve_parent_code(obj: Any) -> str | None:
        return obj.parent.code if obj.parent_id else None


# ---- public side -------------------------------------------------------------------------------


class PublicStationOut(Schema):
    code: str
    name: str
    kind: str
    kind_label: str
    district: RegionRef | None
    address: str
    latitude: float
    longitude: float
    opening_hours: str
    distance_m: int | None = None

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_district(obj: Any) -> Any:
        return getattr(obj, "district", None)

    @staticmethod
    def resolve_distance_m(obj: Any) -> int | None:
        return getattr(obj, "distance_m", None)


class PublicStationPage(Schema):
    items: list[PublicStationOut]
    next_cursor: str | None


class PublicDeputyRef(Schema):
    public_code: str
    name: str
    role: str
    role_label: str
    levels: list[LevelOut]


class PublicStationDetail(PublicStationOut):
    reception_days: str
    contact_name: str
    contact_phone: str
    facilities: list[str]
    description: str
    deputies: list[PublicDeputyRef]

    @staticmethod
    def resolve_facilities(obj: Any) -> list[str]:
        return list(obj.facility_labels())

    @staticmethod
    def resolve_deputies(obj: Any) -> list[dict[str, Any]]:
        return [
            {
                "public_code": a.deputy.public_code,
                "name": a.deputy.name,
                "role": a.role,
                "role_label": str(a.get_role_display()),
                "levels": level_labels(a.deputy.current_seats),
            }
            for a in obj.current_assignments
        ]


class PublicSeatOut(Schema):
    level: str
    level_label: str
    term: int
    constituency_name: str

    @staticmethod
    def resolve_level_label(obj: Any) -> str:
        return str(obj.get_level_display())

    @staticmethod
    def resolve_constituency_name(obj: Any) -> str:
        return obj.constituency_name or obj.constituency.name


class SiteRef(Schema):
    code: str
    name: str
    role: str
    role_label: str


def _site_refs(assignments: list[Any]) -> list[dict[str, Any]]:
    return [
        {"code": a.station.code, "name": a.station.name, "role": a.role, "role_label": str(a.get_role_display())}
        for a in assignments
    ]


class PublicDeputyOut(Schema):
    public_code: str
    name: str
    occupation: str
    bio: str
    seats: list[PublicSeatOut]
    sites: list[SiteRef]

    @staticmethod
    def resolve_seats(obj: Any) -> list[Any]:
        return list(obj.current_seats)

    @staticmethod
    def resolve_sites(obj: Any) -> list[dict[str, Any]]:
        return _site_refs(obj.current_assignments)


# ---- staff side ----------------------------------------------------------------------------------


class StationOut(Schema):
    code: str
    name: str
    kind: str
    status: str
    tier: str
    region: RegionRef
    address: str
    latitude: float
    longitude: float


class StationPage(Schema):
    items: list[StationOut]
    next_cursor: str | None


class StationDeputyRef(Schema):
    id: int
    name: str
    role: str
    levels: list[LevelOut]


class StationDetail(StationOut):
    parent_code: str | None
    contact_name: str
    contact_phone: str
    opening_hours: str
    reception_days: str
    facilities: list[str]
    description: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    deputies: list[StationDeputyRef]

    @staticmethod
    def resolve_parent_code(obj: Any) -> str | None:
        return obj.parent.code if obj.parent_id else None

    @staticmethod
    def resolve_deputies(obj: Any) -> list[dict[str, Any]]:
        return [
            {"id": a.deputy_id, "name": a.deputy.name, "role": a.role, "levels": level_labels(a.deputy.current_seats)}
            for a in obj.current_assignments
        ]


class DeputyOut(Schema):
    id: int
    name: str
    gender: str
    active: bool
    phone: str
    levels: list[LevelOut]
    site_codes: list[str]

    @staticmethod
    def resolve_phone(obj: Any) -> str:
        # The API never returns a deputy's full phone number; full views happen (and are logged) in the console.
        return str(obj.masked_phone)

    @staticmethod
    def resolve_levels(obj: Any) -> list[LevelOut]:
        return level_labels(obj.current_seats)

    @staticmethod
    def resolve_site_codes(obj: Any) -> list[str]:
        return [a.station.code for a in obj.current_assignments]


class DeputyPage(Schema):
    items: list[DeputyOut]
    next_cursor: str | None


class SeatOut(Schema):
    level: str
    level_label: str
    term: int
    constituency: RegionRef
    constituency_name: str
    started_on: datetime.date | None
    ended_on: datetime.date | None

    @staticmethod
    def resolve_level_label(obj: Any) -> str:
        return str(obj.get_level_display())


class AssignmentOut(Schema):
    site: SiteBrief
    role: str
    role_label: str
    started_on: datetime.date
    ended_on: datetime.date | None

    @staticmethod
    def resolve_site(obj: Any) -> dict[str, str]:
        return {"code": obj.station.code, "name": obj.station.name}

    @staticmethod
    def resolve_role_label(obj: Any) -> str:
        return str(obj.get_role_display())


class DeputyDetail(DeputyOut):
    birth_year: int | None
    ethnicity: str
    party: str
    occupation: str
    home_region: RegionRef | None
    bio: str
    public_code: str
    seats: list[SeatOut]
    assignments: list[AssignmentOut]

    @staticmethod
    def resolve_seats(obj: Any) -> list[Any]:
        return list(obj.all_seats)

    @staticmethod
    def resolve_assignments(obj: Any) -> list[Any]:
        return list(obj.all_assignments)


class UnitOut(Schema):
    code: str
    name: str
    kind: str
    kind_label: str
    region: RegionRef
    active: bool

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return str(obj.get_kind_display())


class UnitPage(Schema):
    items: list[UnitOut]
    next_cursor: str | None


class UnitDetail(UnitOut):
    contact_name: str
    contact_phone: str
    address: str
    duties: str


class ScopeOut(Schema):
    region: RegionRef | None
    site_codes: list[str]
    deputy_id: int | None
    unit_code: str | None


class MeOut(Schema):
    username: str
    display_name: str
    role: str
    role_label: str
    is_superuser: bool
    scope: ScopeOut


class ErrorOut(Schema):
    detail: str


class ValidationErrorOut(Schema):
    detail: str
    errors: list[dict[str, Any]]

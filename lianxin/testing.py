"""Named personas and a small two-district world shared by the tests.

    world.city            太原市 (140100) — the deployment root
    world.district_a/_b   小店区 / 迎泽区, each with one street and one community
    world.station_a/_b    a station in each street; world.point_a a point under station_a
    world.deputy_a/_b     a deputy assigned to each station (deputy_a holds two seats)
    world.unit_a/_b       a handling unit in each district
    world.users[role]     one account per role, scoped to district A (city admin: the city)
    world.outsider        a district admin of district B
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from lianxin.accounts.models import Role, User
from lianxin.deputies.models import Assignment, Deputy, Level, Seat
from lianxin.regions.models import Region
from lianxin.stations.models import Station
from lianxin.units.models import HandlingUnit

PASSWORD = "correct-horse-battery"


@dataclass
class World:
    province: Region
    city: Region
    district_a: Region
    district_b: Region
    street_a: Region
    street_b: Region
    community_a: Region
    station_a: Station
    station_b: Station
    point_a: Station
    deputy_a: Deputy
    deputy_b: Deputy
    unit_a: HandlingUnit
    unit_b: HandlingUnit
    users: dict[str, User] = field(default_factory=dict)
    outsider: User | None = None
    superuser: User | None = None


def make_region(code: str, name: str, level: int, parent: Region | None = None) -> Region:
    return Region.objects.create(code=code, name=name, level=level, parent=parent)


def make_station(code: str, name: str, region: Region, kind: str = Station.Kind.STATION, **extra) -> Station:
    values = {
        "address": f"{region.name}1号",
        "latitude": Decimal("37.850000"),
        "longitude": Decimal("112.550000"),
        "contact_name": "王联络",
        "contact_phone": "0351-1234567",
        "opening_hours": "周一至周五 9:00-17:00",
    }
    values.update(extra)
    return Station.objects.create(code=code, name=name, kind=kind, region=region, **values)


def make_user(username: str, role: str = "", **scope) -> User:
    stations = scope.pop("stations", [])
    user = User.objects.create_user(username=username, password=PASSWORD, role=role, **scope)
    if stations:
        user.stations.set(stations)
    return user


def build_world() -> World:
    L = Region.Level
    province = make_region("140000", "山西省", L.PROVINCE)
    city = make_region("140100", "太原市", L.CITY, province)
    district_a = make_region("140105", "小店区", L.COUNTY, city)
    district_b = make_region("140106", "迎泽区", L.COUNTY, city)
    street_a = make_region("140105001", "坞城街道", L.TOWNSHIP, district_a)
    street_b = make_region("140106001", "柳巷街道", L.TOWNSHIP, district_b)
    community_a = make_region("140105001001", "坞城社区", L.VILLAGE, street_a)
    station_a = make_station("S-140105001", "坞城街道人大代表联络站", street_a,
                             latitude=Decimal("37.800000"), longitude=Decimal("112.580000"))
    station_b = make_station("S-140106001", "柳巷街道人大代表联络站", street_b,
                             latitude=Decimal("37.870000"), longitude=Decimal("112.560000"))
    point_a = make_station("P-140105001001", "坞城社区人大代表联络点", community_a, Station.Kind.POINT,
                           parent=station_a, latitude=Decimal("37.801000"), longitude=Decimal("112.581000"))
    deputy_a = Deputy.objects.create(name="李明华", gender="m", phone="13812345678", occupation="坞城社区主任",
                                     home_region=community_a)
    deputy_b = Deputy.objects.create(name="赵淑芬", gender="f", phone="13987654321", occupation="柳巷小学教师",
                                     home_region=street_b)
    Seat.objects.create(deputy=deputy_a, level=Level.COUNTY, term=17, constituency=street_a)
    Seat.objects.create(deputy=deputy_a, level=Level.MUNICIPAL, term=16, constituency=district_a)
    Seat.objects.create(deputy=deputy_b, level=Level.COUNTY, term=17, constituency=street_b)
    since = datetime.date(2024, 1, 1)
    Assignment.objects.create(deputy=deputy_a, station=station_a, role=Assignment.Role.LEADER, started_on=since)
    Assignment.objects.create(deputy=deputy_b, station=station_b, started_on=since)
    unit_a = HandlingUnit.objects.create(code="U-140105-01", name="小店区住房和城乡建设局", region=district_a,
                                         contact_name="张科长", contact_phone="0351-7654321")
    unit_b = HandlingUnit.objects.create(code="U-140106-01", name="迎泽区城市管理局", region=district_b,
                                         contact_name="刘科长", contact_phone="0351-7000000")
    world = World(province, city, district_a, district_b, street_a, street_b, community_a, station_a,
                  station_b, point_a, deputy_a, deputy_b, unit_a, unit_b)
    world.users = {
        Role.CITY_ADMIN: make_user("city", Role.CITY_ADMIN, region=city),
        Role.DISTRICT_ADMIN: make_user("district", Role.DISTRICT_ADMIN, region=district_a),
        Role.SITE_MANAGER: make_user("manager", Role.SITE_MANAGER, stations=[station_a]),
        Role.DEPUTY: make_user("deputy", Role.DEPUTY, deputy=deputy_a),
        Role.UNIT_STAFF: make_user("unit", Role.UNIT_STAFF, unit=unit_a),
        Role.AUDITOR: make_user("auditor", Role.AUDITOR),
    }
    world.outsider = make_user("outsider", Role.DISTRICT_ADMIN, region=district_b)
    world.superuser = User.objects.create_superuser("root", "root@example.org", PASSWORD)
    return world

"""The Taiyuan demo as plain Python objects, generated deterministically from one seed.

``build_plan(DemoSpec())`` returns regions, sites, deputies (with seats and their site) and handling
units; ``lianxin.demo.loader`` writes them with bulk inserts. No Django model is touched here, so
the generator can be tested and timed alone, and the counts in ``DemoSpec`` are the single place a
scale factor would multiply (the benchmarks' national-scale generator will build on this).
"""

from __future__ import annotations

import datetime
import heapq
import math
import random
from dataclasses import dataclass, field

from . import geography, grouping, names
from .geography import County

# Region levels (same numbers as lianxin.regions.models.Region.Level).
PROVINCE, CITY, COUNTY, TOWNSHIP, VILLAGE = 1, 2, 3, 4, 5
# Deputy levels, highest first (same values as lianxin.deputies.models.Level).
LEVELS = ("national", "provincial", "municipal", "county", "township")
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}
# Term (届) and the date the current congresses first met.
TERMS = {
    "national": (14, datetime.date(2023, 3, 5)),
    "provincial": (14, datetime.date(2023, 1, 13)),
    "municipal": (16, datetime.date(2022, 1, 6)),
    "county": (17, datetime.date(2021, 12, 1)),
    "township": (17, datetime.date(2021, 12, 1)),
}
FACILITIES_ALL = (
    "reception_room",
    "meeting_room",
    "notice_board",
    "duty_roster",
    "opinion_box",
    "accessible",
    "computer",
    "video",
    "archive",
    "signage",
)


@dataclass(frozen=True)
class DemoSpec:
    """The demo's figures (design section 1). Everything else is derived from these and the seed."""

    seed: int = 20231231
    sites: int = 546
    persons: int = 4906
    national: int = 20
    provincial: int = 150
    # municipal and county persons come per county from geography.COUNTIES (400 and 1,700)
    exemplary_stations: int = 43
    exemplary_points: int = 57
    county_also_township: int = 200  # county deputies who also sit in their township's congress
    municipal_also_county: int = 60
    provincial_also_municipal: int = 10
    min_group: int = 3
    max_group: int = 20
    counties: tuple[County, ...] = geography.COUNTIES


@dataclass(eq=False)
class RegionPlan:
    code: str
    name: str
    level: int
    parent: RegionPlan | None
    lat: float
    lon: float
    kind: str = ""  # townships only: street / town / township
    children: list[RegionPlan] = field(default_factory=list)
    path: str = ""
    county: County | None = None

    def __post_init__(self) -> None:
        self.path = (self.parent.path if self.parent else "/") + f"{self.code}/"
        if self.parent is not None:
            self.parent.children.append(self)


@dataclass(eq=False)
class SitePlan:
    code: str
    name: str
    kind: str  # station / point
    region: RegionPlan
    township: RegionPlan
    parent: SitePlan | None
    address: str
    lat: float
    lon: float
    contact_name: str
    contact_phone: str
    opening_hours: str
    reception_days: str
    facilities: list[str]
    description: str
    tier: str = "none"


@dataclass(eq=False)
class SeatPlan:
    level: str
    constituency: RegionPlan
    constituency_name: str

    @property
    def term(self) -> int:
        return TERMS[self.level][0]

    @property
    def started_on(self) -> datetime.date:
        return TERMS[self.level][1]


@dataclass(eq=False)
class PersonPlan:
    key: int
    seats: list[SeatPlan]
    area: RegionPlan  # where the person may be grouped
    name: str = ""
    gender: str = "m"
    birth_year: int = 1975
    ethnicity: str = "汉族"
    party: str = ""
    occupation: str = ""
    phone: str = ""
    home: RegionPlan | None = None
    home_lat: float = 0.0
    home_lon: float = 0.0
    work_lat: float = 0.0
    work_lon: float = 0.0
    site: SitePlan | None = None
    leader: bool = False

    @property
    def top_level(self) -> str:
        return min((seat.level for seat in self.seats), key=LEVEL_RANK.__getitem__)


@dataclass(eq=False)
class UnitPlan:
    code: str
    name: str
    kind: str
    region: RegionPlan
    contact_name: str
    contact_phone: str
    address: str
    duties: str


@dataclass
class DemoPlan:
    spec: DemoSpec
    regions: list[RegionPlan]  # parents before children
    sites: list[SitePlan]  # stations before points
    persons: list[PersonPlan]
    units: list[UnitPlan]

    def region(self, code: str) -> RegionPlan:
        return next(r for r in self.regions if r.code == code)


def apportion(total: int, weights: list[float], minimums: list[int] | None = None) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` (Sainte-Laguë), each ≥ its minimum."""
    counts = list(minimums) if minimums else [0] * len(weights)
    if sum(counts) > total:
        raise ValueError("minimums exceed the total")
    heap = [(-w / (2 * c + 1), i) for i, (w, c) in enumerate(zip(weights, counts, strict=True))]
    heapq.heapify(heap)
    for _ in range(total - sum(counts)):
        _, i = heapq.heappop(heap)
        counts[i] += 1
        heapq.heappush(heap, (-weights[i] / (2 * counts[i] + 1), i))
    return counts


class _Generator:
    def __init__(self, spec: DemoSpec):
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.phones: set[str] = set()
        self.used_names: set[str] = set()

    # -- small helpers -----------------------------------------------------------------------
    def jitter(self, lat: float, lon: float, radius: float) -> tuple[float, float]:
        angle = self.rng.uniform(0, 2 * math.pi)
        distance = radius * math.sqrt(self.rng.random())
        return round(lat + distance * math.sin(angle), 6), round(lon + distance * math.cos(angle) / 0.79, 6)

    def mobile(self) -> str:
        prefixes = names.words(
            "134 135 136 137 138 139 150 151 152 157 158 159 182 183 187 188 130 131 132 155 156 185 186 133 153 180 189 177 199 198 166 147 178 135"
        )
        while True:
            phone = self.rng.choice(prefixes) + f"{self.rng.randrange(10**8):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def landline(self) -> str:
        return f"0351-{self.rng.randint(2, 8)}{self.rng.randrange(10**6):06d}"

    def unique_name(self, make) -> str:  # type: ignore[no-untyped-def]
        for _ in range(60):
            name = make(self.rng)
            if name not in self.used_names:
                self.used_names.add(name)
                return name
        raise RuntimeError("ran out of distinct generated place names")

    # -- regions ------------------------------------------------------------------------------
    def regions(self) -> tuple[list[RegionPlan], RegionPlan, list[RegionPlan]]:
        province = RegionPlan(
            geography.PROVINCE[0], geography.PROVINCE[1], PROVINCE, None, *geography.PROVINCE[2:]
        )
        city = RegionPlan(geography.CITY[0], geography.CITY[1], CITY, province, *geography.CITY[2:])
        regions = [province, city]
        townships = []
        for county in self.spec.counties:
            c = RegionPlan(county.code, county.name, COUNTY, city, county.lat, county.lon, county=county)
            regions.append(c)
            groups = (
                ("street", county.streets, 1),
                ("town", county.towns, 100),
                ("township", county.townships, 200),
            )
            for kind, township_names, first in groups:
                for index, name in enumerate(township_names):
                    spread = county.spread * (0.75 if kind == "street" else 1.0)
                    lat, lon = self.jitter(county.lat, county.lon, spread)
                    t = RegionPlan(
                        f"{county.code}{first + index:03d}",
                        name,
                        TOWNSHIP,
                        c,
                        lat,
                        lon,
                        kind=kind,
                        county=county,
                    )
                    self.used_names.add(name)
                    townships.append(t)
        regions.extend(townships)
        return regions, city, townships

    # -- people and seats ----------------------------------------------------------------------
    def seat_plan(self, city: RegionPlan, townships: list[RegionPlan]) -> list[PersonPlan]:
        """Who sits where: persons with their seats and grouping area (names etc. come later)."""
        spec, rng = self.spec, self.rng
        persons: list[PersonPlan] = []

        def person(seats: list[SeatPlan], area: RegionPlan) -> PersonPlan:
            p = PersonPlan(key=len(persons) + 1, seats=seats, area=area)
            persons.append(p)
            return p

        counties = city.children
        municipal_total = sum(county.municipal_deputies for county in spec.counties)
        county_total = sum(county.county_deputies for county in spec.counties)
        township_total = spec.persons - spec.national - spec.provincial - municipal_total - county_total
        rural = [t for t in townships if t.kind != "street"]
        township_sizes = apportion(township_total, [rng.uniform(0.75, 1.25) for _ in rural])

        for _ in range(spec.national):
            person([SeatPlan("national", city, "山西省代表团")], city)
        provincial = [
            person([SeatPlan("provincial", city, "太原市选举单位")], city) for _ in range(spec.provincial)
        ]
        municipal_by_county: dict[RegionPlan, list[PersonPlan]] = {}
        for c in counties:
            name = f"{c.name}选举单位"
            municipal_by_county[c] = [
                person([SeatPlan("municipal", c, name)], c)
                for _ in range(c.county.municipal_deputies)  # type: ignore[union-attr]
            ]
        county_persons: list[PersonPlan] = []
        for c in counties:
            weights = [rng.uniform(0.8, 1.2) * (1.2 if t.kind == "street" else 1.0) for t in c.children]
            sizes = apportion(c.county.county_deputies, weights, [1] * len(c.children))  # type: ignore[union-attr]
            district_no = 0
            for t, size in zip(c.children, sizes, strict=True):
                left = size
                while left:
                    district_no += 1
                    elected = min(left, rng.choice((1, 2, 2, 3)))
                    left -= elected
                    for _ in range(elected):
                        county_persons.append(person([SeatPlan("county", t, f"第{district_no}选区")], c))
        for t, size in zip(rural, township_sizes, strict=True):
            for k in range(size):
                person([SeatPlan("township", t, f"第{k // 2 + 1}选区")], t)

        # Second seats: a county deputy also in the township congress, a municipal deputy also in the
        # county congress, a provincial deputy also in the municipal congress.
        in_rural = [p for p in county_persons if p.seats[0].constituency.kind != "street"]
        for p in sorted(rng.sample(in_rural, spec.county_also_township), key=lambda p: p.key):
            t = p.seats[0].constituency
            p.seats.append(SeatPlan("township", t, f"第{rng.randint(1, 25)}选区"))
            p.area = t
        municipal = [p for group in municipal_by_county.values() for p in group]
        for p in sorted(rng.sample(municipal, spec.municipal_also_county), key=lambda p: p.key):
            t = rng.choice(p.area.children)
            p.seats.append(SeatPlan("county", t, f"第{rng.randint(1, 60)}选区"))
        for p in sorted(rng.sample(provincial, spec.provincial_also_municipal), key=lambda p: p.key):
            c = rng.choices(counties, [c.county.municipal_deputies for c in counties])[0]  # type: ignore[union-attr]
            p.seats.append(SeatPlan("municipal", c, f"{c.name}选举单位"))
            p.area = c
        return persons

    def site_counts(
        self, persons: list[PersonPlan], city: RegionPlan, townships: list[RegionPlan]
    ) -> list[int]:
        """Sites per township, in proportion to the deputies who will be grouped there."""
        demand = {t: 0.0 for t in townships}
        for p in persons:
            if p.area.level == TOWNSHIP:
                demand[p.area] += 1
            elif p.area.level == COUNTY:
                home = next((s.constituency for s in p.seats if s.constituency.level == TOWNSHIP), None)
                if home is not None:
                    demand[home] += 1
                else:
                    for t in p.area.children:
                        demand[t] += 1 / len(p.area.children)
            else:
                for t in townships:
                    demand[t] += 1 / len(townships)
        weights = [demand[t] for t in townships]
        # Township deputies must fit inside their township: at most ~14 of them per site there.
        local = [sum(1 for p in persons if p.area is t) for t in townships]
        minimums = [max(1, math.ceil(n / 14)) for n in local]
        return apportion(self.spec.sites, weights, minimums)

    # -- villages and sites --------------------------------------------------------------------
    def villages(self, township: RegionPlan, points: int) -> list[RegionPlan]:
        county = township.county
        assert county is not None
        if township.kind == "street":
            count, first, make, radius = (
                max(points + 1, self.rng.randint(5, 12)),
                1,
                names.community_name,
                0.012,
            )
        else:
            count, first, make, radius = (
                max(points + 2, self.rng.randint(10, 22)),
                200,
                names.village_name,
                0.45,
            )
        radius = radius if township.kind == "street" else county.spread * radius
        villages = []
        for index in range(count):
            lat, lon = self.jitter(township.lat, township.lon, radius)
            villages.append(
                RegionPlan(
                    f"{township.code}{first + index:03d}",
                    self.unique_name(make),
                    VILLAGE,
                    township,
                    lat,
                    lon,
                    county=county,
                )
            )
        return villages

    def address(self, region: RegionPlan, township: RegionPlan, station: bool) -> str:
        county = township.county
        assert county is not None
        road = self.rng.choice(county.roads)
        number = self.rng.randint(1, 399)
        prefix = f"{county.name}{township.name}"
        if township.kind == "street":
            if station:
                return f"{prefix}{road}{number}号{township.name}党群服务中心{self.rng.randint(1, 3)}层"
            return f"{prefix}{road}{number}号{region.name}党群服务中心"
        if station:
            return f"{prefix}{self.rng.choice(('便民服务中心', '人民政府院内', '党群服务中心'))}"
        return f"{prefix}{region.name}村民委员会"

    def site(self, kind: str, region: RegionPlan, township: RegionPlan, parent: SitePlan | None) -> SitePlan:
        rng = self.rng
        is_station = kind == "station"
        if is_station:
            code, name = f"ST{township.code}", f"{township.name}人大代表联络站"
            lat, lon = self.jitter(township.lat, township.lon, 0.004)
            phone = self.landline()
            days = f"每月第{rng.choice('一二三四')}个星期{rng.choice('二三四五')} 9:00—11:30 代表集中接待日"
            base = ["reception_room", "meeting_room", "notice_board", "duty_roster", "opinion_box", "signage"]
        else:
            code, name = f"PT{region.code}", f"{region.name}人大代表联络点"
            lat, lon = self.jitter(region.lat, region.lon, 0.002)
            phone = self.landline() if rng.random() < 0.4 else self.mobile()
            days = f"每月{rng.choice((5, 10, 15, 20, 25))}日 {rng.choice(('9:00—11:30', '15:00—17:30'))} 代表接待选民"
            base = ["reception_room", "notice_board", "duty_roster", "opinion_box"]
        extras = [f for f in FACILITIES_ALL if f not in base and rng.random() < 0.45]
        facilities = [f for f in FACILITIES_ALL if f in base or f in extras]
        address = self.address(region, township, is_station)
        year = (
            rng.choice((2017, 2018, 2019, 2020, 2021)) if is_station else rng.choice((2019, 2020, 2021, 2022))
        )
        size = rng.randint(60, 260) if is_station else rng.randint(20, 90)
        description = (
            f"{name}建于{year}年，位于{address}，使用面积约{size}平方米。"
            f"站点实行五级人大代表混合编组进站，{days.split(' ')[0]}开展集中接待，"
            f"听取和收集群众意见建议，推动解决群众急难愁盼问题。"
        )
        hours = rng.choice(
            (
                "周一至周五 8:30—12:00，14:30—17:30",
                "周一至周五 9:00—12:00，15:00—18:00",
                "周一至周六 9:00—17:00",
            )
        )
        return SitePlan(
            code,
            name,
            kind,
            region,
            township,
            parent,
            address,
            lat,
            lon,
            names.person_name(rng, rng.random() < 0.5),
            phone,
            hours,
            days,
            facilities,
            description,
        )

    def sites(
        self, townships: list[RegionPlan], counts: list[int]
    ) -> tuple[list[SitePlan], list[RegionPlan]]:
        stations: list[SitePlan] = []
        points: list[SitePlan] = []
        villages: list[RegionPlan] = []
        for township, count in zip(townships, counts, strict=True):
            station = self.site("station", township, township, None)
            stations.append(station)
            township_villages = self.villages(township, count - 1)
            villages.extend(township_villages)
            hosts = sorted(self.rng.sample(township_villages, count - 1), key=lambda v: v.code)
            points.extend(self.site("point", village, township, station) for village in hosts)
        spec, rng = self.spec, self.rng
        for site in rng.sample(stations, spec.exemplary_stations):
            site.tier = "exemplary"
        for site in rng.sample(points, spec.exemplary_points):
            site.tier = "exemplary"
        for site in stations + points:
            if site.tier == "none" and rng.random() < (0.35 if site.kind == "station" else 0.2):
                site.tier = "standard"
        return stations + points, villages

    # -- personal details ----------------------------------------------------------------------
    def describe(
        self, p: PersonPlan, city: RegionPlan, villages_of: dict[RegionPlan, list[RegionPlan]]
    ) -> None:
        rng = self.rng
        level = p.top_level
        if p.area.level == TOWNSHIP:
            township = p.area
        elif p.area.level == COUNTY:
            in_county = [s.constituency for s in p.seats if s.constituency.level == TOWNSHIP]
            township = in_county[0] if in_county and rng.random() < 0.9 else rng.choice(p.area.children)
        else:
            county = rng.choices(city.children, [c.county.municipal_deputies for c in city.children])[0]  # type: ignore[union-attr]
            township = rng.choice(county.children)
        home = rng.choice(villages_of[township])
        female = rng.random() < 0.3
        oldest, youngest = (1960, 1982) if level in ("national", "provincial") else (1962, 1993)
        p.name = names.person_name(rng, female)
        p.gender = "f" if female else "m"
        p.birth_year = rng.randint(oldest, youngest)
        p.ethnicity = "汉族" if rng.random() < 0.985 else rng.choice(("回族", "满族", "蒙古族"))
        r = rng.random()
        p.party = "中共党员" if r < 0.68 else ("民主党派" if r < 0.78 else "群众")
        assert township.county is not None
        p.occupation = names.occupation(rng, level, township.county.name, township.name, home.name)
        p.phone = self.mobile()
        p.home = home
        p.home_lat, p.home_lon = self.jitter(home.lat, home.lon, 0.004)
        if level == "township" or rng.random() < 0.5:
            p.work_lat, p.work_lon = self.jitter(home.lat, home.lon, 0.01)
        else:
            p.work_lat, p.work_lon = self.jitter(township.parent.lat, township.parent.lon, 0.02)  # type: ignore[union-attr]

    # -- grouping ------------------------------------------------------------------------------
    def group(self, persons: list[PersonPlan], sites: list[SitePlan]) -> None:
        members = [
            grouping.Member(
                p.key, frozenset(LEVEL_RANK[s.level] for s in p.seats), p.area.path, p.home_lat, p.home_lon
            )
            for p in persons
        ]
        places = [
            grouping.Place(
                index, site.region.path, site.lat, site.lon, 1.8 if site.kind == "station" else 1.0
            )
            for index, site in enumerate(sites)
        ]
        assignment = self.optimal_grouping(persons, sites) or grouping.assign(
            members, places, self.spec.min_group, self.spec.max_group)
        leaders = grouping.leaders(members, assignment)
        for p in persons:
            p.site = sites[assignment[p.key]]
            p.leader = p.key in leaders

    def optimal_grouping(self, persons: list[PersonPlan], sites: list[SitePlan]) -> dict[int, int] | None:
        """The grouping tool's assignment (``lianxin.grouping.solver``, OR-Tools, one thread): each deputy at
        one of the 12 nearest sites its seats allow, sizes within bounds, at least two levels at each site;
        None if it finds none in time (the greedy above then stands in)."""
        from lianxin.grouping import solver

        level_of_path: dict[str, int] = {}
        for start in [site.region for site in sites] + [seat.constituency for p in persons for seat in p.seats]:
            region: RegionPlan | None = start
            while region is not None and region.path not in level_of_path:
                level_of_path[region.path] = region.level
                region = region.parent
        index = solver.SiteIndex([(i, site.region.path, site.lat, site.lon) for i, site in enumerate(sites)])
        deputies = []
        for p in persons:
            area = solver.deputy_area([solver.seat_area(seat.level, seat.constituency.path, level_of_path,
                                                        solver.DEFAULT_AREA_BY_LEVEL) for seat in p.seats])
            allowed, distances = index.nearest(area, [(p.home_lat, p.home_lon), (p.work_lat, p.work_lon)], 12, None)
            deputies.append(solver.DeputyIn(p.key, frozenset(seat.level for seat in p.seats), allowed, distances))
        places = [solver.SiteIn(i, self.spec.min_group, self.spec.max_group, site.code, site.region.path)
                  for i, site in enumerate(sites)]
        # Every site mixes at least two levels (the demo's figures count single-level sites).
        result = solver.solve(deputies, places, time_limit=60.0, min_levels=2)
        if result.status not in (solver.OPTIMAL, solver.FEASIBLE) or len(result.assignment) != len(persons):
            return None
        return dict(result.assignment)

    # -- handling units -------------------------------------------------------------------------
    def units(self, city: RegionPlan, townships: list[RegionPlan]) -> list[UnitPlan]:
        rng = self.rng
        units: list[UnitPlan] = []

        def duties_for(name: str) -> str:
            return next((text for key, text in geography.DEPARTMENT_DUTIES.items() if key in name), "")

        def add(code: str, name: str, kind: str, region: RegionPlan, address: str) -> None:
            units.append(
                UnitPlan(
                    code,
                    name,
                    kind,
                    region,
                    names.person_name(rng, rng.random() < 0.4),
                    self.landline(),
                    address,
                    duties_for(name),
                )
            )

        for index, (name, _) in enumerate(geography.DEPARTMENTS, start=1):
            add(
                f"U{city.code}-{index:02d}",
                name,
                "department",
                city,
                f"太原市{rng.choice(('府西街', '新建路', '府东街', '长风街'))}{rng.randint(1, 300)}号",
            )
        for index, name in enumerate(geography.PUBLIC_SERVICE_UNITS, start=1):
            add(
                f"U{city.code}-P{index}",
                name,
                "public_service",
                city,
                f"太原市{rng.choice(('迎泽大街', '并州路', '学府街'))}{rng.randint(1, 300)}号",
            )
        for county_region in city.children:
            county = county_region.county
            assert county is not None
            for index, (_, pattern) in enumerate(geography.DEPARTMENTS, start=1):
                chosen = pattern if isinstance(pattern, str) else pattern[0 if county.urban else 1]
                name = chosen.format(d=county.name, s=county.short)
                if "农业农村" in name and county.code in ("140106", "140107", "140109"):
                    continue  # the central districts have no agriculture bureau
                add(
                    f"U{county.code}-{index:02d}",
                    name,
                    "department",
                    county_region,
                    f"{county.name}{rng.choice(county.roads)}{rng.randint(1, 300)}号",
                )
        for township in townships:
            office = f"{township.name}办事处" if township.kind == "street" else f"{township.name}人民政府"
            assert township.county is not None
            add(f"U{township.code}", office, "township", township, f"{township.county.name}{township.name}")
        return units

    def build(self) -> DemoPlan:
        regions, city, townships = self.regions()
        persons = self.seat_plan(city, townships)
        counts = self.site_counts(persons, city, townships)
        sites, villages = self.sites(townships, counts)
        regions.extend(villages)
        villages_of: dict[RegionPlan, list[RegionPlan]] = {t: t.children for t in townships}
        for p in persons:
            self.describe(p, city, villages_of)
        self.group(persons, sites)
        units = self.units(city, townships)
        return DemoPlan(self.spec, regions, sites, persons, units)


def build_plan(spec: DemoSpec | None = None) -> DemoPlan:
    return _Generator(spec or DemoSpec()).build()

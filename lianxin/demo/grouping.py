"""Mixed grouping (混合编组): put every deputy at exactly one site, near home, within their area.

A deterministic greedy followed by a repair pass — a starting point that issue 5's OR-Tools
optimiser replaces. Plain Python, no Django: members and places come in as small records.

Rules it guarantees (or raises ``GroupingError``):
- every member goes to a place inside its ``area`` (a region path prefix: a township deputy stays in
  its township, a county deputy in its county, higher levels anywhere in their constituency area);
- every place gets between ``min_size`` and ``max_size`` members;
- every place has members of at least two levels (a person holding two seats brings both).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

COS_LAT = math.cos(math.radians(37.87))  # good enough for ranking distances within one city


class GroupingError(RuntimeError):
    pass


@dataclass(eq=False)
class Member:
    key: int
    levels: frozenset[int]  # 0 = national … 4 = township
    area: str  # region path the member must stay within
    lat: float
    lon: float


@dataclass(eq=False)
class Place:
    key: int
    path: str  # region path of the site
    lat: float
    lon: float
    weight: float = 1.0  # share of the area's members relative to other places (a station takes more)
    members: list[Member] = field(default_factory=list)
    levels: Counter[int] = field(default_factory=Counter)

    @property
    def load(self) -> int:
        return len(self.members)

    @property
    def level_count(self) -> int:
        return sum(1 for count in self.levels.values() if count > 0)

    def level_count_without(self, member: Member) -> int:
        return sum(1 for level, count in self.levels.items() if count - (level in member.levels) > 0)

    def adds_level(self, member: Member) -> bool:
        return any(self.levels[level] == 0 for level in member.levels)


def _distance2(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    return (a_lat - b_lat) ** 2 + ((a_lon - b_lon) * COS_LAT) ** 2


class Grouping:
    def __init__(
        self, members: Sequence[Member], places: Sequence[Place], min_size: int = 3, max_size: int = 20
    ):
        self.members = sorted(members, key=lambda m: m.key)
        self.places = sorted(places, key=lambda p: p.key)
        self.min_size = min_size
        self.max_size = max_size
        self.place_of: dict[int, Place] = {}
        self._areas: dict[str, list[Place]] = {}

    # -- bookkeeping -------------------------------------------------------------------------
    def places_in(self, area: str) -> list[Place]:
        if area not in self._areas:
            self._areas[area] = [p for p in self.places if p.path.startswith(area)]
        return self._areas[area]

    def put(self, member: Member, place: Place) -> None:
        old = self.place_of.get(member.key)
        if old is not None:
            old.members.remove(member)
            old.levels.subtract(member.levels)
        place.members.append(member)
        place.levels.update(member.levels)
        self.place_of[member.key] = place

    def nearest(self, member: Member, places: Iterable[Place]) -> list[Place]:
        return sorted(places, key=lambda p: (_distance2(member.lat, member.lon, p.lat, p.lon), p.key))

    # -- the greedy ---------------------------------------------------------------------------
    def run(self) -> dict[int, int]:
        by_area: dict[str, list[Member]] = {}
        for member in self.members:
            if not self.places_in(member.area):
                raise GroupingError(f"no site in area {member.area} for member {member.key}")
            by_area.setdefault(member.area, []).append(member)
        # Most constrained first: township areas, then counties, then the city.
        for area in sorted(by_area, key=lambda a: (-a.count("/"), a)):
            self._place_area(by_area[area], self.places_in(area))
        self.repair()
        problems = self.problems()
        if problems:
            raise GroupingError("; ".join(problems[:10]))
        return {key: place.key for key, place in self.place_of.items()}

    def _place_area(self, members: list[Member], places: list[Place]) -> None:
        waiting = list(members)
        # Anchors: every place short of two levels first takes the nearest waiting member who adds one.
        for place in places:
            while place.level_count < 2 and place.load < self.max_size:
                adders = [m for m in waiting if place.adds_level(m)]
                if not adders:
                    break
                pick = min(adders, key=lambda m: (_distance2(m.lat, m.lon, place.lat, place.lon), m.key))
                waiting.remove(pick)
                self.put(pick, place)
        # Fill: nearest place under its share of the area (by weight), so loads stay balanced.
        total = sum(p.load for p in places) + len(waiting)
        share = total / sum(p.weight for p in places)
        cap = {p.key: min(self.max_size, max(self.min_size, math.ceil(share * p.weight))) for p in places}
        for member in waiting:
            ranked = self.nearest(member, places)
            target = next((p for p in ranked if p.load < cap[p.key]), None)
            target = target or next((p for p in ranked if p.load < self.max_size), None)
            if target is None:
                raise GroupingError(f"area {member.area} has no room for member {member.key}")
            self.put(member, target)

    # -- repair -------------------------------------------------------------------------------
    def _donors(self, place: Place, need_level: bool) -> list[Member]:
        """Members who may move to ``place`` without breaking the place they leave."""
        found = []
        for member in self.members:
            source = self.place_of.get(member.key)
            if source is None or source is place or not place.path.startswith(member.area):
                continue
            if need_level and not place.adds_level(member):
                continue
            if source.load <= self.min_size or source.level_count_without(member) < 2:
                continue
            found.append(member)
        return found

    def _pull(self, place: Place, need_level: bool) -> bool:
        donors = self._donors(place, need_level)
        if not donors:
            return False
        self.put(min(donors, key=lambda m: (_distance2(m.lat, m.lon, place.lat, place.lon), m.key)), place)
        return True

    def _push(self, place: Place) -> bool:
        for member in sorted(place.members, key=lambda m: m.key):
            if place.level_count_without(member) < 2:
                continue
            for target in self.nearest(member, self.places_in(member.area)):
                if target is not place and target.load < self.max_size:
                    self.put(member, target)
                    return True
        return False

    def repair(self, rounds: int = 20) -> None:
        for _ in range(rounds):
            changed = False
            for place in self.places:
                while place.load > self.max_size and self._push(place):
                    changed = True
                while place.load < self.min_size and self._pull(place, need_level=place.level_count < 2):
                    changed = True
                while (
                    place.level_count < 2
                    and place.load < self.max_size
                    and self._pull(place, need_level=True)
                ):
                    changed = True
            if not changed:
                return

    def problems(self) -> list[str]:
        found = [f"member {m.key} has no place" for m in self.members if m.key not in self.place_of]
        for place in self.places:
            if not self.min_size <= place.load <= self.max_size:
                found.append(f"place {place.key} has {place.load} members")
            if place.level_count < 2:
                found.append(f"place {place.key} has a single level")
        return found


def assign(
    members: Sequence[Member], places: Sequence[Place], min_size: int = 3, max_size: int = 20
) -> dict[int, int]:
    """Member key → place key. Deterministic for the same input."""
    return Grouping(members, places, min_size, max_size).run()


def leaders(members: Sequence[Member], assignment: dict[int, int]) -> set[int]:
    """One group leader (组长) per place: the member with the highest level, ties by key."""
    best: dict[int, Member] = {}
    for member in members:
        place = assignment[member.key]
        current = best.get(place)
        if current is None or (min(member.levels), member.key) < (min(current.levels), current.key):
            best[place] = member
    return {member.key for member in best.values()}

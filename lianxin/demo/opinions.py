"""Taiyuan demo opinions since 2020: 5,161 cases, 3,500 closed as resolved, made by the real services.

Nothing is written to the opinion tables directly. A seeded plan decides, for every opinion, its
site, category, text and life: each step (submit, accept, transfer, acknowledge, reply, rate …)
with the time it happens. The steps of all opinions are then replayed in time order through
``lianxin.opinions.services`` with ``now=`` passed in, so every row, deadline and event is what
the engine itself produced. Deadlines the plan lets pass are handled as the sweeper does it (an
escalation five minutes after an overdue deadline, a lapsed rating window closed five minutes
after it ends), up to the moment the demo is loaded: the demo's "now".

The plan mirrors the engine's deadline arithmetic (``deadlines.add_working_days`` with the rules
below) only to decide when things happen; the services compute the stored values. The total
(5,161) and the resolved count (3,500) are exact: after planning, closing ratings are flipped
between resolved and not resolved on old cases until the count is met, and the loader checks the
database afterwards.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime
import functools
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from lianxin.accounts.models import Role, User
from lianxin.core import clock
from lianxin.deputies.models import Assignment, Deputy
from lianxin.opinions import deadlines, services
from lianxin.opinions.models import Category, DeadlineRule, Opinion, Outcome, Status, Urgency
from lianxin.regions.models import Region
from lianxin.stations.models import Station
from lianxin.units.models import HandlingUnit

from . import names
from .accounts import DEMO_PASSWORD
from .opinion_texts import (
    CATEGORIES,
    EXTENSION_REASONS,
    ONSPOT_REPLIES,
    RATING_COMMENTS,
    RETURN_REASONS,
    TRANSFER_NOTES,
    CategoryText,
)

TOTAL = 5161
RESOLVED = 3500
MERGED = 140
SEED = 20200102
START = datetime.date(2020, 1, 2)
SWEEP_DELAY = datetime.timedelta(minutes=5)  # the sweeper runs every five minutes
STAFF_STAGES = (Status.SUBMITTED, Status.ACCEPTED, Status.TRANSFERRED)

# Default deadline rules (working days): accept, handle, warn, rate.
RULES = {
    Urgency.NORMAL: (2, 10, 2, 10),
    Urgency.URGENT: (1, 5, 1, 10),
    Urgency.COMPLEX: (2, 20, 3, 10),
}

CHANNELS = (("walk_in", 26), ("site_qr", 24), ("deputy_qr", 14), ("phone", 12), ("portal", 10),
            ("visit", 8), ("site_page", 6))
ON_BEHALF = {"walk_in", "phone", "visit"}  # entered by the site for the citizen
REJECT_REASONS = (("litigation", 30), ("personal_legal", 20), ("petition", 15), ("not_in_area", 15),
                  ("incomplete", 15), ("other", 5))

# Accounts the demo adds so that every step has a real actor: a congress admin per county
# (qu-140106 …) and one staff account per handling unit that receives cases (cb-u140106-01 …).
COUNTY_ADMIN_PREFIX = "qu-"
UNIT_STAFF_PREFIX = "cb-"
EXISTING = {"140105": "xiaodian-admin", "U140105-01": "unit-staff"}


class _Stop(Exception):
    """The next step would happen after the demo's now: the case stays where it is."""


@dataclass(eq=False)
class Site:
    station: Station
    township: Region
    county: Region
    place: str
    deputies: list[int]
    manager: User | None  # None for points: their county admin acts


@dataclass(eq=False)
class Step:
    at: datetime.datetime
    action: str
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class Plan:
    index: int
    site: Site
    category: CategoryText
    urgency: str
    title: str
    text: str
    channel: str
    created: datetime.datetime
    deputy_id: int | None
    citizen_name: str
    citizen_phone: str
    steps: list[Step] = field(default_factory=list)
    # the state the plan expects (the services decide the stored one)
    status: str = ""
    outcome: str = ""
    due: datetime.datetime | None = None
    escalated_at: datetime.datetime | None = None
    unit: HandlingUnit | None = None
    reopened: int = 0
    closed_at: datetime.datetime | None = None
    kind: str = ""
    obj: Opinion | None = None


# ---- time ------------------------------------------------------------------------------------


class _Calendar:
    """The engine's working days (``deadlines.is_working_day``) as a sorted list, for fast planning.

    Planning asks for hundreds of thousands of deadlines; a binary search over the working days of
    the whole period answers each in microseconds and gives what ``deadlines.add_working_days`` gives.
    """

    def __init__(self, first: datetime.date, last: datetime.date) -> None:
        span = (last - first).days + 1
        self.days = [d for d in (first + datetime.timedelta(days=i) for i in range(span)) if deadlines.is_working_day(d)]

    def nth_after(self, day: datetime.date, n: int) -> datetime.date:
        return self.days[bisect.bisect_right(self.days, day) + n - 1]

    def add(self, start: datetime.datetime, n: int) -> datetime.datetime:
        day = self.nth_after(timezone.localtime(start).date(), n)
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))

    def between(self, start: datetime.datetime, end: datetime.datetime) -> int:
        first, last = timezone.localtime(start).date(), timezone.localtime(end).date()
        return bisect.bisect_right(self.days, last) - bisect.bisect_right(self.days, first)

    def is_working_day(self, day: datetime.date) -> bool:
        index = bisect.bisect_left(self.days, day)
        return index < len(self.days) and self.days[index] == day


@functools.cache
def _calendar_until(today: datetime.date) -> _Calendar:
    return _Calendar(START - datetime.timedelta(days=10), today + datetime.timedelta(days=400))


def _calendar() -> _Calendar:
    return _calendar_until(clock.today())


def _nth_working_day(day: datetime.date, n: int) -> datetime.date:
    return _calendar().nth_after(day, n)


def _office(rng: random.Random, day: datetime.date) -> datetime.datetime:
    minutes = rng.randint(8 * 60 + 40, 17 * 60 + 50)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(minutes // 60, minutes % 60)))


class Script:
    """Writes one plan's steps, keeping the state the services will produce, and stops at now."""

    def __init__(self, plan: Plan, rng: random.Random, now: datetime.datetime) -> None:
        self.plan, self.rng, self.now = plan, rng, now
        self.accept_days, self.handle_days, _warn, self.rating_days = RULES[Urgency(plan.urgency)]
        self.last = plan.created

    # time helpers
    def later(self, low: int, high: int) -> datetime.datetime:
        """An office-hours time ``low``..``high`` working days after the last step (0: the same day)."""
        days = self.rng.randint(low, high)
        if days == 0:
            candidate = self.last + datetime.timedelta(minutes=self.rng.randint(10, 150))
            return candidate
        return _office(self.rng, _nth_working_day(timezone.localtime(self.last).date(), days))

    def soon(self, low_minutes: int, high_minutes: int) -> datetime.datetime:
        return self.last + datetime.timedelta(minutes=self.rng.randint(low_minutes, high_minutes))

    # bookkeeping
    def sweep_until(self, at: datetime.datetime) -> None:
        """What the sweeper does before ``at``: escalate an overdue stage once, close a lapsed rating window."""
        plan = self.plan
        if plan.due is None:
            return
        fire = plan.due + SWEEP_DELAY
        if fire >= at:
            return
        if plan.status in STAFF_STAGES and (plan.escalated_at is None or plan.escalated_at < plan.due):
            self.emit(fire, "escalate", system=True)
            plan.escalated_at = fire
        elif plan.status == Status.REPLIED:
            self.emit(fire, "close_lapsed", system=True)
            self.close(fire, Outcome.RESOLVED)

    def emit(self, at: datetime.datetime, action: str, system: bool = False, **kwargs: Any) -> None:
        if not system:
            self.sweep_until(at)
            if self.plan.status == Status.CLOSED:
                raise _Stop
        if at >= self.now:
            raise _Stop
        at = max(at, self.last + datetime.timedelta(seconds=1))
        self.plan.steps.append(Step(at, action, kwargs))
        self.last = at

    def due(self, at: datetime.datetime, days: int) -> None:
        self.plan.due = _calendar().add(at, days)

    def close(self, at: datetime.datetime, outcome: str) -> None:
        self.plan.status, self.plan.outcome, self.plan.closed_at, self.plan.due = Status.CLOSED, outcome, at, None

    # the steps, each as the service does it
    def submit(self) -> None:
        at = self.plan.created
        self.plan.steps.append(Step(at, "submit"))
        self.plan.status = Status.SUBMITTED
        self.due(at, self.accept_days)

    def accept(self, at: datetime.datetime) -> None:
        self.emit(at, "accept")
        self.plan.status = Status.ACCEPTED
        self.due(self.last, self.handle_days)

    def reject(self, at: datetime.datetime, reason: str) -> None:
        self.emit(at, "reject", reason=reason)
        self.plan.status, self.plan.closed_at, self.plan.due = Status.REJECTED, self.last, None

    def transfer(self, at: datetime.datetime, unit: HandlingUnit, by: str, days: int | None = None) -> None:
        self.emit(at, "transfer", unit=unit, by=by, days=days, note=self.rng.choice(TRANSFER_NOTES))
        self.plan.status, self.plan.unit = Status.TRANSFERRED, unit
        self.due(self.last, days or self.handle_days)

    def acknowledge(self, at: datetime.datetime) -> None:
        self.emit(at, "acknowledge")

    def reply(self, at: datetime.datetime, onspot: bool = False) -> None:
        texts = ONSPOT_REPLIES if onspot else self.plan.category.replies
        self.emit(at, "answer" if onspot else "reply", text=self.rng.choice(texts))
        self.plan.status = Status.REPLIED
        self.due(self.last, self.rating_days)

    def return_case(self, at: datetime.datetime) -> None:
        self.emit(at, "return_case", reason=self.rng.choice(RETURN_REASONS))
        self.plan.status, self.plan.unit = Status.ACCEPTED, None
        self.due(self.last, self.accept_days)

    def extension(self, at: datetime.datetime, days: int, approve: bool) -> None:
        self.emit(at, "request_extension", days=days, reason=self.rng.choice(EXTENSION_REASONS))
        decided = self.later(0, 1)
        self.emit(decided, "decide_extension", approve=approve)
        if approve:
            assert self.plan.due is not None
            base = self.plan.due if self.plan.due > self.last else self.last
            # a new deadline: once it passes, a new overdue period (escalated again)
            self.plan.due = _calendar().add(base, days)

    def rate(self, at: datetime.datetime, satisfaction: str, resolved: bool) -> None:
        assert self.plan.due is not None
        at = min(at, self.plan.due - datetime.timedelta(hours=6))  # within the rating window
        reopen = satisfaction == "unsatisfied" and self.plan.unit is not None and self.plan.reopened < 1
        self.emit(at, "rate", satisfaction=satisfaction, resolved=resolved,
                  comment=self.rng.choice(RATING_COMMENTS[satisfaction]), closes=not reopen)
        if reopen:
            self.plan.status = Status.TRANSFERRED
            self.plan.reopened += 1
            self.due(self.last, self.handle_days)
        else:
            self.close(self.last, Outcome.RESOLVED if resolved else Outcome.NOT_RESOLVED)

    def finish(self) -> None:
        """Up to now, the sweeper has done its part."""
        with contextlib.suppress(_Stop):
            self.sweep_until(self.now)


# ---- planning ----------------------------------------------------------------------------------


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


class Planner:
    def __init__(self, now: datetime.datetime, sites: list[Site], units: dict[str, list[HandlingUnit]]) -> None:
        self.now = now
        self.sites = sites
        self.units = units  # region code → units in it
        self.rng = random.Random(SEED)
        self.townships = {u.region_id: u for us in units.values() for u in us if u.kind == HandlingUnit.Kind.TOWNSHIP}

    # -- who handles it
    def department(self, rng: random.Random, region_code: str, words: tuple[str, ...],
                   exclude: HandlingUnit | None = None) -> HandlingUnit | None:
        choices = [u for u in self.units.get(region_code, ()) if u.kind != HandlingUnit.Kind.TOWNSHIP
                   and any(w in u.name for w in words) and u is not exclude]
        return rng.choice(choices) if choices else None

    def township_office(self, site: Site) -> HandlingUnit:
        return self.townships[site.township.pk]

    # -- when
    def creation_times(self, count: int) -> list[datetime.datetime]:
        """More opinions each year (the QR codes spread), fewer on rest days."""
        rng = self.rng
        last_day = timezone.localtime(self.now).date()
        days = [START + datetime.timedelta(days=i) for i in range((last_day - START).days + 1)]
        cumulative, total = [], 0.0
        for i, day in enumerate(days):
            total += (1 + 2.2 * i / len(days)) * (1.0 if _calendar().is_working_day(day) else 0.45)
            cumulative.append(total)
        hours = list(range(7, 22))
        hour_weights = [2, 6, 9, 10, 8, 4, 5, 8, 9, 8, 6, 4, 3, 2, 1]
        times = []
        for _ in range(count):
            day = days[bisect.bisect_left(cumulative, rng.random() * total)]
            moment = datetime.time(rng.choices(hours, hour_weights)[0], rng.randrange(60), rng.randrange(60))
            at = timezone.make_aware(datetime.datetime.combine(day, moment))
            if at >= self.now:
                at -= datetime.timedelta(days=1)
            times.append(at)
        times.sort()
        return times

    # -- what
    def new_plan(self, index: int, rng: random.Random, created: datetime.datetime, site: Site | None = None,
                 category: CategoryText | None = None, title: str = "", text: str = "") -> Plan:
        site = site or rng.choice(self.sites)
        if category is None:
            rural = site.county.code in ("140121", "140122", "140123", "140181")
            weights = [c.weight * (3 if rural and c.code == "agriculture" else 1) for c in CATEGORIES]
            category = rng.choices(CATEGORIES, weights)[0]
        if not title:
            title, text = rng.choice(category.items)
            text = text.format(place=site.place, area=site.township.name)
        channel = _weighted(rng, CHANNELS)
        deputy = rng.choice(site.deputies) if site.deputies and channel != "portal" else None
        return Plan(
            index=index, site=site, category=category,
            urgency=rng.choices([Urgency.NORMAL, Urgency.URGENT, Urgency.COMPLEX], [85, 8, 7])[0],
            title=title, text=text, channel=channel, created=created, deputy_id=deputy,
            citizen_name=names.person_name(rng, rng.random() < 0.5) if rng.random() < 0.92 else "",
            citizen_phone=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
        )

    def life(self, plan: Plan, rng: random.Random, kind: str | None = None) -> None:
        """Write the plan's steps: one of the ways a case goes at a liaison site."""
        plan.steps.clear()
        plan.status = plan.outcome = ""
        plan.due = plan.escalated_at = plan.closed_at = None
        plan.unit, plan.reopened = None, 0
        recent = (self.now - plan.created).days < 200
        if kind is None:
            kind = rng.choices(
                ["onspot", "local", "district", "city", "reject", "stuck"],
                [12, 47, 24, 5, 8, 5 if recent else 0],
            )[0]
        if kind == "stuck":  # left lying at one stage (the sweeper escalates it)
            kind = rng.choices(["stuck_submitted", "stuck_accepted", "stuck_transferred"], [2, 3, 5])[0]
        plan.kind = kind
        script = Script(plan, rng, self.now)
        try:
            script.submit()
            self._live(plan, rng, script, kind)
        except _Stop:
            pass
        script.finish()

    def _live(self, plan: Plan, rng: random.Random, s: Script, kind: str) -> None:
        if kind == "reject":
            s.reject(s.later(0, 2), _weighted(rng, REJECT_REASONS))
            return
        if kind == "stuck_submitted":
            return
        late_accept = rng.random() < 0.04
        s.accept(s.later(3, 6) if late_accept else s.later(0, 1))
        if kind == "stuck_accepted":
            return
        if kind == "onspot":
            s.reply(s.soon(5, 90), onspot=True)
            self.rating(plan, rng, s)
            return
        site = plan.site
        words = plan.category.county
        if kind == "city":
            unit = self.department(rng, "140100", plan.category.city)
        elif kind in ("district", "stuck_transferred"):
            unit = self.department(rng, site.county.code, words)
        else:
            unit = None
        if unit is None:  # no such department here (the central districts have no agriculture bureau)
            unit = self.township_office(site)
            by = "site" if kind != "stuck_transferred" else "county"
        else:
            by = {"local": "site", "city": "city"}.get(kind, "county")
        if by == "site" and site.manager is None:
            by = "county"
        days = 20 if plan.urgency == Urgency.COMPLEX and rng.random() < 0.5 and by != "site" else None
        wrong = kind == "district" and rng.random() < 0.05 and self.department(rng, site.county.code, ("信访", "应急管理"), unit)
        if wrong:
            s.transfer(s.later(0, 2), wrong, by)
            s.acknowledge(s.later(0, 1))
            s.return_case(s.later(0, 2))
            s.transfer(s.later(0, 1), unit, by, days)
        else:
            s.transfer(s.later(0, 2) if by != "site" else s.soon(10, 240), unit, by, days)
        if rng.random() < 0.3:  # otherwise the reply acknowledges receipt itself
            s.acknowledge(s.later(0, 2))
        if kind == "stuck_transferred":
            return
        self.handle(plan, rng, s)
        self.rating(plan, rng, s)

    def handle(self, plan: Plan, rng: random.Random, s: Script) -> None:
        """The unit works on it and replies: in time, after an extension, or late (escalated by the sweeper)."""
        assert plan.due is not None
        left = _calendar().between(s.last, plan.due)
        roll = rng.random()
        if roll < 0.05 and left > 3:
            s.extension(s.later(max(1, left - 3), left - 1), rng.choice((5, 10)), approve=rng.random() < 0.8)
            left = _calendar().between(s.last, plan.due)
        if roll > 0.88:  # late: past the deadline by up to three weeks
            s.reply(_office(rng, _nth_working_day(timezone.localtime(plan.due).date(), rng.randint(1, 15))))
        else:
            s.reply(s.later(1, max(1, left - 1)))

    def rating(self, plan: Plan, rng: random.Random, s: Script) -> None:
        if rng.random() < 0.10:
            return  # no rating: the sweeper closes it when the window lapses
        satisfaction, resolved = rng.choices(
            [("satisfied", True), ("basic", True), ("basic", False), ("unsatisfied", False)], [52, 15, 22, 11]
        )[0]
        s.rate(s.later(0, 5), satisfaction, resolved)
        if plan.status == Status.TRANSFERRED:  # reopened: the unit handles it again
            self.handle(plan, rng, s)
            self.rating(plan, rng, s)

    # -- merges
    def merge_plans(self, plans: list[Plan], first_index: int) -> list[Plan]:
        rng = self.rng
        candidates = [p for p in plans if p.kind in ("local", "district", "city", "onspot")
                      and (p.closed_at or self.now) - p.created > datetime.timedelta(days=2)]
        merged = []
        for offset, target in enumerate(rng.sample(candidates, MERGED)):
            index = first_index + offset
            prng = random.Random(SEED * 7 + index)
            open_until = target.closed_at or self.now
            window = min(datetime.timedelta(days=6), (open_until - target.created) * 0.5)
            created = target.created + datetime.timedelta(seconds=prng.randint(3600, max(3601, int(window.total_seconds()))))
            plan = self.new_plan(index, prng, created, target.site, target.category, target.title,
                                 "同样的问题，" + target.text)
            plan.kind = "merge"
            s = Script(plan, prng, self.now)
            s.submit()
            at = s.soon(20, 600)
            if at >= min(open_until, self.now) - datetime.timedelta(minutes=1):
                at = created + (min(open_until, self.now) - created) / 2
            plan.steps.append(Step(at, "merge", {"into": target}))
            plan.status, plan.closed_at, plan.due = Status.MERGED, at, None
            merged.append(plan)
        return merged

    # -- the whole plan
    def build(self) -> list[Plan]:
        main = TOTAL - MERGED
        plans = []
        for index, created in enumerate(self.creation_times(main)):
            rng = random.Random(SEED * 7 + index)
            plan = self.new_plan(index, rng, created)
            self.life(plan, rng)
            plans.append(plan)
        self.ensure_every_status(plans)
        plans.extend(self.merge_plans(plans, main))
        self.balance_resolved(plans)
        return plans

    def ensure_every_status(self, plans: list[Plan]) -> None:
        """Every open state, overdue and not, appears at least a few times."""
        present = Counter(p.status for p in plans)
        recent = [p for p in plans if datetime.timedelta(days=40) < self.now - p.created < datetime.timedelta(days=150)
                  and p.status == Status.CLOSED]
        for status, kind in ((Status.SUBMITTED, "stuck_submitted"), (Status.ACCEPTED, "stuck_accepted"),
                             (Status.TRANSFERRED, "stuck_transferred")):
            for plan in recent[: max(0, 3 - present[status])]:
                self.life(plan, random.Random(SEED * 11 + plan.index), kind)
            recent = recent[3:]
        if not any(p.status == Status.REPLIED for p in plans):
            for plan in reversed(plans):
                answered = [i for i, step in enumerate(plan.steps) if step.action in ("reply", "answer")
                            and self.now - step.at < datetime.timedelta(days=6)]
                if answered:
                    del plan.steps[answered[-1] + 1:]
                    plan.status, plan.outcome, plan.closed_at = Status.REPLIED, "", None
                    break

    def balance_resolved(self, plans: list[Plan]) -> None:
        """Flip closing ratings of old cases until exactly RESOLVED cases are closed as resolved."""
        resolved = sum(p.status == Status.CLOSED and p.outcome == Outcome.RESOLVED for p in plans)
        old = [p for p in plans if p.status == Status.CLOSED and p.steps[-1].action == "rate"
               and p.steps[-1].kwargs["closes"] and self.now - p.created > datetime.timedelta(days=120)]
        self.rng.shuffle(old)
        want = p_resolved = RESOLVED - resolved
        for plan in old:
            if want == 0:
                break
            step = plan.steps[-1]
            if want > 0 and plan.outcome == Outcome.NOT_RESOLVED:
                step.kwargs.update(satisfaction="satisfied" if self.rng.random() < 0.7 else "basic", resolved=True)
                step.kwargs["comment"] = self.rng.choice(RATING_COMMENTS[step.kwargs["satisfaction"]])
                plan.outcome, want = Outcome.RESOLVED, want - 1
            elif want < 0 and plan.outcome == Outcome.RESOLVED:
                step.kwargs.update(satisfaction="basic", resolved=False)
                step.kwargs["comment"] = self.rng.choice(RATING_COMMENTS["basic"])
                plan.outcome, want = Outcome.NOT_RESOLVED, want + 1
        if want:
            raise RuntimeError(f"demo plan cannot reach {RESOLVED} resolved cases (off by {p_resolved})")


# ---- the database side ---------------------------------------------------------------------------


def ensure_categories() -> dict[str, Category]:
    rows = {}
    for order, spec in enumerate(CATEGORIES, start=1):
        rows[spec.code], _ = Category.objects.update_or_create(
            code=spec.code, defaults={"name": spec.name, "name_en": spec.name_en, "sort_order": order * 10}
        )
    for urgency, (accept, handle, warn, rating) in RULES.items():
        DeadlineRule.objects.update_or_create(
            category=None, urgency=urgency,
            defaults={"accept_days": accept, "handle_days": handle, "warn_days": warn, "rating_days": rating},
        )
    return rows


def load_sites() -> list[Site]:
    stations = Station.objects.filter(status=Station.Status.ACTIVE).select_related(
        "region__parent__parent", "parent"
    )
    deputies: dict[int, list[int]] = defaultdict(list)
    for station_id, deputy_id in Assignment.objects.current().order_by("deputy_id").values_list(
        "station_id", "deputy_id"
    ):
        deputies[station_id].append(deputy_id)
    managers: dict[int, User] = {}
    for user in User.objects.filter(role=Role.SITE_MANAGER, is_active=True).prefetch_related("stations").order_by(
        "username"
    ):
        for station in user.stations.all():
            managers.setdefault(station.pk, user)
    sites = []
    for station in stations.order_by("code"):
        region = station.region
        township = region if region.level == Region.Level.TOWNSHIP else region.parent
        assert township is not None and township.parent is not None
        group = deputies.get(station.pk) or (deputies.get(station.parent_id, []) if station.parent_id else [])
        sites.append(Site(station, township, township.parent, region.name, group, managers.get(station.pk)))
    return sites


def demo_accounts(counties: list[Region], units: list[HandlingUnit]) -> tuple[dict[str, User], dict[int, User]]:
    """A congress admin per county and a staff account per handling unit (created once, then reused)."""
    password = make_password(DEMO_PASSWORD)
    wanted: dict[str, dict[str, Any]] = {}
    for county in counties:
        username = EXISTING.get(county.code, f"{COUNTY_ADMIN_PREFIX}{county.code}")
        wanted[username] = {"role": Role.DISTRICT_ADMIN, "region": county, "unit": None,
                            "display_name": f"{county.name}人大常委会"}
    for unit in units:
        username = EXISTING.get(unit.code, f"{UNIT_STAFF_PREFIX}{unit.code.lower()}")
        wanted[username] = {"role": Role.UNIT_STAFF, "region": None, "unit": unit, "display_name": unit.name}
    existing = {u.username: u for u in User.objects.filter(username__in=wanted)}
    User.objects.bulk_create(
        [User(username=name, password=password, **values) for name, values in wanted.items() if name not in existing],
        batch_size=500,
    )
    users = {u.username: u for u in User.objects.filter(username__in=wanted)}
    for name, user in users.items():
        if name in existing and name not in EXISTING.values():
            for key, value in wanted[name].items():
                setattr(user, key, value)
            user.save(update_fields=["role", "region", "unit", "display_name"])
    admins = {c.code: users[EXISTING.get(c.code, f"{COUNTY_ADMIN_PREFIX}{c.code}")] for c in counties}
    staff = {u.pk: users[EXISTING.get(u.code, f"{UNIT_STAFF_PREFIX}{u.code.lower()}")] for u in units}
    return admins, staff


@dataclass
class Replay:
    categories: dict[str, Category]
    county_admins: dict[str, User]
    unit_staff: dict[int, User]
    city_admin: User
    deputies: dict[int, Deputy]

    def site_actor(self, plan: Plan) -> User:
        return plan.site.manager or self.county_admins[plan.site.county.code]

    def run(self, plan: Plan, step: Step) -> None:
        at, kw = step.at, step.kwargs
        opinion: Any = plan.obj.pk if plan.obj is not None else None
        action = step.action
        result: Opinion
        if action == "submit":
            result, _created = services.submit_opinion(
                category=self.categories[plan.category.code], title=plan.title, text=plan.text,
                channel=plan.channel, station=plan.site.station,
                deputy=self.deputies[plan.deputy_id] if plan.deputy_id and plan.channel == "deputy_qr" else None,
                citizen_name=plan.citizen_name, citizen_phone=plan.citizen_phone, urgency=plan.urgency,
                actor=self.site_actor(plan) if plan.channel in ON_BEHALF else None, now=at,
            )
        elif action == "accept":
            result = services.accept(opinion, self.site_actor(plan),
                                     deputy=self.deputies[plan.deputy_id] if plan.deputy_id else None, now=at)
        elif action == "reject":
            result = services.reject(opinion, self.site_actor(plan), reason=kw["reason"], now=at)
        elif action == "merge":
            result = services.merge(opinion, self.site_actor(plan), into=kw["into"].obj, now=at)
        elif action == "answer":
            result = services.answer(opinion, self.site_actor(plan), reply=kw["text"], now=at)
        elif action == "transfer":
            by = {"site": self.site_actor(plan), "city": self.city_admin}.get(
                kw["by"], self.county_admins[plan.site.county.code])
            result = services.transfer(opinion, by, unit=kw["unit"], working_days=kw["days"],
                                       public_note=kw["note"], now=at)
        elif action == "acknowledge":
            result = services.acknowledge(opinion, self.unit_user(plan), now=at)
        elif action == "reply":
            result = services.reply(opinion, self.unit_user(plan), text=kw["text"], now=at)
        elif action == "return_case":
            result = services.return_case(opinion, self.unit_user(plan), reason=kw["reason"], now=at)
        elif action == "request_extension":
            result = services.request_extension(opinion, self.unit_user(plan), working_days=kw["days"],
                                                reason=kw["reason"], now=at)
        elif action == "decide_extension":
            result = services.decide_extension(opinion, self.county_admins[plan.site.county.code],
                                               approve=kw["approve"], now=at)
        elif action == "escalate":
            result = services.escalate(opinion, None, note="逾期未办结，系统自动督办。", now=at)
        elif action == "rate":
            result = services.rate(opinion, satisfaction=kw["satisfaction"], resolved=kw["resolved"],
                                   comment=kw["comment"], now=at)
        elif action == "close_lapsed":
            result = services.close_lapsed(opinion, now=at)
        else:  # pragma: no cover - a planning bug
            raise ValueError(action)
        plan.obj = result

    def unit_user(self, plan: Plan) -> User:
        assert plan.obj is not None and plan.obj.unit_id is not None
        return self.unit_staff[plan.obj.unit_id]


# ---- entry point -------------------------------------------------------------------------------


Progress = Callable[[str, int, float], None]


def load_opinions(now: datetime.datetime | None = None, progress: Progress = lambda key, count, since: None) -> int:
    """Plan and replay the demo opinions; returns how many were made. Run inside the loader's transaction,
    with notifications muted (``lianxin.opinions.notify.muted``)."""
    now = now or clock.now()
    started = time.monotonic()
    categories = ensure_categories()
    sites = load_sites()
    all_units = list(HandlingUnit.objects.filter(active=True).select_related("region"))
    by_region: dict[str, list[HandlingUnit]] = defaultdict(list)
    for unit in all_units:
        by_region[unit.region.code].append(unit)
    plans = Planner(now, sites, by_region).build()
    progress("opinion_plan", len(plans), started)

    t = time.monotonic()
    used_units = sorted({step.kwargs["unit"] for p in plans for step in p.steps if step.action == "transfer"},
                        key=lambda u: u.code)
    counties = sorted({site.county for site in sites}, key=lambda r: r.code)
    county_admins, unit_staff = demo_accounts(counties, used_units)
    deputy_ids = {p.deputy_id for p in plans if p.deputy_id}
    replay = Replay(categories, county_admins, unit_staff, User.objects.get(username="city-admin"),
                    Deputy.objects.only("id").in_bulk(deputy_ids))
    steps = sorted(((step.at, p.index, n, p, step) for p in plans for n, step in enumerate(p.steps)),
                   key=lambda row: row[:3])
    for _at, _index, _n, plan, step in steps:
        replay.run(plan, step)
    progress("opinions", len(plans), t)
    check(plans)
    return len(plans)


def check(plans: list[Plan]) -> None:
    """The database holds what the plan expected (a mismatch is a bug: the loader's transaction rolls back)."""
    counts = Counter(Opinion.objects.values_list("status", "outcome"))
    expected = Counter((p.status, p.outcome if p.status == Status.CLOSED else "") for p in plans)
    if counts != expected or counts[(Status.CLOSED, Outcome.RESOLVED)] != RESOLVED:
        raise RuntimeError(f"demo opinions differ from the plan: {dict(counts)} != {dict(expected)}")

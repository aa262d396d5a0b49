"""Write the demo plan to the database with bulk inserts, detect it, reset it, refresh the log-ins.

``load_demo()`` is what ``lianxin demo`` runs. Semantics (idempotent):
- empty database → build the Taiyuan demo;
- demo already there → keep the data, refresh the demo log-ins (password, role, scope);
- ``reset=True`` → delete the registry (sites, deputies, units, regions) and build it again.
Each run is one transaction: an error leaves the database as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lianxin.accounts.models import Role, User
from lianxin.core import clock
from lianxin.core.crypto import lookup_hash
from lianxin.deputies.models import Assignment, Deputy, Seat
from lianxin.opinions import notify, services
from lianxin.opinions.models import Channel, Opinion
from lianxin.regions.models import Region
from lianxin.stations.models import Station
from lianxin.units.models import HandlingUnit

from .accounts import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_SCOPES, STATION_MANAGER_PREFIX
from .generator import DemoPlan, DemoSpec, build_plan
from .opinions import ensure_categories, load_opinions

# The site whose presence marks a database as holding the demo.
DEMO_MARKER_SITE = "ST140105001"

# Deleted in this order by a reset (children before parents). Later issues that add demo data with
# foreign keys to these rows (activities, opinions …) put their models at the front.
PURGE_ORDER = [
    # exemplary-site campaigns (issue 6); the criteria templates stay (the default one is a migration's)
    "campaigns.CertificateDocument",
    "campaigns.DesignationReview",
    "campaigns.Designation",
    "campaigns.AuditPhoto",
    "campaigns.AuditScore",
    "campaigns.AuditAssignment",
    "campaigns.PlatformScore",
    "campaigns.Evidence",
    "campaigns.SelfScore",
    "campaigns.ApplicationEvent",
    "campaigns.Application",
    "campaigns.Campaign",
    # duty records, scores and grouping runs (issue 5)
    "performance.RecordDocument",
    "performance.PaceWarning",
    "performance.Score",
    "performance.DeclaredItem",
    "performance.RecomputeRun",
    "performance.RuleSet",
    "grouping.Proposal",
    "grouping.GroupingRun",
    "deputies.RosterImport",
    # supervision topics, consultations, activities and bookings (issue 4) and what hangs off them
    "supervision.Milestone",
    "supervision.Recommendation",
    "supervision.Topic_deputies",
    "supervision.Topic_stations",
    "legislation.Comment",
    "legislation.DraftArticle",
    "legislation.Consultation_stations",
    "activities.Appointment",
    "activities.ReceptionSlot",
    "activities.ActivityFile",
    "activities.Attendance",
    "activities.Activity",
    "activities.ReceptionSchedule",
    "supervision.Topic",
    "legislation.Consultation",
    # the case engine's demo opinions (lianxin.demo.opinions) and what hangs off them
    "opinions.OpinionIntake",
    "opinions.OpinionGram",
    "opinions.Notification",
    "opinions.Supporter",
    "opinions.Attachment",
    "opinions.ExtensionRequest",
    "opinions.OpinionEvent",
    "opinions.Opinion",
    "opinions.Suggestion",
    "opinions.ResponseTemplate",
    "opinions.DeadlineRule",
    "opinions.Category",
    # the registry
    "deputies.Assignment",
    "deputies.Seat",
    "deputies.Deputy",
    "stations.Station",
    "units.HandlingUnit",
    "regions.Region",
]

Progress = Callable[[str], None]

STEP_LABELS = {
    "plan": gettext_lazy("persons planned and grouped"),
    "regions": gettext_lazy("regions"),
    "sites": gettext_lazy("liaison sites"),
    "deputies": gettext_lazy("deputies"),
    "seats": gettext_lazy("seats"),
    "assignments": gettext_lazy("assignments"),
    "units": gettext_lazy("handling units"),
    "accounts": gettext_lazy("accounts"),
    "deleted": gettext_lazy("rows deleted"),
    "opinion_plan": gettext_lazy("opinions planned"),
    "opinions": gettext_lazy("opinions handled through the case engine"),
    "activities": gettext_lazy("activities held at the sites since 2020"),
    "consultation_comments": gettext_lazy("comments on the draft regulation under consultation"),
    "supervision": gettext_lazy("recommendations of the supervision topic, routed to handling units"),
    "reception_days": gettext_lazy("reception days until the end of next month, published, with the deputies on duty"),
    "bookings": gettext_lazy("bookings of reception slots by citizens"),
    "declared_items": gettext_lazy("duty items declared by deputies, most of them reviewed"),
    "scored_deputies": gettext_lazy("deputies scored for each year and quarter since 2020"),
    "campaign_designations": gettext_lazy("sites designated exemplary by the 2023 campaign, through its phases"),
}


def _step(progress: Progress, key: str, count: int, since: float) -> None:
    # Count first: a right-aligned number column lines up whatever the label's language.
    progress(f"{count:>7,}  {STEP_LABELS[key]}  ({time.monotonic() - since:.1f} s)")


class DemoConflict(Exception):
    """The database holds a registry that is not the demo; only an explicit reset may replace it."""


@dataclass
class LoadResult:
    action: str  # "created", "kept", "reset"
    seconds: float


def _dec(value: float) -> Decimal:
    return Decimal(f"{value:.6f}")


def demo_present() -> bool:
    return Station.objects.filter(code=DEMO_MARKER_SITE).exists()


def registry_present() -> bool:
    return Region.objects.exists() or Station.objects.exists() or Deputy.objects.exists()


def load_demo(
    reset: bool = False, progress: Progress = lambda message: None, spec: DemoSpec | None = None,
    opinions: bool = False,
    history: bool = True,
    scores: bool = True,
) -> LoadResult:
    """``opinions``: also replay the 5,161 opinions (minutes) and, unless ``scores=False``, compute the
    deputies' declared items and scores (a minute and a half more); ``history=False``: the registry only (no
    activities, consultation, supervision topic, reception days — for tests that build those themselves)."""
    started = time.monotonic()
    # Muted around the outermost atomic: the replayed transitions' on-commit notifications fire at its end.
    with notify.muted(), transaction.atomic():
        present = demo_present()
        if present and not reset:
            progress(
                _(
                    "The Taiyuan demo is already loaded: data kept, demo log-ins refreshed "
                    "(“lianxin demo --reset” rebuilds it)."
                )
            )
            ensure_accounts(progress)
            ensure_categories()  # the opinion form needs its categories even without the replay
            if history:  # what is missing of it (a demo made by an older version)
                load_history(progress, opinions, scores)
            return LoadResult("kept", time.monotonic() - started)
        if registry_present() and not reset:
            raise DemoConflict
        snapshot = detach_users() if reset else []
        if reset:
            purge(progress)
        planned = time.monotonic()
        plan = build_plan(spec)
        _step(progress, "plan", len(plan.persons), planned)
        write_plan(plan, progress)
        # Fresh statistics for the bulk-loaded tables (it sees this transaction's rows), so the
        # planner does not treat them as empty for the rest of the load and the first requests.
        analyze()
        restore_users(snapshot, progress)
        ensure_accounts(progress)
        ensure_categories()  # the opinion form needs its categories even without the replay
        if history:
            load_history(progress, opinions, scores)
    return LoadResult("reset" if reset else "created", time.monotonic() - started)


def analyze(labels: list[str] | None = None) -> None:
    """ANALYZE the project's tables (or the given models') on PostgreSQL; nothing on SQLite.

    Never a database-wide ANALYZE: inside a long transaction it would hold locks on the cluster's shared
    catalogs until the end, and another database's ANALYZE (a second test worker) would wait for them.
    """
    if connection.vendor != "postgresql":
        return
    models = [apps.get_model(label) for label in labels] if labels else [
        m for m in apps.get_models() if m.__module__.startswith("lianxin.")
    ]
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def load_history(progress: Progress, opinions: bool, scores: bool = True) -> None:
    """The demo's history after the registry, each part only if it is not there yet: the sites' activities
    since 2020, the opinions replayed through the case engine (when asked), the open consultation."""
    from lianxin.activities.demo import load_activities
    from lianxin.activities.models import Activity, ReceptionSchedule
    from lianxin.activities.reception_demo import load_reception
    from lianxin.legislation.demo import load_consultation
    from lianxin.legislation.models import Consultation
    from lianxin.performance.models import Score
    from lianxin.supervision.demo import load_supervision
    from lianxin.supervision.models import Topic

    def step(key: str, count: int, since: float) -> None:
        _step(progress, key, count, since)

    if not Activity.objects.exists():
        t = time.monotonic()
        held = load_activities(progress=lambda message: None)
        _step(progress, "activities", held, t)
        analyze(["activities.Activity", "activities.Attendance"])
    # Citizens' opinions (supervision's recommendations go through the same engine but are not counted).
    if opinions and not Opinion.objects.exclude(channel=Channel.SUPERVISION).exists():
        load_opinions(progress=step)
    if not Consultation.objects.exists():
        load_consultation(progress=step)
    if not Topic.objects.exists():
        load_supervision(progress=step)
    if not ReceptionSchedule.objects.exists():
        t = time.monotonic()
        counts = load_reception(clock.now())
        _step(progress, "reception_days", counts["days"], t)
        _step(progress, "bookings", counts["bookings"], t)
    # The 2023 exemplary-site campaign (finished) and one of this year in its audit phase.
    from lianxin.campaigns.demo import DEMO_YEAR, load_campaigns
    from lianxin.campaigns.models import Campaign

    if not Campaign.objects.filter(year=DEMO_YEAR).exists():
        t = time.monotonic()
        made = load_campaigns()
        _step(progress, "campaign_designations", int(made["designated"]), t)
    # Declared items and the scores of past years, computed from all of the above (about a minute and a
    # half at Taiyuan's size, so only with the full demo).
    if opinions and scores and not Score.objects.exists():
        from lianxin.performance.demo import build_demo

        t = time.monotonic()
        made = build_demo()
        _step(progress, "declared_items", int(made["declared"]), t)
        _step(progress, "scored_deputies", int(made["scored_deputies"]), t)
    # The dashboard's roll-ups, rebuilt from everything above.
    from lianxin.dashboard import rollups

    rollups.refresh()


# -- writing ----------------------------------------------------------------------------------


def write_plan(plan: DemoPlan, progress: Progress) -> None:
    t = time.monotonic()
    regions: dict[Any, Region] = {}
    for level in sorted({r.level for r in plan.regions}):
        batch = [
            Region(
                code=r.code,
                name=r.name,
                level=r.level,
                parent=regions[r.parent] if r.parent else None,
                path=r.path,
                latitude=_dec(r.lat),
                longitude=_dec(r.lon),
            )
            for r in plan.regions
            if r.level == level
        ]
        Region.objects.bulk_create(batch, batch_size=1000)
        regions.update(zip((r for r in plan.regions if r.level == level), batch, strict=True))
    _step(progress, "regions", len(regions), t)

    t = time.monotonic()
    sites: dict[Any, Station] = {}
    for kind in (Station.Kind.STATION, Station.Kind.POINT):
        plans = [s for s in plan.sites if s.kind == kind]
        rows = [
            Station(
                code=s.code,
                name=s.name,
                kind=s.kind,
                region=regions[s.region],
                region_path=s.region.path,
                parent=sites[s.parent] if s.parent else None,
                address=s.address,
                latitude=_dec(s.lat),
                longitude=_dec(s.lon),
                contact_name=s.contact_name,
                contact_phone=s.contact_phone,
                opening_hours=s.opening_hours,
                reception_days=s.reception_days,
                facilities=s.facilities,
                description=s.description,
                tier=s.tier,
                status=Station.Status.ACTIVE,
            )
            for s in plans
        ]
        Station.objects.bulk_create(rows, batch_size=500)
        sites.update(zip(plans, rows, strict=True))
    _step(progress, "sites", len(sites), t)

    t = time.monotonic()
    deputies = [
        Deputy(
            name=p.name,
            gender=p.gender,
            birth_year=p.birth_year,
            ethnicity=p.ethnicity,
            party=p.party,
            occupation=p.occupation,
            phone=p.phone,
            phone_hash=lookup_hash(p.phone),
            home_region=regions[p.home],
            home_latitude=_dec(p.home_lat),
            home_longitude=_dec(p.home_lon),
            work_latitude=_dec(p.work_lat),
            work_longitude=_dec(p.work_lon),
        )
        for p in plan.persons
    ]
    Deputy.objects.bulk_create(deputies, batch_size=1000)
    _step(progress, "deputies", len(deputies), t)

    t = time.monotonic()
    seats = [
        Seat(
            deputy=deputy,
            level=seat.level,
            term=seat.term,
            constituency=regions[seat.constituency],
            constituency_name=seat.constituency_name,
            started_on=seat.started_on,
        )
        for p, deputy in zip(plan.persons, deputies, strict=True)
        for seat in p.seats
    ]
    Seat.objects.bulk_create(seats, batch_size=1000)
    _step(progress, "seats", len(seats), t)

    t = time.monotonic()
    assignments = [
        Assignment(
            deputy=deputy,
            station=sites[p.site],
            role=Assignment.Role.LEADER if p.leader else Assignment.Role.MEMBER,
            started_on=max(seat.started_on for seat in p.seats),
        )
        for p, deputy in zip(plan.persons, deputies, strict=True)
        if p.site is not None
    ]
    Assignment.objects.bulk_create(assignments, batch_size=1000)
    _step(progress, "assignments", len(assignments), t)

    t = time.monotonic()
    units = [
        HandlingUnit(
            code=u.code,
            name=u.name,
            kind=u.kind,
            region=regions[u.region],
            contact_name=u.contact_name,
            contact_phone=u.contact_phone,
            address=u.address,
            duties=u.duties,
        )
        for u in plan.units
    ]
    HandlingUnit.objects.bulk_create(units, batch_size=1000)
    _step(progress, "units", len(units), t)


# -- accounts ---------------------------------------------------------------------------------


def _scope_deputy(station_code: str, username: str) -> Deputy | None:
    """The group leader of the site (or the next member) not yet linked to another account."""
    current = Assignment.objects.current().filter(station__code=station_code).select_related("deputy")
    for assignment in current.order_by("-role", "deputy_id"):
        linked = User.objects.filter(deputy=assignment.deputy).exclude(username=username).exists()
        if not linked:
            return assignment.deputy
    return None


def ensure_accounts(progress: Progress) -> None:
    """Create or refresh the demo log-ins (DEMO_ACCOUNTS) and one manager per station."""
    t = time.monotonic()
    password = make_password(DEMO_PASSWORD)  # hashed once: the demo accounts share it
    count = 0
    for role, username, label in DEMO_ACCOUNTS:
        scope = DEMO_SCOPES.get(username, {})
        user = User.objects.filter(username=username).first() or User(username=username)
        user.password = password
        user.is_active = True
        user.is_superuser = user.is_staff = role == "superuser"
        user.role = "" if role == "superuser" else role
        user.region = Region.objects.get(code=scope["region"]) if "region" in scope else None
        user.unit = HandlingUnit.objects.get(code=scope["unit"]) if "unit" in scope else None
        user.deputy = _scope_deputy(scope["deputy_at"], username) if "deputy_at" in scope else None
        user.display_name = user.deputy.name if user.deputy else label
        user.save()
        user.stations.set(Station.objects.filter(code=scope["station"]) if "station" in scope else [])
        count += 1

    stations = list(
        Station.objects.filter(kind=Station.Kind.STATION, code__startswith="ST").only("id", "code", "name")
    )
    names = {f"{STATION_MANAGER_PREFIX}{s.code[2:]}": s for s in stations}
    existing = {u.username: u for u in User.objects.filter(username__in=names)}
    new = [
        User(
            username=username, password=password, role=Role.SITE_MANAGER, display_name=f"{station.name}联络员"
        )
        for username, station in names.items()
        if username not in existing
    ]
    User.objects.bulk_create(new, batch_size=500)
    User.objects.filter(username__in=names).update(password=password, role=Role.SITE_MANAGER, is_active=True)
    managers = {u.username: u.pk for u in User.objects.filter(username__in=names).only("id", "username")}
    through = User.stations.through
    through.objects.filter(user_id__in=managers.values()).delete()
    through.objects.bulk_create(
        [through(user_id=managers[username], station_id=station.pk) for username, station in names.items()],
        batch_size=500,
    )
    count += len(names)
    _step(progress, "accounts", count, t)


# -- reset ------------------------------------------------------------------------------------


@dataclass
class _Scope:
    user_id: int
    role: str
    region: str | None
    unit: str | None
    deputy_hash: str | None
    stations: list[str]


def detach_users() -> list[_Scope]:
    """Remember every account's scope by natural keys and unhook it, so the registry can be deleted.

    Users are never deleted (audit entries point at them); after the rebuild their scope is restored
    from the same codes — the demo is deterministic, so they resolve to the new rows.
    """
    snapshot = []
    station_codes: dict[int, list[str]] = {}
    for user_id, code in User.stations.through.objects.values_list("user_id", "station__code"):
        station_codes.setdefault(user_id, []).append(code)
    scoped = (
        User.objects.filter(region__isnull=False)
        | User.objects.filter(unit__isnull=False)
        | User.objects.filter(deputy__isnull=False)
        | User.objects.filter(pk__in=station_codes)
    )
    for user in scoped.select_related("region", "unit", "deputy").distinct():
        snapshot.append(
            _Scope(
                user.pk,
                user.role,
                user.region.code if user.region else None,
                user.unit.code if user.unit else None,
                user.deputy.phone_hash if user.deputy else None,
                station_codes.get(user.pk, []),
            )
        )
    User.stations.through.objects.all().delete()
    User.objects.filter(pk__in=[s.user_id for s in snapshot]).update(
        role="", region=None, unit=None, deputy=None
    )
    return snapshot


def restore_users(snapshot: list[_Scope], progress: Progress) -> None:
    lost = 0
    for scope in snapshot:
        region = Region.objects.filter(code=scope.region).first() if scope.region else None
        unit = HandlingUnit.objects.filter(code=scope.unit).first() if scope.unit else None
        deputy = Deputy.objects.filter(phone_hash=scope.deputy_hash).first() if scope.deputy_hash else None
        stations = list(Station.objects.filter(code__in=scope.stations))
        if (
            (scope.region and not region)
            or (scope.unit and not unit)
            or (scope.deputy_hash and not deputy)
            or (len(stations) < len(scope.stations))
        ):
            lost += 1
            continue  # stays without role: an admin must re-scope it
        User.objects.filter(pk=scope.user_id).update(role=scope.role, region=region, unit=unit, deputy=deputy)
        User.objects.get(pk=scope.user_id).stations.set(stations)
    if lost:
        progress(
            _("Accounts that lost their scope (their region, site, unit or deputy is gone): %(count)d")
            % {"count": lost}
        )


def purge(progress: Progress) -> None:
    """Delete the registry table by table, children first.

    A raw DELETE per table: Django's collector would load (and decrypt) every row first, seconds for
    nothing, as PURGE_ORDER already removes dependants first. Rows of other tables that still point
    here make the database's foreign keys fail the transaction, so nothing is half-deleted.
    """
    t = time.monotonic()
    Opinion.objects.update(merged_into=None, suggestion=None, activity=None)  # self- and cross-references first
    Station.objects.update(parent=None)
    Region.objects.update(parent=None)
    total = 0
    for label in PURGE_ORDER:
        queryset = apps.get_model(label).objects.all()
        total += queryset._raw_delete(queryset.db)  # noqa: SLF001 - see docstring
    services.RULES.clear()  # the raw DELETE sends no signals
    _step(progress, "deleted", total, t)

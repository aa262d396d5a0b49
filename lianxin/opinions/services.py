"""The case engine: intake and every transition of an opinion.

Each transition is one function here, used by the pages, the API and the periodic tasks alike.
All of them go through ``_transition``: permission check against ``transitions.TRANSITIONS`` and
the actor's scope, row lock (SELECT … FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE transactions
serialise writers), optional version check, the state change, an immutable ``OpinionEvent`` and
the notifications queued on commit — all in one database transaction.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from lianxin.accounts.models import Role, User
from lianxin.core import clock, ratelimit

from . import deadlines, search
from .errors import CaseError
from .models import (
    Category,
    DeadlineRule,
    ExtensionRequest,
    Opinion,
    OpinionEvent,
    OpinionIntake,
    Outcome,
    Satisfaction,
    Status,
    SubmitCounter,
    Supporter,
    Urgency,
)
from .transitions import CITIZEN, SYSTEM, TRANSITIONS, allowed

# Built-in limits when no DeadlineRule is configured (working days).
DEFAULT_RULE = DeadlineRule(accept_days=2, handle_days=10, warn_days=2, rating_days=10)
URGENCY_HANDLE_DAYS = {Urgency.URGENT: 5, Urgency.NORMAL: 10, Urgency.COMPLEX: 20}
DEFAULT_REOPEN_LIMIT = 1
SUGGESTION_DAYS = 90


@dataclass(frozen=True)
class Actor:
    """Who runs a transition: a staff user, the citizen (by tracking code), or the system."""

    kind: str  # a Role value, "citizen" or "system"
    user: User | None = None

    @classmethod
    def of(cls, user: User) -> Actor:
        role = Role.CITY_ADMIN if user.is_superuser else user.role
        return cls(kind=role, user=user)


CITIZEN_ACTOR = Actor(kind=CITIZEN)
SYSTEM_ACTOR = Actor(kind=SYSTEM)


class _RuleCache:
    """The deadline rules, read once per process and kept for ``TTL`` seconds.

    A transition needs a rule; the table is tiny and changes rarely, so it is not read again for every
    case. Saving or deleting a rule empties this process's copy at once (signals in ``apps.py``); other
    processes see a change within ``TTL`` seconds.
    """

    TTL = 60.0

    def __init__(self) -> None:
        self.loaded_at = -self.TTL
        self.rules: dict[tuple[int | None, str], DeadlineRule] = {}

    def get(self, category_id: int | None, urgency: str) -> DeadlineRule | None:
        if time.monotonic() - self.loaded_at >= self.TTL:
            self.rules = {(r.category_id, r.urgency): r for r in DeadlineRule.objects.all()}
            self.loaded_at = time.monotonic()
        return self.rules.get((category_id, urgency)) or self.rules.get((None, urgency))

    def clear(self, **_signal: Any) -> None:
        self.loaded_at = -self.TTL
        self.rules = {}


RULES = _RuleCache()


def deadline_rule(category: Category | int | None, urgency: str) -> DeadlineRule:
    """The working-day limits for a category (or its id) and urgency: its own rule, else the default one."""
    category_id = category.pk if isinstance(category, Category) else category
    rule = RULES.get(category_id, urgency)
    if rule is not None:
        return rule
    return DeadlineRule(
        accept_days=DEFAULT_RULE.accept_days,
        handle_days=URGENCY_HANDLE_DAYS.get(Urgency(urgency), DEFAULT_RULE.handle_days),
        warn_days=DEFAULT_RULE.warn_days,
        rating_days=DEFAULT_RULE.rating_days,
    )


# ---- intake ----------------------------------------------------------------------------------


def submit_opinion(
    *,
    category: Category,
    title: str,
    text: str,
    channel: str,
    region: Any = None,
    station: Any = None,
    deputy: Any = None,
    citizen_name: str = "",
    citizen_phone: str = "",
    urgency: str = Urgency.NORMAL,
    latitude: Any = None,
    longitude: Any = None,
    consent: bool = True,
    language: str = "zh-hans",
    idempotency_key: str | None = None,
    actor: User | None = None,
    tracking_code: str | None = None,
    activity: Any = None,
    now: datetime.datetime | None = None,
) -> tuple[Opinion, bool]:
    """Register a new opinion; returns (opinion, created). A repeated idempotency key returns the first one.

    ``tracking_code``: the code already given to the citizen (a received submission, ``register_intake``).
    """
    now = now or clock.now()
    if idempotency_key:
        existing = next(iter(Opinion.objects.filter(idempotency_key=idempotency_key).order_by()[:1]), None)
        if existing is not None:
            return existing, False
    if region is None:
        region = station.region if station is not None else None
    if region is None:
        raise CaseError("invalid", _("Choose a site or an area for the opinion."))
    rule = deadline_rule(category, urgency)
    opinion = Opinion(
        category=category, title=title.strip(), text=text.strip(), channel=channel, urgency=urgency,
        region=region, station=station, deputy=deputy, citizen_name=citizen_name.strip(),
        citizen_phone=citizen_phone.strip(), latitude=latitude, longitude=longitude,
        consent_at=now if consent else None, language=language, idempotency_key=idempotency_key or None,
        created_at=now, updated_at=now, due_at=deadlines.add_working_days(now, rule.accept_days),
    )
    if tracking_code:
        opinion.tracking_code = tracking_code
    if activity is not None:
        opinion.activity = activity
    try:
        with transaction.atomic():
            opinion.save()
            event = _event(opinion, "submit", Actor.of(actor) if actor else CITIZEN_ACTOR, "", Status.SUBMITTED, now)
            search.index_opinion(opinion, new=True)
            _notify_on_commit(event)
    except IntegrityError:
        # Two retries raced on the same key: the other one stored it; answer with that.
        if idempotency_key:
            existing = Opinion.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing, False
        raise
    return opinion, True


class OverLimit(Exception):  # noqa: N818 (a refusal, not a failure)
    """A public submission over one of its rate limits: nothing was stored."""


# Registration of new intakes is queued by the first submission stored in each KICK_SECONDS in each
# web process (the *kick*), so the queue gets about one drain a second per process under load instead
# of one task per submission. Each drain registers everything received so far and, while it finds
# work, queues one more drain KICK_SECONDS * 2 later, which catches the submissions that arrived after
# the kick; ``register_pending`` (every minute) is the safety net for anything else.
KICK_SECONDS = 1.0


class _Kick:
    """When this process last queued a drain (the injectable clock's time)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.at: datetime.datetime | None = None

    def claim(self, now: datetime.datetime) -> bool:
        with self.lock:
            if self.at is not None and 0 <= (now - self.at).total_seconds() < KICK_SECONDS:
                return False
            self.at = now
            return True

    def reset(self) -> None:
        self.at = None


KICK = _Kick()

Limits = Sequence[tuple[str, str, ratelimit.Rate]]


def receive_submission(
    *,
    idempotency_key: str,
    category_id: int,
    region_id: int,
    station_id: int | None,
    deputy_id: int | None,
    title: str,
    text: str,
    channel: str,
    citizen_name: str,
    citizen_phone: str,
    latitude: Any = None,
    longitude: Any = None,
    language: str = "zh-hans",
    limits: Limits = (),
    now: datetime.datetime | None = None,
) -> tuple[OpinionIntake | Received, bool]:
    """Store a public submission with one INSERT and answer at once (the fast intake of the public API).

    Returns (intake, created); a repeated ``idempotency_key`` returns the first one (the INSERT skips
    it, ``ON CONFLICT DO NOTHING``, and the first is read back). ``limits`` — (scope, key, rate) — are
    counted with it: on PostgreSQL in the INSERT's own statement (``opinions_submitcounter``, one round
    trip for both), elsewhere in the cache just before. Over any of them nothing is stored and
    ``OverLimit`` is raised, unless the key is stored already: a retry gets its first submission back.

    The case is registered from it by the task queue (``register_new_intakes``, queued after commit by
    the first submission of each second in this process: ``KICK``). In the queue's immediate mode (no
    consumer: tests, scripts) it is registered here, in the same transaction.
    """
    from huey.contrib.djhuey import HUEY

    now = now or clock.now()
    values = {
        "idempotency_key": idempotency_key, "category_id": category_id, "region_id": region_id,
        "station_id": station_id, "deputy_id": deputy_id, "title": title.strip(), "text": text.strip(),
        "channel": channel, "citizen_name": citizen_name.strip(), "citizen_phone": citizen_phone.strip(),
        "latitude": latitude, "longitude": longitude, "language": language, "created_at": now,
        "due_at": deadlines.add_working_days(now, deadline_rule(category_id, Urgency.NORMAL).accept_days),
    }
    if HUEY.immediate:
        with transaction.atomic():
            within, received = _insert_intake(values, limits)
            if received is not None:
                register_intake(received.pk)
    else:
        # One statement, committed on its own in autocommit mode (no BEGIN … COMMIT); inside a caller's
        # transaction a savepoint keeps a failure from breaking it.
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():
                within, received = _insert_intake(values, limits)
        else:
            within, received = _insert_intake(values, limits)
        if received is not None and KICK.claim(now):
            queue_registration()
    if received is not None:
        return received, True
    existing = OpinionIntake.objects.filter(idempotency_key=idempotency_key).first()
    if existing is None:
        if not within:
            raise OverLimit
        raise OpinionIntake.DoesNotExist  # skipped as a repeat, and gone since: never seen
    return existing, False


def count_limits(limits: Limits) -> bool:
    """Count ``limits`` as a submission does, storing nothing (one refused for its content counts too);
    True while every count is within its limit."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        return ratelimit.hit_all(*limits)
    ctes, params, within = _counting_sql(limits, connection)
    if not ctes:
        return True
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {ctes} SELECT {within}", params)
        return bool(cursor.fetchone()[0])


@dataclass(frozen=True)
class Received:
    """A submission just stored (what its answer needs; the row itself is ``OpinionIntake`` ``pk``)."""

    pk: int
    tracking_code: str
    due_at: datetime.datetime | None
    opinion_id: int | None = None


def purge_submit_counters(now: datetime.datetime | None = None) -> int:
    """Delete the rate-limit counters of windows that have ended; returns how many."""
    return SubmitCounter.objects.filter(expires_at__lt=now or clock.now()).delete()[0]


def queue_registration(delay: float = 0) -> None:
    """Queue a drain of new intakes once the current transaction commits (at once outside one)."""
    from .tasks import register_new_intakes

    if delay:
        transaction.on_commit(lambda: register_new_intakes.schedule(delay=delay))
    else:
        transaction.on_commit(register_new_intakes)


def _counting_sql(limits: Limits, connection: Any) -> tuple[str, list[Any], str]:
    """PostgreSQL: common table expressions counting each active limit in ``opinions_submitcounter`` (one
    upsert of its window's row each, ``h0``, ``h1`` …), their parameters, and the condition that every
    count is within its limit (``TRUE`` without limits). The text depends only on the number of limits
    and is built once for each (``_counting_text``)."""
    active = [(scope, key, rate) for scope, key, rate in limits if key and rate.limit > 0]
    stamp = time.time()
    params: list[Any] = []
    for scope, key, rate in active:
        window_end = (int(stamp // rate.window) + 1) * rate.window + 1
        params += [ratelimit.window_id(scope, key, rate, stamp),
                   datetime.datetime.fromtimestamp(window_end, tz=datetime.UTC)]
    # The parameters in the order of the text: the CTEs' first, then the condition's.
    ctes, within = _counting_text(len(active), connection.ops.quote_name)
    return ctes, params + [rate.limit for _scope, _key, rate in active], within


_COUNTING_TEXT: dict[int, tuple[str, str]] = {}


def _counting_text(count: int, quote: Callable[[str], str]) -> tuple[str, str]:
    """The CTEs and the condition of ``_counting_sql`` for ``count`` limits (names only, quoted)."""
    if count not in _COUNTING_TEXT:
        table, key, tally = quote(SubmitCounter._meta.db_table), quote("key"), quote("count")
        ctes = [f"h{n} AS (INSERT INTO {table} AS c ({key}, {tally}, {quote('expires_at')}) VALUES (%s, 1, %s) "  # noqa: S608
                f"ON CONFLICT ({key}) DO UPDATE SET {tally} = c.{tally} + 1 RETURNING c.{tally})" for n in range(count)]
        conditions = [f"(SELECT {tally} FROM h{n}) <= %s" for n in range(count)]  # noqa: S608 (names only)
        _COUNTING_TEXT[count] = (", ".join(ctes), " AND ".join(conditions) or "TRUE")
    return _COUNTING_TEXT[count]


_INTAKE_INSERT: dict[str, tuple[list[Any], str, list[bool]]] = {}
# PostgreSQL: the whole statement (counters, verdict, INSERT) by the text of its counters' CTEs.
_INTAKE_STATEMENTS: dict[str, str] = {}
# Python types PostgreSQL takes as they are: psycopg adapts them, and Django's PostgreSQL backend would
# hand them over unchanged (aware datetimes too; see _pg_value).
_AS_IS = frozenset({str, int, decimal.Decimal, type(None)})


def _insert_intake(values: dict[str, Any], limits: Limits = ()) -> tuple[bool, Received | None]:
    """Count ``limits`` and INSERT an intake of these field values (by attribute name; the others get
    their defaults) if every count is within its limit and its idempotency key is not stored already.
    Returns (within the limits, the intake stored or None).

    The statement is built once per database vendor from the model's fields (Django's ``save`` compiles
    it on every call, and a model instance costs more than the rest of the INSERT). The values are
    prepared by the fields themselves (encryption of name and phone included) — on PostgreSQL only where
    that changes them (``_pg_value``) — and bound on the server (``_execute_bound_on_server``). On
    PostgreSQL the limits are counted in the same statement: the upserts of their counters come first
    (``_counting_sql``) and the intake is inserted only if all are within (``INSERT … SELECT … WHERE``);
    elsewhere in the cache, before it."""
    connection = transaction.get_connection()
    postgresql = connection.vendor == "postgresql"
    if connection.vendor not in _INTAKE_INSERT:
        fields = [f for f in OpinionIntake._meta.concrete_fields if not f.primary_key]
        quote = connection.ops.quote_name
        # Only the model's own (quoted) table and column names go into the text; values are parameters.
        # On PostgreSQL a SELECT of the values from the limits' verdict (``{within}``: the CTE "w").
        columns = ", ".join(quote(f.column) for f in fields)
        values_sql = ", ".join(["%s"] * len(fields))
        source = f"SELECT {values_sql} FROM w WHERE w.ok" if postgresql else f"VALUES ({values_sql})"  # noqa: S608
        sql = (f"INSERT INTO {quote(OpinionIntake._meta.db_table)} ({columns}) {source} "  # noqa: S608
               f"ON CONFLICT ({quote('idempotency_key')}) DO NOTHING RETURNING {quote(OpinionIntake._meta.pk.column)}")
        # Fields of our own (the encrypted ones) always prepare their values; Django's own fields
        # leave values of the types in _AS_IS as they are on PostgreSQL.
        custom = [not type(f).__module__.startswith("django.") for f in fields]
        _INTAKE_INSERT[connection.vendor] = (fields, sql, custom)
    fields, sql, custom = _INTAKE_INSERT[connection.vendor]
    values = {f.attname: values[f.attname] if f.attname in values else f.get_default() for f in fields}
    if postgresql:
        ctes, params, within = _counting_sql(limits, connection)
        statement = _INTAKE_STATEMENTS.get(ctes)
        if statement is None:  # once per number of limits
            statement = _INTAKE_STATEMENTS[ctes] = (
                f"WITH {ctes}{', ' if ctes else ''}w AS (SELECT {within} AS ok), s AS ({sql}) "  # noqa: S608
                "SELECT w.ok, (SELECT * FROM s) FROM w")
        ok, pk = _execute_bound_on_server(connection, statement, params + [
            f.get_db_prep_save(values[f.attname], connection) if own else _pg_value(f, values[f.attname], connection)
            for f, own in zip(fields, custom, strict=True)
        ])
    else:
        ok, pk = ratelimit.hit_all(*limits), None
        if ok:
            with connection.cursor() as cursor:
                cursor.execute(sql, [f.get_db_prep_save(values[f.attname], connection) for f in fields])
                row = cursor.fetchone()
            pk = row[0] if row is not None else None
    if pk is None:
        return bool(ok), None
    return True, Received(pk=pk, tracking_code=values["tracking_code"], due_at=values["due_at"])


def _pg_value(field: Any, value: Any, connection: Any) -> Any:
    """The value of one of Django's own fields as PostgreSQL gets it: strings, integers, decimals, None
    and aware datetimes as they are (what the field's preparation returns for them on PostgreSQL, at a
    fraction of its cost); anything else — a float for a decimal, a naive datetime — through the field."""
    kind = type(value)
    if kind in _AS_IS or (kind is datetime.datetime and value.tzinfo is not None):
        return value
    return field.get_db_prep_save(value, connection)


# Per Django connection (one per thread and database): the psycopg connection it had and a cursor
# binding on the server over it, reused by every intake INSERT until Django reconnects.
_SERVER_CURSORS: weakref.WeakKeyDictionary[Any, tuple[Any, Any]] = weakref.WeakKeyDictionary()


def _execute_bound_on_server(connection: Any, sql: str, params: list[Any]) -> Any:
    """Run the intake's statement ``sql`` (its rate-limit counters and its INSERT) with ``params`` bound on
    the server, prepared once per connection (``_preparing_cursor``), and return its row (PostgreSQL).

    Django's PostgreSQL cursors bind values on the client: psycopg quotes every value into the text of
    the statement, which for the intake's 17 values (a text of up to 5,000 characters among them) costs
    more CPU than the rest of the INSERT on the web process's side. Here the values travel as the
    statement's parameters, through psycopg's server-side binding cursor (Django's own
    ``ServerBindingCursor``, what its ``server_side_binding`` option uses for every query), kept per
    connection; Django's cursor wrapper (execute wrappers, query logging and counting, error
    translation) stays.

    Django's health check (``CONN_HEALTH_CHECKS``: a ``SELECT 1`` round trip before the first query of a
    request on a kept connection) is not made for it: the INSERT is idempotent (``ON CONFLICT`` on the
    idempotency key), so it is sent at once and, if the kept connection turns out to be broken, sent
    once more on a new one — the same outcome for one round trip instead of two. Inside a transaction,
    or on a connection the request already used, it is sent as usual."""
    cursor_class = _preparing_cursor() if getattr(settings, "INTAKE_PREPARED_STATEMENT", True) else _binding_cursor()
    optimistic = (connection.connection is not None and connection.health_check_enabled
                  and not connection.health_check_done and not connection.in_atomic_block)
    if optimistic:
        connection.health_check_done = True
    for attempt in (1, 2):
        connection.close_if_health_check_failed()
        connection.ensure_connection()
        connection.validate_thread_sharing()
        raw = connection.connection
        kept = _SERVER_CURSORS.get(connection)
        if kept is None or kept[0] is not raw or kept[1].closed or type(kept[1]) is not cursor_class:
            kept = _SERVER_CURSORS[connection] = (raw, cursor_class(raw))
        cursor = connection.make_debug_cursor(kept[1]) if connection.queries_logged else connection.make_cursor(kept[1])
        try:
            cursor.execute(sql, params)
            return cursor.fetchone()
        except (OperationalError, InterfaceError):
            if not optimistic or attempt == 2 or connection.is_usable():
                raise  # not a broken kept connection: the error is the statement's own
            connection.close()  # and again on a new connection (ensure_connection above)
    raise AssertionError("unreachable")  # pragma: no cover


# Beyond any count of executions: psycopg prepares only the statements asked for (``prepare=True``).
_ONLY_WHEN_ASKED = 2**62


@functools.cache
def _binding_cursor() -> Any:
    from django.db.backends.postgresql.base import ServerBindingCursor  # type: ignore[attr-defined]

    return ServerBindingCursor


@functools.cache
def _preparing_cursor() -> Any:
    """A server-binding cursor whose statements are prepared on their connection (once, then executed by
    name: parsed and planned once per connection instead of on every call).

    Django turns psycopg's automatic preparation off (``prepare_threshold`` None, for the sake of
    transaction poolers), and psycopg then prepares nothing, even when asked; this cursor lifts the
    threshold beyond reach for its own statement only. Behind a pooler that does not keep prepared
    statements per client, set ``DB_PREPARED_INTAKE=0`` (settings ``INTAKE_PREPARED_STATEMENT``)."""

    class PreparingCursor(_binding_cursor()):  # type: ignore[misc]
        def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: Any = None) -> Any:
            raw = self.connection
            threshold = raw.prepare_threshold
            if threshold is None:
                raw.prepare_threshold = _ONLY_WHEN_ASKED
            try:
                result = super().execute(query, params, prepare=True, binary=binary)
            finally:
                raw.prepare_threshold = threshold
            # Executed by name, psycopg keeps no text of the query, which Django's query log reads.
            if self._query is None:  # type: ignore[has-type]
                self._query = _Executed(query.encode() if isinstance(query, str) else query)
            return result

    return PreparingCursor


@dataclass(frozen=True)
class _Executed:
    query: bytes


def register_intake(intake_id: int, *, skip_locked: bool = False) -> Opinion | None:
    """Make the case of a received submission (once: the intake row is locked and linked to it).

    None if it is registered already, or (``skip_locked``) if another worker is registering it now."""
    with transaction.atomic():
        intake = (OpinionIntake.objects.select_for_update(of=("self",), skip_locked=skip_locked)
                  .select_related("region").filter(pk=intake_id, registered_at__isnull=True).first())
        if intake is None:  # already registered (a retry, or the sweeper got there first)
            return None
        opinion, _created = submit_opinion(
            category=Category(pk=intake.category_id), title=intake.title, text=intake.text,
            channel=intake.channel, region=intake.region, station=intake.station_id and _station(intake.station_id),
            deputy=intake.deputy_id and _deputy(intake.deputy_id), citizen_name=intake.citizen_name,
            citizen_phone=intake.citizen_phone, latitude=intake.latitude, longitude=intake.longitude,
            language=intake.language, idempotency_key=intake.idempotency_key,
            tracking_code=intake.tracking_code, now=intake.created_at,
        )
        intake.opinion = opinion
        intake.registered_at = clock.now()
        intake.save(update_fields=["opinion", "registered_at"])
    return opinion


def register_new(batch: int = 200, limit: int = 5000) -> int:
    """Register the submissions received so far, oldest first (the queue's drain); returns how many.

    Rows another worker is registering at the same moment are skipped, not waited for."""
    done = 0
    last = 0
    while done < limit:
        ids = list(OpinionIntake.objects.filter(registered_at__isnull=True, pk__gt=last)
                   .order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            break
        for pk in ids:
            done += register_intake(pk, skip_locked=True) is not None
        last = ids[-1]
    return done


def _station(pk: int) -> Any:
    from lianxin.stations.models import Station

    return Station.objects.only("id", "region_id").get(pk=pk)


def _deputy(pk: int) -> Any:
    from lianxin.deputies.models import Deputy

    return Deputy.objects.only("id").get(pk=pk)


def register_pending(older_than: datetime.timedelta = datetime.timedelta(seconds=30), limit: int = 500) -> int:
    """Register received submissions the queue has not (a lost task, a consumer that was down)."""
    cutoff = clock.now() - older_than
    ids = list(OpinionIntake.objects.filter(registered_at__isnull=True, created_at__lt=cutoff)
               .order_by("created_at").values_list("pk", flat=True)[:limit])
    return sum(register_intake(pk) is not None for pk in ids)


def add_supporter(opinion: Opinion, phone: str, now: datetime.datetime | None = None) -> bool:
    """A citizen's "me too" on an open case; counted once per phone. Returns True if counted."""
    from lianxin.core.crypto import lookup_hash

    if not opinion.is_open:
        raise CaseError("wrong_state", _("This case is closed; please submit a new opinion."))
    with transaction.atomic():
        _row, created = Supporter.objects.get_or_create(
            opinion=opinion, phone_hash=lookup_hash(phone), defaults={"created_at": now or clock.now()}
        )
        if created:
            Opinion.objects.filter(pk=opinion.pk).update(supporters=F("supporters") + 1)
    return created


# ---- the transition core --------------------------------------------------------------------


def _event(
    opinion: Opinion, action: str, actor: Actor, from_status: str, to_status: str, now: datetime.datetime,
    public_note: str = "", internal_note: str = "", data: dict[str, Any] | None = None,
) -> OpinionEvent:
    return OpinionEvent.objects.create(
        opinion=opinion, created_at=now, actor=actor.user, actor_kind=_actor_kind(actor), action=action,
        from_status=from_status, to_status=to_status, public_note=public_note, internal_note=internal_note,
        unit_id=opinion.unit_id, data=data or {},
    )


def _actor_kind(actor: Actor) -> str:
    return actor.kind if actor.kind in (CITIZEN, SYSTEM) else "staff"


def _lock(pk: int, actor: Actor) -> Opinion:
    """Fetch and lock the case row; staff only reach it through ``Opinion.objects.visible_to`` (one query)."""
    # Lock only the case row (of=self: FOR UPDATE must not touch the joined side).
    cases = Opinion.objects.select_for_update(of=("self",))
    if actor.kind in (CITIZEN, SYSTEM):
        return cases.get(pk=pk)
    assert actor.user is not None
    locked = cases.visible_to(actor.user).filter(pk=pk).first()
    if locked is None:
        raise CaseError("not_found", _("No such case in your area."))
    if actor.kind == Role.UNIT_STAFF and locked.unit_id != actor.user.unit_id:
        raise CaseError("not_allowed", _("This case is no longer with your unit."))
    return locked


def _transition(
    opinion: Opinion | int,
    name: str,
    actor: Actor,
    change: Callable[[Opinion, datetime.datetime], dict[str, Any] | None],
    *,
    expected_version: int | None = None,
    public_note: str = "",
    internal_note: str = "",
    now: datetime.datetime | None = None,
) -> Opinion:
    now = now or clock.now()
    pk = opinion.pk if isinstance(opinion, Opinion) else opinion
    transition = TRANSITIONS[name]
    with transaction.atomic():
        # Lock only the case row (of=self: FOR UPDATE may not touch the outer-joined side), fetching
        # what the transitions read anyway so they do not query for it one by one.
        if actor.kind not in transition.actors:
            raise CaseError("not_allowed", _("Your role may not do this."))
        locked = _lock(pk, actor)
        if not allowed(name, locked.status, actor.kind):
            raise CaseError(
                "wrong_state",
                _("This cannot be done while the case is “%(status)s”.") % {"status": locked.get_status_display()},
            )
        if expected_version is not None and locked.version != expected_version:
            raise CaseError("conflict", _("Someone else changed this case meanwhile. Reload and try again."))
        from_status = locked.status
        before = _field_values(locked)
        data = change(locked, now) or {}
        if transition.target is not None:
            locked.status = transition.target
        locked.version += 1
        locked.updated_at = now
        # Write only what changed: the personal fields are not encrypted again on every step.
        after = _field_values(locked)
        locked.save(update_fields=[name for name, value in after.items() if before[name] != value])
        event = _event(locked, name, actor, from_status, locked.status, now, public_note, internal_note, data)
        _notify_on_commit(event)
    return locked


def _field_values(opinion: Opinion) -> dict[str, Any]:
    return {field.name: getattr(opinion, field.attname) for field in Opinion._meta.concrete_fields if not field.primary_key}


def _notify_on_commit(event: OpinionEvent) -> None:
    from . import notify

    transaction.on_commit(lambda: notify.event_created(event.pk))


# ---- transitions ---------------------------------------------------------------------------


def accept(opinion: Opinion | int, user: User, *, station: Any = None, deputy: Any = None,
           category: Category | None = None, urgency: str | None = None, public_note: str = "",
           internal_note: str = "", expected_version: int | None = None,
           now: datetime.datetime | None = None) -> Opinion:
    def change(op: Opinion, at: datetime.datetime) -> dict[str, Any]:
        from lianxin.stations.models import Station

        if station is not None:
            if not Station.objects.visible_to(user).filter(pk=station.pk).exists() and not user.is_superuser:
                raise CaseError("invalid", _("Choose one of your own sites."))
            op.station = station
            op.region = station.region
        if op.station_id is None:
            raise CaseError("invalid", _("Choose the site that takes the case."))
        if deputy is not None:
            op.deputy = deputy
        if category is not None:
            op.category = category
        if urgency:
            op.urgency = urgency
        op.accepted_at = at
        op.assignee = user
        op.warned_at = None  # a new deadline: warn again before it
        op.due_at = deadlines.add_working_days(at, deadline_rule(op.category_id, op.urgency).handle_days)
        return {"station": op.station_id, "deputy": op.deputy_id}

    return _transition(opinion, "accept", Actor.of(user), change, expected_version=expected_version,
                       public_note=public_note, internal_note=internal_note, now=now)


def reject(opinion: Opinion | int, user: User, *, reason: str, public_note: str = "", internal_note: str = "",
           expected_version: int | None = None, now: datetime.datetime | None = None) -> Opinion:
    from .models import RejectReason

    if reason not in RejectReason.values:
        raise CaseError("invalid", _("Choose a reason for not accepting."))

    def change(op: Opinion, at: datetime.datetime) -> dict[str, Any]:
        op.closed_at = at
        op.due_at = None
        op.outcome = Outcome.NONE
        return {"reason": reason}

    with translation.override(_citizen_language(opinion)):
        note = public_note or str(REJECT_GUIDANCE.get(reason, ""))
    return _transition(opinion, "reject", Actor.of(user), change, expected_version=expected_version,
                       public_note=note, internal_note=internal_note, now=now)


# Where to go instead, told to the citizen with a rejection.
REJECT_GUIDANCE = {
    "litigation": _("Matters in litigation, arbitration or administrative review are handled by the court, the "
                    "arbitration body or the review authority; please follow them there."),
    "personal_legal": _("For a personal legal case please turn to a lawyer, the public legal service centre or "
                        "the court."),
    "petition": _("Please take this matter to the letters and visits (petition) office."),
    "not_in_area": _("This matter lies outside our area; please contact the liaison site where it arises."),
    "incomplete": _("We could not act on the information given; you are welcome to submit it again with details."),
    "other": "",
}


def merge(opinion: Opinion | int, user: User, *, into: Opinion, internal_note: str = "",
          expected_version: int | None = None, now: datetime.datetime | None = None) -> Opinion:
    def change(op: Opinion, at: datetime.datetime) -> dict[str, Any]:
        if into.pk == op.pk or into.merged_into_id is not None or not into.is_open:
            raise CaseError("invalid", _("Merge into an open case that is not itself merged."))
        if not Opinion.objects.visible_to(user).filter(pk=into.pk).exists():
            raise CaseError("invalid", _("Merge into a case of your own area."))
        op.merged_into = into
        op.closed_at = at
        op.due_at = None
        # The surviving case counts this citizen too (same transaction as the merge).
        Opinion.objects.filter(pk=into.pk).update(supporters=F("supporters") + 1)
        return {"into": into.tracking_code}

    with translation.override(_citizen_language(opinion)):
        note = str(_("Merged with a case raised by others about the same matter; it is handled for everyone "
                     "who raised it."))
    return _transition(opinion, "merge", Actor.of(user), change, expected_version=expected_version,
                       public_note=note, internal_note=internal_note, now=now)


def answer(opinion: Opinion | int, user: User, *, reply: str, internal_note: str = "",
           expected_version: int | None = None, now: datetime.datetime | None = None) -> Opinion:
    if not reply.strip():
        raise CaseError("invalid", _("Write the answer given to the citizen."))

    def change(op: Opinion, at: datetime.datetime) -> None:
        _set_replied(op, reply, at)

    return _transition(opinion, "answer", Actor.of(user), change, expected_version=expected_version,
                       public_note=reply.strip(), internal_note=internal_note, now=now)


def _set_replied(op: Opinion, reply: str, at: datetime.datetime) -> None:
    op.reply = reply.strip()
    op.replied_at = at
    op.due_at = deadlines.add_working_days(at, deadline_rule(op.category_id, op.urgency).rating_days)


def transfer(opinion: Opinion | int, user: User, *, unit: Any, working_days: int | None = None,
             public_note: str = "", internal_note: str = "", expected_version: int | None = None,
             now: datetime.datetime | None = None) -> Opinion:
    """Forward by level: a site (manager, deputy) to its township/street office; the congress staff to any unit in area."""
    from lianxin.units.models import HandlingUnit

    def change(op: Opinion, at: datetime.datetime) -> dict[str, Any]:
        if not unit.active:
            raise CaseError("invalid", _("That handling unit is no longer active."))
        role = Actor.of(user).kind
        if role in (Role.SITE_MANAGER, Role.DEPUTY):
            township = op.station.region.path if op.station else op.region_path
            if unit.kind != HandlingUnit.Kind.TOWNSHIP or not township.startswith(unit.region.path):
                raise CaseError("invalid", _("A site forwards to its own township or street office; higher "
                                             "matters go through the district congress."))
        elif not HandlingUnit.objects.visible_to(user).filter(pk=unit.pk).exists():
            raise CaseError("invalid", _("Choose a handling unit of your area."))
        days = working_days or deadline_rule(op.category_id, op.urgency).handle_days
        if not 1 <= days <= 60:
            raise CaseError("invalid", _("The deadline must be between 1 and 60 working days."))
        op.unit = unit
        op.transferred_at = at
        op.acknowledged_at = None
        op.warned_at = None
        op.due_at = deadlines.add_working_days(at, days)
        return {"unit": unit.code, "working_days": days, "due": op.due_at.isoformat()}

    return _transition(opinion, "transfer", Actor.of(user), change, expected_version=expected_version,
                       public_note=public_note, internal_note=internal_note, now=now)


def acknowledge(opinion: Opinion | int, user: User, *, expected_version: int | None = None,
                now: datetime.datetime | None = None) -> Opinion:
    def change(op: Opinion, at: datetime.datetime) -> None:
        if op.acknowledged_at is not None:
            raise CaseError("wrong_state", _("Receipt was already acknowledged."))
        op.acknowledged_at = at

    return _transition(opinion, "acknowledge", Actor.of(user), change, expected_version=expected_version, now=now)


def reply(opinion: Opinion | int, user: User, *, text: str, internal_note: str = "",
          expected_version: int | None = None, now: datetime.datetime | None = None) -> Opinion:
    if not text.strip():
        raise CaseError("invalid", _("Write the reply to the citizen."))

    def change(op: Opinion, at: datetime.datetime) -> None:
        if op.acknowledged_at is None:
            op.acknowledged_at = at
        _set_replied(op, text, at)

    return _transition(opinion, "reply", Actor.of(user), change, expected_version=expected_version,
                       public_note=text.strip(), internal_note=internal_note, now=now)


def return_case(opinion: Opinion | int, user: User, *, reason: str, expected_version: int | None = None,
                now: datetime.datetime | None = None) -> Opinion:
    if not reason.strip():
        raise CaseError("invalid", _("Say why the matter is returned."))

    def change(op: Opinion, at: datetime.datetime) -> dict[str, Any]:
        returned_from = op.unit.code if op.unit else ""
        op.unit = None
        op.returned_count += 1
        op.acknowledged_at = None
        op.warned_at = None
        op.due_at = deadlines.add_working_days(at, deadline_rule(op.category_id, op.urgency).accept_days)
        return {"returned_from": returned_from}

    return _transition(opinion, "return_case", Actor.of(user), change, expected_version=expected_version,
                       internal_note=reason.strip(), now=now)


def request_extension(opinion: Opinion | int, user: User, *, working_days: int, reason: str,
                      expected_version: int | None = None, now: datetime.datetime | None = None) -> Opinion:
    if not reason.strip():
        raise CaseError("invalid", _("Give a reason for the extension."))
    if not 1 <= working_days <= 30:
        raise CaseError("invalid", _("An extension is between 1 and 30 working days."))

    def change(op: Opinion, at: datetime.datetime) -> dict[str, Any]:
        if op.extension_requests.filter(state=ExtensionRequest.State.PENDING).exists():
            raise CaseError("wrong_state", _("An extension request is already waiting for a decision."))
        assert op.unit is not None  # transferred cases always have a unit
        ExtensionRequest.objects.create(opinion=op, unit=op.unit, requested_by=user, working_days=working_days,
                                        reason=reason.strip(), created_at=at)
        return {"working_days": working_days}

    return _transition(opinion, "request_extension", Actor.of(user), change, expected_version=expected_version,
                       internal_note=reason.strip(), now=now)


def decide_extension(opinion: Opinion | int, user: User, *, approve: bool, note: str = "",
                     expected_version: int | None = None, now: datetime.datetime | None = None) -> Opinion:
    def change(op: Opinion, at: datetime.datetime) -> dict[str, Any]:
        request = op.extension_requests.filter(state=ExtensionRequest.State.PENDING).first()
        if request is None:
            raise CaseError("wrong_state", _("There is no extension request to decide."))
        request.state = ExtensionRequest.State.APPROVED if approve else ExtensionRequest.State.DENIED
        request.decided_by = user
        request.decided_at = at
        request.save()
        if approve:
            base = op.due_at if op.due_at and op.due_at > at else at
            op.due_at = deadlines.add_working_days(base, request.working_days)
            op.warned_at = None
        return {"approved": approve, "working_days": request.working_days}

    return _transition(opinion, "decide_extension", Actor.of(user), change, expected_version=expected_version,
                       internal_note=note, now=now)


def escalate(opinion: Opinion | int, user: User | None = None, *, note: str = "",
             expected_version: int | None = None, now: datetime.datetime | None = None) -> Opinion:
    """督办: flag an overdue (or stuck) case; the handling unit and the staff above are told."""
    actor = Actor.of(user) if user is not None else SYSTEM_ACTOR

    def change(op: Opinion, at: datetime.datetime) -> dict[str, Any]:
        op.escalated_at = at
        op.escalation_count += 1
        return {"count": op.escalation_count, "overdue": op.is_overdue(at)}

    return _transition(opinion, "escalate", actor, change, expected_version=expected_version, internal_note=note,
                       now=now)


def rate(opinion: Opinion | int, *, satisfaction: str, resolved: bool, comment: str = "",
         reopen_limit: int | None = None, now: datetime.datetime | None = None) -> Opinion:
    """The citizen's rating. Unsatisfied reopens a transferred case (back to the unit) while the limit allows."""
    if satisfaction not in Satisfaction.values:
        raise CaseError("invalid", _("Choose how satisfied you are."))
    if reopen_limit is None:
        reopen_limit = getattr(settings, "OPINION_REOPEN_LIMIT", DEFAULT_REOPEN_LIMIT)

    def change(op: Opinion, at: datetime.datetime) -> dict[str, Any]:
        op.satisfaction = satisfaction
        op.citizen_says_resolved = resolved
        op.rated_at = at
        reopen = (satisfaction == Satisfaction.UNSATISFIED and op.unit_id is not None
                  and op.reopen_count < reopen_limit)
        if reopen:
            op.status = Status.TRANSFERRED
            op.reopen_count += 1
            op.replied_at = None
            op.warned_at = None
            op.due_at = deadlines.add_working_days(at, deadline_rule(op.category_id, op.urgency).handle_days)
        else:
            _close(op, at, resolved)
        return {"satisfaction": satisfaction, "resolved": resolved, "reopened": reopen}

    return _transition(opinion, "rate", CITIZEN_ACTOR, change, public_note=comment.strip(), now=now)


def close_lapsed(opinion: Opinion | int, *, now: datetime.datetime | None = None) -> Opinion:
    """The rating window passed without a rating: close; resolved as the reply stands."""

    def change(op: Opinion, at: datetime.datetime) -> None:
        _close(op, at, True)

    return _transition(opinion, "close_lapsed", SYSTEM_ACTOR, change, now=now)


def _citizen_language(opinion: Opinion | int) -> str:
    if isinstance(opinion, Opinion):
        return opinion.language or "zh-hans"
    return Opinion.objects.filter(pk=opinion).values_list("language", flat=True).first() or "zh-hans"


def _close(op: Opinion, at: datetime.datetime, resolved: bool) -> None:
    op.status = Status.CLOSED
    op.outcome = Outcome.RESOLVED if resolved else Outcome.NOT_RESOLVED
    op.closed_at = at
    op.due_at = None

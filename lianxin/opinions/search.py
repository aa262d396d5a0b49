"""Chinese keyword search served by a bigram index (``OpinionGram``) on SQLite and PostgreSQL alike.

Trigram indexes (FTS5 trigram, pg_trgm) cannot serve the two-character keywords most Chinese
searches use (噪音, 路灯, 停车). Every opinion's title and text are cut into overlapping
two-character grams; a query's grams narrow the candidates through the (gram, opinion) index and a
substring match confirms them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Exists, F, OuterRef, Q, QuerySet

from .models import Opinion, OpinionGram

_SPLIT = re.compile(r"[\s\W_]+", re.UNICODE)


def grams(text: str) -> set[str]:
    found: set[str] = set()
    for chunk in _SPLIT.split(text.lower()):
        if len(chunk) == 1:
            found.add(chunk)
        for i in range(len(chunk) - 1):
            found.add(chunk[i : i + 2])
    return found


def index_opinion(opinion: Opinion, new: bool = False) -> None:
    """(Re)build the opinion's bigrams; ``new``: it was just created, there is nothing to delete."""
    if not new:
        OpinionGram.objects.filter(opinion=opinion).delete()
    OpinionGram.objects.bulk_create(
        [OpinionGram(gram=g, opinion=opinion, created_at=opinion.created_at)
         for g in grams(f"{opinion.title} {opinion.text}") if len(g) == 2]
    )


# A keyword whose rarest gram is in at most this many opinions is "selective": the list sorts its
# matches rather than walking the cases newest first until a page is full (see ``is_selective``).
RARE = 15_000


# A scope (the viewer's cases with the page's other filters) of at most this many cases, by the
# planner's estimate, is read whole: each case probes the keyword's grams, the matches are sorted.
SMALL_SCOPE = 4_000


# ``join_gram``'s annotations: the joined gram row's time (the list's sort key) and opinion.
JOINED_TIME = "sort_at"
JOINED_OPINION = "joined_opinion"


def join_gram(queryset: QuerySet[Opinion], gram: str) -> QuerySet[Opinion]:
    """``queryset`` joined to ``gram``'s rows (the keyword's other grams: ``filter_keyword(…, joined_gram=gram)``).

    One row per case with the gram; ``JOINED_TIME`` (the case's time, kept on the gram row) is the
    sort key its (gram, created_at, opinion) index reads newest first.
    """
    return queryset.filter(grams__gram=gram).annotate(**{
        JOINED_TIME: F("grams__created_at"), JOINED_OPINION: F("grams__opinion_id")})


def filter_keyword(queryset: QuerySet[Opinion], keyword: str, joined_gram: str | None = None,
                   probe: bool = False) -> QuerySet[Opinion]:
    """Opinions whose title or text contain every whitespace-separated word of ``keyword``.

    Each word's bigrams narrow the rows through the index (but ``joined_gram``, which the caller joins
    itself). A word that is one bigram (the common
    two-character keyword) needs nothing more: its gram is in the index exactly when the word is in
    the title or text. Longer words, and words the bigrams do not cover, are confirmed by substring.

    By default each gram is an ``IN`` list the database may read whole (the only way when nothing else
    narrows the rows). With ``probe`` (the scope drives the read), or ``joined_gram`` (``queryset``
    comes from ``join_gram``), each gram is one probe of the unique (gram, opinion) index per row
    instead: never a hash of a common gram's whole list (小区: 62,600 opinions at 100×).
    """
    words = [w for w in keyword.split() if w]
    for word in words:
        word_grams = sorted(g for g in grams(word) if len(g) == 2)
        for gram in word_grams:
            if gram == joined_gram:  # the caller joins this gram's rows itself (the list's ordered read)
                continue
            if joined_gram:
                # Tied to the joined gram row as well as to the case, the probe is a join filter: it
                # runs on the rows the join yields, whichever side drives (a probe tied to the case
                # alone runs on every case of the scope when the scope is hashed).
                queryset = queryset.filter(_Probe(OpinionGram.objects.filter(
                    gram=gram, opinion=OuterRef("pk"), opinion_id=OuterRef(JOINED_OPINION))))
            elif probe:
                queryset = queryset.filter(_Probe(OpinionGram.objects.filter(gram=gram, opinion=OuterRef("pk"))))
            else:
                queryset = queryset.filter(pk__in=OpinionGram.objects.filter(gram=gram).values("opinion_id"))
        if word_grams != [word.lower()]:
            queryset = queryset.filter(_contains(word))
    return queryset


class _Probe(Exists):
    """``EXISTS`` that PostgreSQL evaluates per row (an index probe), never as a (hashed) semi-join.

    ``OFFSET 0`` keeps the planner from pulling the subquery up into a join. As a join it is costed by
    the gram's share of all opinions, which knows nothing of grams that come together (every case
    with 停车 has 小区 too), and the plan that follows hashes the common gram's whole list. Other
    databases get the plain ``EXISTS``.
    """

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        probe = self.copy()
        probe.template = "EXISTS(%(subquery)s OFFSET 0)"
        return probe.as_sql(compiler, connection, **extra_context)


@dataclass(frozen=True)
class KeywordPlan:
    """How the list reads a keyword's matches (PostgreSQL; ``keyword_plan``).

    ``join``: newest first through ``gram``'s own (gram, created_at, opinion) index, joined to the
    scope, the other grams probed per row; ``sort``: every case of a small scope probes the grams, the
    matches are sorted; ``walk``: the plain filter (``IN`` lists, the planner's choice), the scope's
    cases newest first until a page is full, counted on its own.
    """

    how: str
    gram: str | None = None


def keyword_plan(keyword: str, scope: QuerySet[Opinion]) -> KeywordPlan | None:
    """The read for ``keyword`` within ``scope`` (the list's other filters applied), or None: the plain
    filter (SQLite, or no bigram in the keyword).

    One query when the rarest gram is in at most ``RARE`` opinions (``join``; it reads at most that
    many rows). For a more common word, one more: the planner's estimate of the scope's cases and the
    gram's rows (``EXPLAIN``). A small scope is read whole (``sort``). Otherwise the smaller of the
    two drives: the gram's rows (``join``, e.g. 小区 for a city or a district) or the scope walked
    newest first (``walk``, e.g. 希望, in over half the cases, for a district).
    """
    using = scope.db
    rarest = _rarest(keyword, using)
    if rarest is None:
        return None
    gram, count = rarest
    if count <= RARE:
        return KeywordPlan("join", gram)
    estimates = _estimates(scope, gram, using)
    if estimates is None:  # a plan of another shape than expected: the plain filter
        return KeywordPlan("walk")
    scope_rows, gram_rows = estimates
    if scope_rows <= SMALL_SCOPE:
        return KeywordPlan("sort")
    if gram_rows < 2 * scope_rows:
        return KeywordPlan("join", gram)
    return KeywordPlan("walk")


def _estimates(scope: QuerySet[Opinion], gram: str, using: str) -> tuple[float, float] | None:
    """The planner's row estimates for ``scope`` and for ``gram``'s index rows, from one ``EXPLAIN``."""
    try:
        scope_sql, scope_params = scope.order_by().values("pk").query.get_compiler(using).as_sql()
    except EmptyResultSet:  # nothing in scope (``none()``): nothing to read
        return 0.0, 0.0
    table = OpinionGram._meta.db_table
    with connections[using].cursor() as cursor:
        cursor.execute(
            f'EXPLAIN (FORMAT JSON) SELECT 1 FROM ({scope_sql}) AS s UNION ALL SELECT 1 FROM "{table}" WHERE "gram" = %s',  # noqa: S608
            [*scope_params, gram],
        )
        raw = cursor.fetchone()[0]
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    children = plan.get("Plans", []) if plan.get("Node Type") == "Append" else []
    if len(children) != 2:  # e.g. a scope the planner proved empty, left out of the Append
        return None
    return float(children[0]["Plan Rows"]), float(children[1]["Plan Rows"])


def is_selective(keyword: str, using: str) -> bool:
    """Whether ``keyword`` matches few enough opinions to sort them all (PostgreSQL; one query)."""
    return rarest_gram(keyword, using) is not None


def rarest_gram(keyword: str, using: str) -> str | None:
    """The rarest bigram of ``keyword`` if it is in at most ``RARE`` opinions (PostgreSQL; one query).

    Newest first, a list that reads the cases in time order and probes the bigram index for each is
    quick for a common word, but for a rare word whose cases are old (供暖 in summer) it reads tens of
    thousands of rows: its matches are better read from the gram's own index, newest first
    (``OpinionGram`` keeps the opinion's time). PostgreSQL cannot tell the two apart (it assumes
    matches spread evenly over time), so ``keyword_plan`` asks, counting each gram's opinions up to
    ``RARE + 1`` from the index alone.
    """
    rarest = _rarest(keyword, using)
    return rarest[0] if rarest and rarest[1] <= RARE else None


GRAM_COUNT_SECONDS = 600  # a gram's count (capped) is kept this long: it only steers the plan


def _rarest(keyword: str, using: str) -> tuple[str, int] | None:
    """``keyword``'s rarest bigram and its opinions counted up to ``RARE + 1`` (PostgreSQL).

    The counts are kept in the cache for ``GRAM_COUNT_SECONDS`` (a common gram takes milliseconds to
    count to ``RARE + 1``, on every search); a stale count only changes the plan, never the matches."""
    found = sorted({g for word in keyword.split() for g in grams(word) if len(g) == 2})
    if not found or connections[using].vendor != "postgresql":
        return None
    keys = {f"gram-count:{using}:{g.encode().hex()}": g for g in found}
    counts = {keys[key]: int(n) for key, n in cache.get_many(list(keys)).items()}
    missing = [g for g in found if g not in counts]
    if missing:
        table = OpinionGram._meta.db_table
        with connections[using].cursor() as cursor:
            cursor.execute(
                f'SELECT g, (SELECT count(*) FROM (SELECT 1 FROM "{table}" WHERE "gram" = g LIMIT %s) AS s) '  # noqa: S608
                "FROM unnest(%s::varchar[]) AS g",
                [RARE + 1, missing],
            )
            fresh = {str(g): int(n) for g, n in cursor.fetchall()}
        counts.update(fresh)
        cache.set_many({key: fresh[g] for key, g in keys.items() if g in fresh}, GRAM_COUNT_SECONDS)
    gram = min(found, key=lambda g: (counts[g], g))
    return gram, counts[gram]


def _contains(word: str) -> Q:
    """Substring match of title or text; case-insensitive only where case exists.

    A plain ``LIKE`` on the columns lets PostgreSQL estimate from their statistics; the ``UPPER()``
    of ``icontains`` has none, and its guess of a tiny share of rows turned list queries into
    nested loops over every bigram match.
    """
    if word.lower() == word.upper():  # Chinese characters, digits: no case to ignore
        return Q(title__contains=word) | Q(text__contains=word)
    return Q(title__icontains=word) | Q(text__icontains=word)

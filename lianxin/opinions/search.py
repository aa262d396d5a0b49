"""Chinese keyword search served by a bigram index (``OpinionGram``) on SQLite and PostgreSQL alike.

Trigram indexes (FTS5 trigram, pg_trgm) cannot serve the two-character keywords most Chinese
searches use (噪音, 路灯, 停车). Every opinion's title and text are cut into overlapping
two-character grams; a query's grams narrow the candidates through the (gram, opinion) index and a
substring match confirms them.
"""

from __future__ import annotations

import re

from django.db import connections
from django.db.models import Q, QuerySet

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


def filter_keyword(queryset: QuerySet[Opinion], keyword: str, joined_gram: str | None = None) -> QuerySet[Opinion]:
    """Opinions whose title or text contain every whitespace-separated word of ``keyword``.

    Each word's bigrams narrow the rows through the index (but ``joined_gram``, which the caller joins
    itself). A word that is one bigram (the common
    two-character keyword) needs nothing more: its gram is in the index exactly when the word is in
    the title or text. Longer words, and words the bigrams do not cover, are confirmed by substring.
    """
    words = [w for w in keyword.split() if w]
    for word in words:
        word_grams = sorted(g for g in grams(word) if len(g) == 2)
        for gram in word_grams:
            if gram == joined_gram:  # the caller joins this gram's rows itself (the list's ordered read)
                continue
            queryset = queryset.filter(pk__in=OpinionGram.objects.filter(gram=gram).values("opinion_id"))
        if word_grams != [word.lower()]:
            queryset = queryset.filter(_contains(word))
    return queryset


def is_selective(keyword: str, using: str) -> bool:
    """Whether ``keyword`` matches few enough opinions to sort them all (PostgreSQL; one query)."""
    return rarest_gram(keyword, using) is not None


def rarest_gram(keyword: str, using: str) -> str | None:
    """The rarest bigram of ``keyword`` if it is in at most ``RARE`` opinions (PostgreSQL; one query).

    Newest first, a list reads the cases in time order and probes the bigram index for each, until
    a page is full: quick for a common word, but a rare word whose cases are old (供暖 in summer)
    reads tens of thousands of rows. Its matches are better read from the gram's own index, newest
    first (``OpinionGram`` keeps the opinion's time). PostgreSQL cannot tell the two apart (it
    assumes matches spread evenly over time), so the list asks here, counting each gram's opinions
    up to ``RARE + 1`` from the index alone.
    """
    found = sorted({g for word in keyword.split() for g in grams(word) if len(g) == 2})
    if not found or connections[using].vendor != "postgresql":
        return None
    table = OpinionGram._meta.db_table
    with connections[using].cursor() as cursor:
        cursor.execute(
            f'SELECT g, (SELECT count(*) FROM (SELECT 1 FROM "{table}" WHERE "gram" = g LIMIT %s) AS s) AS n '  # noqa: S608
            "FROM unnest(%s::varchar[]) AS g ORDER BY n, g LIMIT 1",
            [RARE + 1, found],
        )
        gram, count = cursor.fetchone()
    return str(gram) if int(count) <= RARE else None


def _contains(word: str) -> Q:
    """Substring match of title or text; case-insensitive only where case exists.

    A plain ``LIKE`` on the columns lets PostgreSQL estimate from their statistics; the ``UPPER()``
    of ``icontains`` has none, and its guess of a tiny share of rows turned list queries into
    nested loops over every bigram match.
    """
    if word.lower() == word.upper():  # Chinese characters, digits: no case to ignore
        return Q(title__contains=word) | Q(text__contains=word)
    return Q(title__icontains=word) | Q(text__icontains=word)

"""Chinese keyword search served by a bigram index (``OpinionGram``) on SQLite and PostgreSQL alike.

Trigram indexes (FTS5 trigram, pg_trgm) cannot serve the two-character keywords most Chinese
searches use (噪音, 路灯, 停车). Every opinion's title and text are cut into overlapping
two-character grams; a query's grams narrow the candidates through the (gram, opinion) index and a
substring match confirms them.
"""

from __future__ import annotations

import re

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
        [OpinionGram(gram=g, opinion=opinion) for g in grams(f"{opinion.title} {opinion.text}") if len(g) == 2]
    )


def filter_keyword(queryset: QuerySet[Opinion], keyword: str) -> QuerySet[Opinion]:
    """Opinions whose title or text contain every whitespace-separated word of ``keyword``."""
    words = [w for w in keyword.split() if w]
    for word in words:
        word_grams = [g for g in grams(word) if len(g) == 2]
        for gram in word_grams:
            queryset = queryset.filter(pk__in=OpinionGram.objects.filter(gram=gram).values("opinion_id"))
        queryset = queryset.filter(Q(title__icontains=word) | Q(text__icontains=word))
    return queryset

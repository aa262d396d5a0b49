"""Similar open opinions of the same area: the duplicates a new opinion could be merged into.

"Similar" is keyword overlap through the bigram index (``OpinionGram``): the title's
two-character grams are looked up with the (gram, opinion) index and candidates sharing enough of
them are kept, newest first. "Same area" is the township/street the opinion arises in (or the
region itself when it lies above that level).
"""

from __future__ import annotations

from django.db.models import Count, QuerySet

from lianxin.accounts.models import User
from lianxin.regions.models import Region, subtree_q

from .models import Opinion, OpinionGram
from .search import grams

LIMIT = 10


def area_path(region: Region) -> str:
    """The path of the township/street containing ``region`` (``region`` itself above that level)."""
    codes = [code for code in region.path.strip("/").split("/") if code]
    below = max(region.level - Region.Level.TOWNSHIP, 0)
    kept = codes[: len(codes) - below] if below else codes
    return "/" + "/".join(kept) + "/"


def _threshold(count: int) -> int:
    # A short title shares one gram at least; longer ones two, so one common word (小区) is not enough.
    return 1 if count < 4 else 2


def similar_open(user: User, *, region: Region, title: str, text: str = "",
                 exclude: Opinion | None = None, limit: int = LIMIT) -> list[Opinion]:
    """Open, unmerged opinions visible to ``user`` in the area of ``region`` sharing keywords with ``title``."""
    query_grams = sorted(g for g in grams(f"{title} {text[:60]}") if len(g) == 2)
    if not query_grams:
        return []
    candidates: QuerySet[Opinion] = (
        Opinion.objects.visible_to(user).open().filter(merged_into__isnull=True)
        .filter(subtree_q("region_path", area_path(region)))
    )
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude.pk)
    overlapping = (
        OpinionGram.objects.filter(gram__in=query_grams, opinion__in=candidates.values("pk"))
        .values("opinion_id").annotate(shared=Count("id")).filter(shared__gte=_threshold(len(query_grams)))
        .values("opinion_id")
    )
    return list(
        Opinion.objects.filter(pk__in=overlapping).select_related("category", "station")
        .order_by("-created_at", "-id")[:limit]
    )


def by_tracking_code(user: User, code: str) -> Opinion | None:
    code = (code or "").strip().upper()
    if not code:
        return None
    return Opinion.objects.visible_to(user).filter(tracking_code=code).first()

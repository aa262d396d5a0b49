"""Reading the region tree: full names in bulk, the tree browser's children with counts, search."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import CharField, F, Func, IntegerField, Min, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Concat

from lianxin.accounts.scope import admin_region

from .models import PATH_END, Region

if TYPE_CHECKING:
    from lianxin.accounts.models import User

# Well under SQLite's and PostgreSQL's limits on bound parameters in one IN (...).
CHUNK = 500
SEARCH_LIMIT = 100


def path_codes(path: str) -> list[str]:
    return [code for code in path.strip("/").split("/") if code]


def full_names(paths: Iterable[str]) -> dict[str, str]:
    """Full names ("太原市 小店区 坞城街道") for many region paths with one query per 500 codes.

    Like ``Region.full_name()``, names start at city level; a list page calls this once for all
    its rows instead of once per row.
    """
    paths = {path for path in paths if path}
    codes = sorted({code for path in paths for code in path_codes(path)})
    names: dict[str, tuple[int, str]] = {}
    for start in range(0, len(codes), CHUNK):
        rows = Region.objects.filter(code__in=codes[start : start + CHUNK]).values_list("code", "level", "name")
        names.update({code: (level, name) for code, level, name in rows})
    result = {}
    for path in paths:
        parts = [names[code] for code in path_codes(path) if code in names]
        result[path] = " ".join(name for level, name in parts if level >= Region.Level.CITY) or (
            parts[-1][1] if parts else ""
        )
    return result


def deployment_roots() -> QuerySet[Region]:
    """The regions at the top of this deployment (e.g. the city of Taiyuan, or the provinces)."""
    top = Region.objects.aggregate(level=Min("level"))["level"]
    return Region.objects.filter(level=top) if top is not None else Region.objects.none()


def home_region(user: User) -> Region | None:
    """Where the tree browser opens: an admin's own area; None means the deployment's roots."""
    return admin_region(user)


def count_subquery(queryset: QuerySet, column: str, distinct: bool = False) -> Coalesce:
    """COUNT over a correlated subquery: one scalar per outer row, computed in the same query."""
    template = "COUNT(DISTINCT %(expressions)s)" if distinct else "COUNT(%(expressions)s)"
    counted = queryset.order_by().annotate(
        _n=Func(F(column), template=template, output_field=IntegerField())
    ).values("_n")
    return Coalesce(Subquery(counted[:1]), Value(0), output_field=IntegerField())


def with_counts(regions: QuerySet[Region], user: User) -> QuerySet[Region]:
    """Annotate each region with the sites and deputies in its subtree that ``user`` may see.

    Sites and deputies are counted with correlated subqueries on the materialised path range
    [path, path + "~"), served by the region_path indexes, so a page of any length costs one
    query. Deputies are counted distinct: one person at two sites of a subtree counts once.
    """
    from lianxin.deputies.models import Assignment
    from lianxin.stations.models import Station

    upper = Concat(OuterRef("path"), Value(PATH_END), output_field=CharField())
    sites = Station.objects.visible_to(user).filter(region_path__gte=OuterRef("path"), region_path__lt=upper)
    assignments = Assignment.objects.visible_to(user).current().filter(
        station__region_path__gte=OuterRef("path"), station__region_path__lt=upper
    )
    children = Region.objects.filter(parent=OuterRef("pk"))
    return regions.annotate(
        site_count=count_subquery(sites, "id"),
        deputy_count=count_subquery(assignments, "deputy_id", distinct=True),
        child_count=count_subquery(children, "id"),
    )


@dataclass
class Branch:
    """One level of the tree browser: where we are, how we got here, and what lies below."""

    current: Region | None
    breadcrumbs: list[Region]
    children: list[Region]


def branch(user: User, region: Region | None) -> Branch:
    """The children of ``region`` (or of the user's home) with counts, and its breadcrumbs."""
    home = home_region(user)
    if region is None:
        region = home
    if region is None:
        children = with_counts(deployment_roots(), user).order_by("path")
        return Branch(current=None, breadcrumbs=[], children=list(children))
    children = with_counts(Region.objects.filter(parent=region), user).order_by("path")
    current = with_counts(Region.objects.filter(pk=region.pk), user).get()
    trail = [r for r in region.ancestors() if home is None or r.is_within(home)]
    return Branch(current=current, breadcrumbs=trail, children=list(children))


def search(user: User, query: str, limit: int = SEARCH_LIMIT) -> list[Region]:
    """Regions within the user's area whose name or division code contains ``query``."""
    query = query.strip()
    if not query:
        return []
    found = list(
        Region.objects.visible_to(user).filter(Q(name__icontains=query) | Q(code__icontains=query))
        .order_by("path")[:limit]
    )
    names = full_names(region.path for region in found)
    for region in found:
        region.display_name = names.get(region.path, region.name)  # type: ignore[attr-defined]
    return found

"""Query parameters and look-ups shared by the API's routers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from django.db.models import TextChoices
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.errors import ValidationError

from lianxin.deputies.models import Level
from lianxin.regions.models import Region, RegionQuerySet
from lianxin.stations.models import Station
from lianxin.units.models import HandlingUnit

MAX_LIMIT = 200


def choice(choices: type[TextChoices]) -> Any:
    """A ``Literal`` of a TextChoices' values: OpenAPI lists them inline (several models have a
    ``Kind``, which as enums would collide in the schema) and a wrong value gets a 422."""
    return Literal[tuple(choices.values)]  # type: ignore[valid-type]


if TYPE_CHECKING:  # to the type checker these are plain strings
    SiteKind: TypeAlias = str
    SiteTier: TypeAlias = str
    SiteStatus: TypeAlias = str
    DeputyLevel: TypeAlias = str
    UnitKind: TypeAlias = str
else:
    SiteKind = choice(Station.Kind)
    SiteTier = choice(Station.Tier)
    SiteStatus = choice(Station.Status)
    DeputyLevel = choice(Level)
    UnitKind = choice(HandlingUnit.Kind)


class PageParams(Schema):
    cursor: str | None = Field(None, description="The `next_cursor` of the previous page; omit for the first page.")
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description=f"Rows per page, at most {MAX_LIMIT}.")


def error_body(code: str, message: str) -> dict[str, str]:
    """An error's JSON body. "detail" is the answer of the first API version; "code" and "message"
    that of every error now."""
    return {"code": code, "message": message, "detail": message}


def invalid_body(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """The 422 body of a request that did not parse, from pydantic's or ninja's error list."""
    shown = []
    for error in errors:
        error = {k: v for k, v in error.items() if k not in ("input", "url")}
        # Our own checks raise ValueError with a translated sentence: show it without pydantic's
        # "Value error, " prefix.
        if error.get("type") == "value_error" and isinstance(error.get("ctx", {}).get("error"), str):
            error["msg"] = error.pop("ctx")["error"]
        shown.append(error)
    return {**error_body("invalid", _("Some request parameters are invalid.")), "errors": shown}


def invalid(field: str, message: str) -> ValidationError:
    """A 422 for one query parameter, shaped like ninja's own validation errors."""
    return ValidationError([{"type": "value_error", "loc": ["query", field], "msg": message}])


def region_filter(regions: RegionQuerySet, code: str, field: str = "region") -> Region:
    """The region a ``?region=`` filter names, among those the caller may see; 422 if none.

    An out-of-scope code gets the same answer as an unknown one, so the filter cannot be used
    to probe which codes exist elsewhere.
    """
    region = regions.filter(code=code).first()
    if region is None:
        raise invalid(field, _("There is no region with the code “%(code)s”.") % {"code": code})
    return region


def page_response(page) -> dict:  # type: ignore[no-untyped-def]
    return {"items": page.rows, "next_cursor": page.next_cursor}

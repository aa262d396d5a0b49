"""The REST API (django-ninja), version 1.

OpenAPI 3 docs at /api/v1/docs (Swagger UI from ninja's bundled static files, no CDN: the
platform runs on closed networks) and the schema at /api/v1/openapi.json.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from lianxin.opinions.errors import CaseError

from . import activities, deputies, me, opinions, opinions_public, public, regions, stations, units
from .common import error_body, invalid_body

DESCRIPTION = """
Lianxin's registry of regions, liaison sites, deputies and handling units (read-only), and the
citizens' opinions: submitted, followed and rated by citizens, handled by staff.

**Public endpoints** (`/public/…`) need no account and return only what the public pages show.

**Staff endpoints** need either the session of a staff account logged in to the web console
(unsafe methods then also need the CSRF token) or an API token, sent as
`Authorization: Bearer lx_…`. Tokens are issued with `lianxin api_token <username> --name <client>`
and act with exactly their user's scope: an object outside it answers 404, as if it did not exist.

Lists are paginated by keyset: pass the response's `next_cursor` as `cursor` to get the next
page; `limit` is at most 200. Invalid parameters answer 422 with the reasons.
Deputies' phone numbers and citizens' names and phones are always masked.

**Errors** are JSON with a stable `code` and a `message` in the caller's language (the
`Accept-Language` header; Chinese by default): `unauthenticated` (401), `not_allowed` (403),
`not_found` (404), `wrong_state` and `conflict` (409: the case is not in a state that allows the
action, or changed since the `expected_version` you sent), `invalid` (422, with `errors` when the
request did not parse) and `rate_limited` (429).
"""

api = NinjaAPI(title="Lianxin API", version="1.0.0", description=DESCRIPTION, urls_namespace="api")

api.add_router("/public", public.router)
api.add_router("", me.router)
api.add_router("", regions.router)
api.add_router("", stations.router)
api.add_router("", deputies.router)
api.add_router("", units.router)
api.add_router("/public", opinions_public.router)
api.add_router("", opinions.router)
api.add_router("", activities.router)


@api.exception_handler(CaseError)
def case_refused(request: HttpRequest, exc: CaseError) -> HttpResponse:
    return api.create_response(request, opinions.error_body(exc), status=opinions.error_status(exc))


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, error_body("unauthenticated", _("Log in, or send an API token in the Authorization header.")), status=401
    )
    response["WWW-Authenticate"] = 'Bearer realm="lianxin"'
    return response


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, error_body("not_found", _("Not found.")), status=404)


@api.exception_handler(ValidationError)
def invalid_parameters(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, invalid_body(list(exc.errors)), status=422)

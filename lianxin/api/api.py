"""The REST API (django-ninja); OpenAPI 3 docs at /api/v1/docs, served from local static files."""

from ninja import NinjaAPI

api = NinjaAPI(title="Lianxin API", version="1.0.0", urls_namespace="api")

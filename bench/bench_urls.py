"""Lianxin's URLs plus ``/bench/insert``: the floor of bench/submit.py, a bare view inserting one row.

The floor goes through the same gunicorn, middleware stack and database connection handling as the
real endpoints; it parses nothing, validates nothing and inserts one row in autocommit mode into
``bench_submit_floor``, a table bench/submit.py creates and drops.

Lianxin's own patterns follow at the top level, as in ``lianxin.urls`` (the root URLconf in
production): included under ``""`` instead, every Lianxin route would be resolved one level deeper
here than in production, a cost the floor does not pay.
"""

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from lianxin import urls as lianxin_urls

FLOOR_TABLE = "bench_submit_floor"
FLOOR_INSERT = "INSERT INTO bench_submit_floor (key, created_at) VALUES (%s, now()) RETURNING id"


@csrf_exempt
@require_POST
def insert(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_INSERT, [request.headers.get("Idempotency-Key", "")])
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)


urlpatterns = [
    path("bench/insert", insert),
    *lianxin_urls.urlpatterns,
]

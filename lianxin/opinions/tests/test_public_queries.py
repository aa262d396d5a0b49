"""The citizen's case page costs a fixed number of queries, however long the history."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lianxin.opinions import services
from lianxin.opinions.models import Category


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()


def make_case(world, category, escalations):
    case, _ = services.submit_opinion(category=category, title="路灯", text="坏了", channel="portal",
                                      station=world.station_a, citizen_phone="13900001111")
    admin = world.users["district_admin"]
    services.accept(case, admin, public_note="已受理")
    services.transfer(case, admin, unit=world.unit_a, public_note="已转交")
    for n in range(escalations):
        services.escalate(case, admin, note=f"督办{n}")
    services.reply(case, world.users["unit_staff"], text="已修")
    return case


def count_queries(client, case):
    client.post("/o/track/", {"code": case.tracking_code, "digits": "1111"})
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/o/track/{case.tracking_code}/").status_code == 200
    return len(queries)


def test_case_page_query_count_is_small_and_constant(client, world, django_assert_max_num_queries):
    category = Category.objects.create(code="urban", name="城乡建设")
    short = make_case(world, category, 0)
    long = make_case(world, category, 12)
    assert count_queries(client, short) == count_queries(client, long)
    with django_assert_max_num_queries(6):
        client.get(f"/o/track/{long.tracking_code}/")

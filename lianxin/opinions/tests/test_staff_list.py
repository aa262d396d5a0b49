"""The staff case list: queues, filters, Chinese keyword search, keyset paging, scope and query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianxin.accounts.models import Role
from lianxin.opinions import services
from lianxin.opinions.models import Category, Opinion
from lianxin.opinions.tests import staff_helpers
from lianxin.opinions.tests.staff_helpers import NOW, submit

# shared fixtures
category, township_office = staff_helpers.category, staff_helpers.township_office
english, frozen = staff_helpers.english, staff_helpers.frozen

URL = reverse("opinions:list")
pytestmark = pytest.mark.usefixtures("frozen", "english")


def codes(response):
    return {op.tracking_code for op in response.context["page"].rows}


@pytest.fixture
def cases(world, category, township_office):
    """One case in each queue-relevant state, all at station_a (district A)."""
    admin, manager, unit = world.users[Role.DISTRICT_ADMIN], world.users[Role.SITE_MANAGER], world.users[Role.UNIT_STAFF]
    new = submit(category, world.station_a, title="夜间施工噪音", text="工地夜里施工")
    mine = submit(category, world.station_a, title="停车难", text="小区停车位不足")
    services.accept(mine, manager)
    old = submit(category, world.station_a, title="垃圾清运不及时", text="垃圾堆放多日",
                 now=NOW - datetime.timedelta(days=20))
    returned = submit(category, world.station_a, title="道路破损", text="坞城路坑洼")
    services.accept(returned, admin)
    services.transfer(returned, admin, unit=world.unit_a)
    services.return_case(returned, unit, reason="不属于本单位")
    unhappy = submit(category, world.station_a, title="供暖不热", text="暖气温度低")
    services.accept(unhappy, admin)
    services.transfer(unhappy, admin, unit=world.unit_a)
    services.reply(unhappy, unit, text="已调整")
    services.rate(unhappy, satisfaction="unsatisfied", resolved=False)
    return {name: Opinion.objects.get(pk=op.pk) for name, op in
            {"new": new, "mine": mine, "old": old, "returned": returned, "unhappy": unhappy}.items()}


def test_queues(world, cases, client_for):
    c = {name: op.tracking_code for name, op in cases.items()}
    manager = client_for(world.users[Role.SITE_MANAGER])
    assert codes(manager.get(URL, {"queue": "new"})) == {c["new"], c["old"]}
    assert codes(manager.get(URL, {"queue": "mine"})) == {c["mine"]}
    # the accept deadline (two working days) runs for new and returned cases
    assert codes(manager.get(URL, {"queue": "due_soon"})) == {c["new"], c["returned"]}
    assert codes(manager.get(URL, {"queue": "overdue"})) == {c["old"]}
    assert codes(manager.get(URL, {"queue": "returned"})) == {c["returned"]}
    assert codes(manager.get(URL, {"queue": "unsatisfied"})) == {c["unhappy"]}
    assert codes(manager.get(URL, {"queue": "all"})) == set(c.values())
    assert codes(manager.get(URL, {"queue": "nonsense"})) == set(c.values())
    # "mine" is the user's own: the district admin accepted none of these without a later hand-over
    admin_mine = codes(client_for(world.users[Role.DISTRICT_ADMIN]).get(URL, {"queue": "mine"}))
    assert c["mine"] not in admin_mine


def test_overdue_and_due_soon_are_highlighted(world, cases, client_for):
    html = client_for(world.users[Role.SITE_MANAGER]).get(URL).content.decode()
    assert 'data-deadline="overdue"' in html and 'data-deadline="due_soon"' in html


def test_scope_outsider_and_unit_see_only_their_own(world, cases, category, client_for):
    other = submit(category, world.station_b, title="柳巷积水", text="下雨积水")
    assert codes(client_for(world.outsider).get(URL)) == {other.tracking_code}
    assert other.tracking_code not in codes(client_for(world.users[Role.SITE_MANAGER]).get(URL))
    assert codes(client_for(world.users[Role.AUDITOR]).get(URL)) == set()
    # a unit sees what is or was with it (read-only here; its work is in the inbox)
    unit_codes = codes(client_for(world.users[Role.UNIT_STAFF]).get(URL))
    assert unit_codes == {cases["unhappy"].tracking_code, cases["returned"].tracking_code}


def test_filters(world, cases, category, township_office, client_for):
    env = Category.objects.create(code="env", name="环境保护")
    other = submit(env, world.station_b, title="柳巷积水", text="下雨积水", urgency="urgent", channel="phone",
                   deputy=world.deputy_b, now=NOW - datetime.timedelta(days=40))
    city = client_for(world.users[Role.CITY_ADMIN])
    c = {name: op.tracking_code for name, op in cases.items()}
    assert codes(city.get(URL, {"category": env.pk})) == {other.tracking_code}
    assert codes(city.get(URL, {"region": world.district_b.pk})) == {other.tracking_code}
    assert codes(city.get(URL, {"region": world.street_a.pk})) == set(c.values())
    assert codes(city.get(URL, {"site": world.station_b.pk})) == {other.tracking_code}
    assert codes(city.get(URL, {"deputy": world.deputy_b.pk})) == {other.tracking_code}
    assert codes(city.get(URL, {"urgency": "urgent"})) == {other.tracking_code}
    assert codes(city.get(URL, {"channel": "phone"})) == {other.tracking_code}
    assert codes(city.get(URL, {"status": "accepted"})) == {c["mine"], c["returned"]}
    assert codes(city.get(URL, {"unit": world.unit_a.pk})) == {c["unhappy"]}
    start = (NOW - datetime.timedelta(days=45)).date().isoformat()
    end = (NOW - datetime.timedelta(days=30)).date().isoformat()
    assert codes(city.get(URL, {"created_from": start, "created_to": end})) == {other.tracking_code}
    assert codes(city.get(URL, {"created_from": NOW.date().isoformat()})) == set(c.values()) - {c["old"]}
    # filters combine with queues; a region outside the user's area is ignored, not obeyed
    assert codes(city.get(URL, {"queue": "overdue", "category": category.pk})) == {c["old"]}
    outsider = client_for(world.outsider)
    assert codes(outsider.get(URL, {"region": world.district_a.pk})) == {other.tracking_code}


def test_keyword_search_with_two_character_chinese_words(world, cases, client_for):
    client = client_for(world.users[Role.SITE_MANAGER])
    assert codes(client.get(URL, {"q": "噪音"})) == {cases["new"].tracking_code}
    assert codes(client.get(URL, {"q": "停车"})) == {cases["mine"].tracking_code}
    assert codes(client.get(URL, {"q": "小区 停车"})) == {cases["mine"].tracking_code}
    assert codes(client.get(URL, {"q": "地铁"})) == set()


def test_keyset_pages_do_not_overlap_and_cover_everything(world, category, client_for, settings):
    settings.PAGE_SIZE = 2
    made = [submit(category, world.station_a, title=f"事项{i}", now=NOW - datetime.timedelta(hours=i)).tracking_code
            for i in range(5)]
    client = client_for(world.users[Role.SITE_MANAGER])
    seen, cursor = [], None
    for _page in range(3):
        response = client.get(URL, {"cursor": cursor} if cursor else {})
        seen += [op.tracking_code for op in response.context["page"].rows]
        cursor = response.context["page"].next_cursor
    assert seen == made  # newest first, no repeats
    assert cursor is None


def _queries(client, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, params or {})
    assert response.status_code == 200
    return len(ctx), len(response.context["page"].rows)


@pytest.mark.parametrize("role", [Role.CITY_ADMIN, Role.SITE_MANAGER])
def test_query_count_does_not_grow_with_rows(world, category, township_office, client_for, role):
    admin = world.users[Role.DISTRICT_ADMIN]
    client = client_for(world.users[role])

    def make(count):
        for i in range(count):
            op = submit(category, world.station_a, title=f"路灯{i}", deputy=world.deputy_a)
            services.accept(op, admin)
            services.transfer(op, admin, unit=world.unit_a)

    make(2)
    _queries(client)  # the filter bar's options are read once a minute per process (forms.FILTER_OPTIONS)
    _queries(client, {"q": "路灯", "queue": "due_soon"})  # and a keyword's gram counts every few minutes
    few, rows_few = _queries(client)
    few_q, _ = _queries(client, {"q": "路灯", "queue": "due_soon"})
    make(8)
    many, rows_many = _queries(client)
    many_q, _ = _queries(client, {"q": "路灯", "queue": "due_soon"})
    assert rows_many > rows_few
    assert many == few and many_q == few_q

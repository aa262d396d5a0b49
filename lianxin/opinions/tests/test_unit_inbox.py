"""The handling units' inbox: scoping, tabs and their counts, filters, export, query counts."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from lianxin.accounts.models import Role
from lianxin.opinions import services

from .unit_helpers import NOW, category, transferred  # noqa: F401

pytestmark = pytest.mark.django_db
URL = reverse("opinions:inbox")


@time_machine.travel(NOW, tick=False)
def test_inbox_lists_only_my_units_transferred_cases(world, category, client_for):  # noqa: F811
    mine = transferred(world, category, "小区路灯不亮")
    other = transferred(world, category, "柳巷噪音扰民", other_unit=True)
    response = client_for(world.users["unit_staff"]).get(URL)
    assert response.status_code == 200
    rows = [row.pk for row in response.context["page"].rows]
    assert rows == [mine.pk]
    assert other.title not in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_another_units_case_page_is_404(world, category, client_for):  # noqa: F811
    other = transferred(world, category, other_unit=True)
    client = client_for(world.users["unit_staff"])
    assert client.get(reverse("opinions:inbox_case", args=[other.pk])).status_code == 404
    assert client.post(reverse("opinions:inbox_acknowledge", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.acknowledged_at is None


@pytest.mark.parametrize("role", [Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.SITE_MANAGER, Role.DEPUTY, Role.AUDITOR])
def test_other_roles_get_403(world, client_for, role):
    assert client_for(world.users[role]).get(URL).status_code == 403


def test_superuser_without_a_unit_gets_403_and_anonymous_is_sent_to_log_in(world, client, client_for):
    assert client.get(URL).status_code == 302
    assert client_for(world.superuser).get(URL).status_code == 403


def test_tabs_sort_cases_and_count_them(world, category, client_for):  # noqa: F811
    unit_user = world.users["unit_staff"]
    with time_machine.travel(NOW - datetime.timedelta(days=30), tick=False):
        late = transferred(world, category, "逾期案件", days=5)
    with time_machine.travel(NOW, tick=False):
        fresh = transferred(world, category, "新交办案件", days=10)
        soon = transferred(world, category, "即将到期案件", days=1)
        services.acknowledge(soon, unit_user)
        done = transferred(world, category, "已答复案件")
        services.reply(done, unit_user, text="已处理。")
        reopened = transferred(world, category, "重新办理案件")
        services.reply(reopened, unit_user, text="第一次答复。")
        services.rate(reopened, satisfaction="unsatisfied", resolved=False)
        client = client_for(unit_user)

        def tab(name):
            response = client.get(URL, {"tab": name})
            return {row.pk for row in response.context["page"].rows}, response.context

        rows, context = tab("all")
        assert rows == {late.pk, fresh.pk, soon.pk, reopened.pk}
        counts = {name: count for name, _label, count in context["tabs"]}
        # a reopened case was acknowledged before: it is back in progress, not new
        assert counts == {"all": 4, "new": 2, "in_progress": 2, "due_soon": 1, "overdue": 1, "reopened": 1,
                          "replied": 2}
        assert tab("new")[0] == {late.pk, fresh.pk}
        assert tab("in_progress")[0] == {soon.pk, reopened.pk}
        assert tab("due_soon")[0] == {soon.pk}
        assert tab("overdue")[0] == {late.pk}
        assert tab("reopened")[0] == {reopened.pk}
        assert tab("replied")[0] == {done.pk, reopened.pk}
        # open tabs list the most urgent first
        assert [row.pk for row in client.get(URL).context["page"].rows][0] == late.pk


@time_machine.travel(NOW, tick=False)
def test_filters_keyword_category_and_date(world, category, client_for):  # noqa: F811
    from lianxin.opinions.models import Category

    lamp = transferred(world, category, "小区路灯不亮")
    other_category = Category.objects.create(code="env", name="环境保护")
    noise = transferred(world, category, "夜间施工噪音")
    noise.category = other_category
    noise.save()
    client = client_for(world.users["unit_staff"])

    def rows(**params):
        return {row.pk for row in client.get(URL, params).context["page"].rows}

    assert rows(q="路灯") == {lamp.pk}
    assert rows(q="噪音") == {noise.pk}
    assert rows(category=other_category.pk) == {noise.pk}
    assert rows(date_from="2027-03-01", date_to="2027-03-01") == {lamp.pk, noise.pk}
    assert rows(date_from="2027-03-02") == set()
    assert client.get(URL, {"q": "路灯"}).context["total"] == 1


@time_machine.travel(NOW, tick=False)
def test_export_is_the_filtered_list_without_phones(world, category, client_for):  # noqa: F811
    import io

    from openpyxl import load_workbook

    transferred(world, category, "小区路灯不亮", phone="13900001111")
    transferred(world, category, "夜间施工噪音")
    transferred(world, category, "别的单位", other_unit=True)
    response = client_for(world.users["unit_staff"]).get(URL, {"export": "xlsx", "q": "路灯"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert len(values) == 2 and values[1][1] == "小区路灯不亮"
    assert "13900001111" not in str(values)


@time_machine.travel(NOW, tick=False)
def test_keyset_pages_do_not_repeat_or_skip(world, category, client_for, settings):  # noqa: F811
    settings.PAGE_SIZE = 2
    created = {transferred(world, category, f"案件{i}", days=i + 1).pk for i in range(5)}
    client = client_for(world.users["unit_staff"])
    seen, cursor = [], None
    while True:
        response = client.get(URL, {"cursor": cursor} if cursor else {})
        seen += [row.pk for row in response.context["page"].rows]
        cursor = response.context["page"].next_cursor
        if not cursor:
            break
    assert sorted(seen) == sorted(created) and len(seen) == 5


def test_inbox_query_count_does_not_grow_with_rows(world, category, client_for, django_assert_max_num_queries):  # noqa: F811
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    unit_user = world.users["unit_staff"]

    def queries(tab):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, {"tab": tab}).status_code == 200
        return len(captured)

    with time_machine.travel(NOW, tick=False):
        client = client_for(unit_user)  # log in at the frozen time, or the session has expired
        first = transferred(world, category, "案件一")
        services.reply(first, unit_user, text="答复")
        transferred(world, category, "案件二")
        few = {tab: queries(tab) for tab in ("all", "replied", "overdue")}
        for i in range(8):
            op = transferred(world, category, f"更多案件{i}")
            if i % 2:
                services.reply(op, unit_user, text="答复")
        many = {tab: queries(tab) for tab in ("all", "replied", "overdue")}
    assert few == many
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(12):
        client.get(URL)

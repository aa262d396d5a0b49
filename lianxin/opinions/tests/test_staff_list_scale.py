"""The staff list at scale: a bounded count, a typed deputy filter, plainly rendered choices, lean rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianxin.accounts.models import Role
from lianxin.deputies.models import Assignment, Deputy
from lianxin.opinions import views
from lianxin.opinions.forms import OpinionFilterForm, PlainSelect
from lianxin.opinions.tests import staff_helpers
from lianxin.opinions.tests.staff_helpers import submit

category, english, frozen = staff_helpers.category, staff_helpers.english, staff_helpers.frozen

URL = reverse("opinions:list")
pytestmark = pytest.mark.usefixtures("frozen", "english")


def codes(response):
    return {op.tracking_code for op in response.context["page"].rows}


def test_the_count_stops_at_the_limit_and_says_more_than(world, category, client_for, monkeypatch):
    monkeypatch.setattr(views, "COUNT_LIMIT", 3)
    client = client_for(world.users[Role.SITE_MANAGER])
    for i in range(3):
        submit(category, world.station_a, title=f"路灯{i}")
    response = client.get(URL)
    assert (response.context["total"], response.context["more_than"]) == (3, False)
    assert "3 records" in response.content.decode()
    submit(category, world.station_a, title="路灯3")
    response = client.get(URL)
    assert (response.context["total"], response.context["more_than"]) == (3, True)
    assert "More than 3 records" in response.content.decode()
    # a filter counts its own matches
    response = client.get(URL, {"q": "路灯3"})
    assert (response.context["total"], response.context["more_than"]) == (1, False)


def test_bounded_count_is_one_limited_query(world, category):
    from lianxin.opinions.models import Opinion

    for i in range(5):
        submit(category, world.station_a, title=f"事项{i}")
    with CaptureQueriesContext(connection) as captured:
        assert views.bounded_count(Opinion.objects.all(), 2) == 3
        assert views.bounded_count(Opinion.objects.all(), 10) == 5
    assert len(captured) == 2 and "LIMIT 3" in captured[0]["sql"]


def test_deputy_filter_takes_a_name_a_part_of_it_or_an_id(world, category, client_for):
    at_a = submit(category, world.station_a, title="路灯不亮", deputy=world.deputy_a)
    at_b = submit(category, world.station_b, title="积水", deputy=world.deputy_b)
    submit(category, world.station_b, title="无代表")
    city = client_for(world.users[Role.CITY_ADMIN])
    assert codes(city.get(URL, {"deputy": world.deputy_b.name})) == {at_b.tracking_code}
    assert codes(city.get(URL, {"deputy": world.deputy_a.name[:2]})) == {at_a.tracking_code}
    assert codes(city.get(URL, {"deputy": str(world.deputy_a.pk)})) == {at_a.tracking_code}
    assert codes(city.get(URL, {"deputy": "没有这个人"})) == set()
    # a deputy outside the user's area matches nothing rather than being obeyed
    manager = client_for(world.users[Role.SITE_MANAGER])
    assert codes(manager.get(URL, {"deputy": world.deputy_b.name})) == set()
    assert codes(manager.get(URL, {"deputy": world.deputy_a.name})) == {at_a.tracking_code}


def test_the_filter_bar_does_not_load_deputies(world, category, client_for):
    """Thousands of deputies in a city: the bar is a text box, whatever their number."""
    client = client_for(world.users[Role.CITY_ADMIN])

    def page():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(URL)
        return len(captured), response.content.decode()

    page()  # the filter bar's options are read once a minute per process (forms.FILTER_OPTIONS)
    few, _html = page()
    for i in range(30):
        deputy = Deputy.objects.create(name=f"新代表{i}", gender="f")
        Assignment.objects.create(deputy=deputy, station=world.station_a, started_on="2024-01-01")
    many, html = page()
    assert many == few
    assert "新代表" not in html and 'name="deputy"' in html


def test_plain_select_marks_the_choice_and_escapes_labels(world):
    form = OpinionFilterForm({"site": str(world.station_b.pk)}, user=world.users[Role.CITY_ADMIN])
    html = str(form["site"])
    assert f'<option value="{world.station_b.pk}" selected>{world.station_b.name}</option>' in html
    assert f'<option value="{world.station_a.pk}">' in html
    assert 'name="site"' in html and 'class="form-select"' in html
    widget = PlainSelect(choices=[("", "全部"), ("1", "<b>&</b>")])
    assert '<option value="1">&lt;b&gt;&amp;&lt;/b&gt;</option>' in widget.render("x", None)
    assert '<option value="" selected>' in widget.render("x", None)


def test_rows_of_the_page_leave_the_long_and_encrypted_columns_unread(world, category, client_for):
    submit(category, world.station_a, title="路灯", text="很长的内容" * 100)
    response = client_for(world.users[Role.SITE_MANAGER]).get(URL)
    row = response.context["page"].rows[0]
    assert {"text", "reply", "citizen_name", "citizen_phone"} <= row.get_deferred_fields()


def test_selective_keywords_page_the_same_way(world, category, client_for, settings, monkeypatch):
    """A keyword with few matches is read newest first from its rarest gram's index: same order, same
    cursors, no overlap."""
    import datetime

    from lianxin.opinions import search
    from lianxin.opinions.tests.staff_helpers import NOW

    settings.PAGE_SIZE = 2
    made = [submit(category, world.station_a, title=f"路灯{i}", now=NOW - datetime.timedelta(hours=i)).tracking_code
            for i in range(5)]
    submit(category, world.station_a, title="别的事", text="垃圾清运")
    client = client_for(world.users[Role.SITE_MANAGER])

    def walk():
        seen, cursor = [], None
        for _page in range(3):
            response = client.get(URL, {"q": "路灯", **({"cursor": cursor} if cursor else {})})
            seen += [op.tracking_code for op in response.context["page"].rows]
            cursor = response.context["page"].next_cursor
        return seen, cursor

    assert walk() == (made, None)
    monkeypatch.setattr(search, "keyword_plan", lambda keyword, scope: search.KeywordPlan("join", "路灯"))
    assert walk() == (made, None)
    # the first page counts what it sorted: no count query of its own, the same totals
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, {"q": "路灯"})
    assert (response.context["total"], response.context["more_than"]) == (5, False)
    assert not any("COUNT(" in query["sql"] for query in captured.captured_queries)
    monkeypatch.setattr(views, "COUNT_LIMIT", 3)
    response = client.get(URL, {"q": "路灯"})
    assert (response.context["total"], response.context["more_than"]) == (3, True)
    assert [op.tracking_code for op in response.context["page"].rows] == made[:2]
    assert client.get(URL, {"q": "路灯", "cursor": response.context["page"].next_cursor}).context["total"] == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan choice is made on PostgreSQL only")
def test_is_selective_counts_the_rarest_gram(world, category, monkeypatch):
    from lianxin.opinions import search

    for i in range(3):
        submit(category, world.station_a, title=f"路灯坏了{i}", text="小区里")
    submit(category, world.station_a, title="噪音", text="小区里")
    monkeypatch.setattr(search, "RARE", 2)
    assert search.is_selective("噪音", "default")  # one opinion
    assert not search.is_selective("路灯", "default")  # three
    assert search.is_selective("小区 噪音", "default")  # the rarest decides
    assert search.is_selective("地铁", "default")  # none at all
    assert not search.is_selective("a", "default")  # no gram: nothing to count


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan choice is made on PostgreSQL only")
def test_the_keyword_plan_weighs_the_rarest_gram_and_the_scope(world, category, monkeypatch):
    from lianxin.opinions import search
    from lianxin.opinions.models import Opinion

    for i in range(3):
        submit(category, world.station_a, title=f"路灯坏了{i}", text="小区里")
    scope = Opinion.objects.filter(station=world.station_a)
    assert search.keyword_plan("路灯 坏了", scope) == search.KeywordPlan("join", "坏了")  # rare: the rarest, joined
    assert search.keyword_plan("a", scope) is None  # no bigram
    monkeypatch.setattr(search, "RARE", 2)
    assert search.keyword_plan("小区", scope) == search.KeywordPlan("sort")  # common, in a small scope
    assert search.keyword_plan("小区", Opinion.objects.none()) == search.KeywordPlan("sort")  # nothing in scope
    monkeypatch.setattr(search, "SMALL_SCOPE", -1)
    assert search.keyword_plan("小区", scope).how in {"join", "walk"}


# a case's text, and whether it is at the site manager's site (station_a)
TEXTS = [("小区停车难", "晚上车位不够", True), ("小区路灯", "路灯坏了", True), ("停车收费", "乱收费", True),
         ("小区 停车", "两个词", True), ("噪音", "小区里停车场的噪音", True), ("别的事", "垃圾清运", True),
         ("小区停车", "外区", False), ("ROAD lamp", "Broken LAMP", True), ("区停", "反着写", True)]
KEYWORDS = ["小区", "停车", "小区 停车", "停车 小区", "路灯 坏了", "区停", "lamp", "小区停车", "地铁", "停"]


def _plans():
    from lianxin.opinions import search

    return [None, search.KeywordPlan("sort"), search.KeywordPlan("walk"), "join"]


@pytest.mark.parametrize("plan", _plans(), ids=["plain", "sort", "walk", "join"])
def test_every_keyword_plan_finds_what_a_substring_filter_finds(world, category, client_for, settings, monkeypatch,
                                                                plan):
    """Each read of a keyword (plain filter, small scope sorted, scope walked, joined through each of
    its grams) lists exactly the cases in scope whose title or text hold every word, newest first,
    on every page, and counts them."""
    import datetime

    from lianxin.opinions import search
    from lianxin.opinions.tests.staff_helpers import NOW

    made = [submit(category, world.station_a if mine else world.station_b, title=title, text=text,
                   now=NOW - datetime.timedelta(hours=i)) for i, (title, text, mine) in enumerate(TEXTS)]
    settings.PAGE_SIZE = 2
    client = client_for(world.users[Role.SITE_MANAGER])

    def expected(keyword):
        words = keyword.lower().split()
        return [op.tracking_code for op, (_t, _x, mine) in zip(made, TEXTS, strict=True)
                if mine and all(w in f"{op.title} {op.text}".lower() for w in words)]

    def walk(keyword):
        seen, cursor, total = [], None, None
        for _page in range(8):
            response = client.get(URL, {"q": keyword, **({"cursor": cursor} if cursor else {})})
            total = response.context["total"] if total is None else total
            seen += [op.tracking_code for op in response.context["page"].rows]
            cursor = response.context["page"].next_cursor
            if not cursor:
                break
        return seen, total

    for keyword in KEYWORDS:
        want = expected(keyword)
        if plan == "join":
            word_grams = sorted({g for w in keyword.split() for g in search.grams(w) if len(g) == 2})
            choices = [search.KeywordPlan("join", g) for g in word_grams]
        else:
            choices = [plan] if plan is not None or keyword.strip() else []
        for choice in choices:
            monkeypatch.setattr(search, "keyword_plan", lambda keyword, scope, choice=choice: choice)
            assert walk(keyword) == (want, len(want)), (keyword, choice)


def test_the_filter_options_follow_a_new_site_at_once_and_respect_scope(world, client_for):
    """Options are kept per query (the viewer's scope is in it) and emptied when a site is saved."""
    from lianxin.stations.models import Station

    city = OpinionFilterForm({}, user=world.users[Role.CITY_ADMIN])
    district = OpinionFilterForm({}, user=world.users[Role.DISTRICT_ADMIN])
    assert world.station_b.name in str(city["site"])
    assert world.station_b.name not in str(district["site"])  # district A's admin: not B's site
    assert world.station_b.name in str(OpinionFilterForm({}, user=world.users[Role.CITY_ADMIN])["site"])
    world.station_b.name = "改名后的联络站"
    world.station_b.save()
    assert "改名后的联络站" in str(OpinionFilterForm({}, user=world.users[Role.CITY_ADMIN])["site"])
    assert Station.objects.filter(name="改名后的联络站").exists()


def test_the_rarest_gram_read_finds_the_same_cases_as_the_plain_filter(world, category, client_for, monkeypatch):
    """Joined through its rarest gram, a two-word keyword still needs both words, in scope, newest first."""
    import datetime

    from lianxin.opinions import search
    from lianxin.opinions.tests.staff_helpers import NOW

    both = [submit(category, world.station_a, title=f"路灯坏了{i}", text="请尽快修理",
                   now=NOW - datetime.timedelta(hours=i)).tracking_code for i in range(3)]
    submit(category, world.station_a, title="路灯很亮", text="晚上刺眼")  # one word only
    submit(category, world.station_a, title="门坏了", text="单元门")  # the other word only
    submit(category, world.station_b, title="路灯坏了 外区", text="请修理")  # another site
    client = client_for(world.users[Role.SITE_MANAGER])

    def codes():
        return [op.tracking_code for op in client.get(URL, {"q": "路灯 坏了"}).context["page"].rows]

    plain = codes()
    monkeypatch.setattr(search, "keyword_plan", lambda keyword, scope: search.KeywordPlan("join", "路灯"))
    assert plain == codes() == both
    monkeypatch.setattr(search, "keyword_plan", lambda keyword, scope: search.KeywordPlan("join", "坏了"))
    assert codes() == both


def test_rows_show_badges_and_deadlines_as_markup_not_text(world, category, client_for):
    """The rows are built in Python: badges and deadline marks must come out as HTML, titles escaped."""
    from django.utils import timezone

    from lianxin.opinions.models import Opinion

    urgent = submit(category, world.station_a, title="<b>路灯</b>")
    Opinion.objects.filter(pk=urgent.pk).update(urgency="urgent", escalated_at=timezone.now(),
                                                 due_at=timezone.now() - timezone.timedelta(days=1))
    plain = submit(category, world.station_a, title="门禁坏了")
    Opinion.objects.filter(pk=plain.pk).update(escalated_at=timezone.now())
    html = client_for(world.users[Role.CITY_ADMIN]).get(URL).content.decode()
    escalated = html.count('<span class="badge text-bg-warning">Escalated</span>') + html.count(
        '<span class="badge text-bg-warning">已督办</span>')
    assert escalated == 2  # with and without urgency
    assert '<span class="badge text-bg-danger">' in html and 'data-deadline="overdue"' in html
    assert "&lt;span" not in html and "&lt;b&gt;路灯&lt;/b&gt;" in html


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the gram counts steer PostgreSQL's plans only")
def test_gram_counts_are_read_once_then_kept(world, category):
    from lianxin.opinions.search import _rarest

    for i in range(3):
        submit(category, world.station_a, title=f"路灯坏了{i}", text="小区路灯")
    with CaptureQueriesContext(connection) as first:
        assert _rarest("路灯 小区", "default") == ("小区", 3)
    with CaptureQueriesContext(connection) as again:
        assert _rarest("路灯 小区", "default") == ("小区", 3)
    assert len(first) == 1 and len(again) == 0

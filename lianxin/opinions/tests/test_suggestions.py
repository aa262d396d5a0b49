"""Deputy suggestions (代表建议): conversion from opinions, due date, events, scoping, answer and close."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from lianxin.accounts.models import AuditEntry, Role
from lianxin.opinions import services, suggestions
from lianxin.opinions.errors import CaseError
from lianxin.opinions.models import Opinion, OpinionEvent, Status, Suggestion

from .unit_helpers import NOW, category, transferred  # noqa: F401

pytestmark = pytest.mark.django_db
CREATE = reverse("opinions:suggestion_create")
LIST = reverse("opinions:suggestions")


def submitted(world, category, title, station=None):  # noqa: F811
    opinion, _ = services.submit_opinion(category=category, title=title, text=f"{title}的详细情况",
                                         channel="portal", station=station or world.station_a)
    return opinion


@time_machine.travel(NOW, tick=False)
def test_admin_converts_opinions_links_them_writes_events_and_sets_the_due_date(world, category, client_for):  # noqa: F811
    a = submitted(world, category, "停车难")
    b = transferred(world, category, "小区停车位不足")
    version_b = b.version
    client = client_for(world.users["district_admin"])
    form = client.get(CREATE, {"opinions": [a.pk, b.pk]})
    assert set(form.context["form"]["cases"].value().split()) == {a.tracking_code, b.tracking_code}
    response = client.post(CREATE, {
        "cases": f"{a.tracking_code}, {b.tracking_code}", "title": "关于缓解老旧小区停车难的建议",
        "text": "建议统筹规划停车位。", "deputy": world.deputy_a.pk, "unit": world.unit_a.pk,
    })
    suggestion = Suggestion.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("opinions:suggestion_detail",
                                                                            args=[suggestion.pk])
    assert suggestion.due_on == datetime.date(2027, 6, 1)  # the same day three months later
    assert suggestion.deputy == world.deputy_a and suggestion.unit == world.unit_a
    assert suggestion.region == world.street_a and suggestion.state == Suggestion.State.FILED
    assert set(Opinion.objects.filter(suggestion=suggestion).values_list("pk", flat=True)) == {a.pk, b.pk}
    for opinion in (a, b):
        event = OpinionEvent.objects.get(opinion=opinion, action="to_suggestion")
        assert event.from_status == event.to_status == opinion.status
        assert event.data == {"suggestion": suggestion.pk} and event.actor == world.users["district_admin"]
    b.refresh_from_db()
    assert b.status == Status.TRANSFERRED and b.version == version_b  # no state change
    assert AuditEntry.objects.filter(action="suggestion.create", target_id=str(suggestion.pk)).exists()


def test_due_date_is_three_calendar_months_later():
    assert suggestions.due_date(datetime.date(2027, 11, 30)) == datetime.date(2028, 2, 29)
    assert suggestions.due_date(datetime.date(2027, 3, 1)) == datetime.date(2027, 6, 1)


@time_machine.travel(NOW, tick=False)
def test_a_deputy_files_as_itself(world, category, client_for):  # noqa: F811
    a = submitted(world, category, "路灯不亮")
    client = client_for(world.users["deputy"])
    response = client.post(CREATE, {"cases": a.tracking_code, "title": "路灯", "text": "建议",
                                    "deputy": world.deputy_b.pk})  # ignored: the field is fixed
    assert response.status_code == 302
    assert Suggestion.objects.get().deputy == world.deputy_a


@time_machine.travel(NOW, tick=False)
def test_bad_input_changes_nothing(world, category, client_for):  # noqa: F811
    mine = submitted(world, category, "路灯不亮")
    foreign = submitted(world, category, "柳巷噪音", station=world.station_b)
    admin = world.users["district_admin"]
    closed = transferred(world, category, "已办结")
    services.reply(closed, world.users["unit_staff"], text="已处理")
    services.rate(closed, satisfaction="satisfied", resolved=True)
    client = client_for(admin)
    base = {"title": "建议", "text": "内容", "deputy": world.deputy_a.pk}
    for cases in ("", foreign.tracking_code, closed.tracking_code, "NOSUCHCODE"):
        response = client.post(CREATE, {**base, "cases": cases})
        assert response.status_code == 200 and response.context["form"].errors
    response = client.post(CREATE, {**base, "cases": mine.tracking_code, "deputy": world.deputy_b.pk})
    assert response.status_code == 200 and "deputy" in response.context["form"].errors  # not of the area
    assert Suggestion.objects.count() == 0
    assert not OpinionEvent.objects.filter(action="to_suggestion").exists()
    assert not Opinion.objects.filter(suggestion__isnull=False).exists()


@time_machine.travel(NOW, tick=False)
def test_an_opinion_is_converted_only_once(world, category):  # noqa: F811
    a = submitted(world, category, "路灯不亮")
    admin = world.users["district_admin"]
    suggestions.file_suggestion(admin, opinions=[a], title="t", text="x", deputy=world.deputy_a)
    with pytest.raises(CaseError):
        suggestions.file_suggestion(admin, opinions=[a], title="t2", text="x", deputy=world.deputy_a)
    assert Suggestion.objects.count() == 1


@pytest.mark.parametrize("role", [Role.SITE_MANAGER, Role.UNIT_STAFF, Role.AUDITOR])
def test_other_roles_may_not_file(world, client_for, role):
    assert client_for(world.users[role]).get(CREATE).status_code == 403


@time_machine.travel(NOW, tick=False)
def test_scoping_admins_by_area_deputies_their_own_units_those_assigned(world, category, client_for):  # noqa: F811
    a = submitted(world, category, "路灯不亮")
    b = submitted(world, category, "柳巷噪音", station=world.station_b)
    mine = suggestions.file_suggestion(world.users["district_admin"], opinions=[a], title="甲", text="x",
                                       deputy=world.deputy_a, unit=world.unit_a)
    theirs = suggestions.file_suggestion(world.outsider, opinions=[b], title="乙", text="x", deputy=world.deputy_b)

    def listed(user):
        return {s.pk for s in suggestions.suggestions_visible_to(user)}

    assert listed(world.users["district_admin"]) == {mine.pk}
    assert listed(world.users["city_admin"]) == {mine.pk, theirs.pk}
    assert listed(world.outsider) == {theirs.pk}
    assert listed(world.users["deputy"]) == {mine.pk}
    assert listed(world.users["unit_staff"]) == {mine.pk}
    assert listed(world.users["site_manager"]) == set()
    client = client_for(world.users["district_admin"])
    assert {s.pk for s in client.get(LIST).context["page"].rows} == {mine.pk}
    assert client.get(reverse("opinions:suggestion_detail", args=[theirs.pk])).status_code == 404
    assert client_for(world.users["site_manager"]).get(LIST).status_code == 403


@time_machine.travel(NOW, tick=False)
def test_list_filters_state_deputy_and_overdue(world, category, client_for):  # noqa: F811
    admin = world.users["city_admin"]
    with time_machine.travel(NOW - datetime.timedelta(days=120), tick=False):
        old = suggestions.file_suggestion(admin, opinions=[submitted(world, category, "旧")], title="旧建议",
                                          text="x", deputy=world.deputy_a)
    new = suggestions.file_suggestion(admin, opinions=[submitted(world, category, "新")], title="新建议", text="x",
                                      deputy=world.deputy_b)
    client = client_for(admin)

    def rows(**params):
        return {s.pk for s in client.get(LIST, params).context["page"].rows}

    assert rows() == {old.pk, new.pk}
    assert rows(overdue="on") == {old.pk}
    assert rows(deputy=world.deputy_b.pk) == {new.pk}
    suggestions.record_answer(admin, new, answer="已采纳")
    assert rows(state="answered") == {new.pk}
    assert client.get(LIST, {"export": "xlsx"}).status_code == 200


@time_machine.travel(NOW, tick=False)
def test_unit_records_the_answer_and_admin_closes(world, category, client_for):  # noqa: F811
    a = submitted(world, category, "路灯不亮")
    suggestion = suggestions.file_suggestion(world.users["district_admin"], opinions=[a], title="甲", text="x",
                                             deputy=world.deputy_a, unit=world.unit_a)
    unit_client = client_for(world.users["unit_staff"])
    detail = reverse("opinions:suggestion_detail", args=[suggestion.pk])
    assert unit_client.get(detail).context["can_answer"]
    response = unit_client.post(reverse("opinions:suggestion_answer", args=[suggestion.pk]), {"answer": ""})
    assert response.status_code == 200 and response.context["answer_form"].errors
    suggestion.refresh_from_db()
    assert suggestion.state == Suggestion.State.FILED
    unit_client.post(reverse("opinions:suggestion_answer", args=[suggestion.pk]), {"answer": "已纳入年度计划"})
    suggestion.refresh_from_db()
    assert suggestion.state == Suggestion.State.ANSWERED and suggestion.answer == "已纳入年度计划"
    # the unit may not close; the admin may
    unit_client.post(reverse("opinions:suggestion_close", args=[suggestion.pk]))
    suggestion.refresh_from_db()
    assert suggestion.state == Suggestion.State.ANSWERED
    admin_client = client_for(world.users["district_admin"])
    admin_client.post(reverse("opinions:suggestion_close", args=[suggestion.pk]))
    suggestion.refresh_from_db()
    assert suggestion.state == Suggestion.State.CLOSED
    assert AuditEntry.objects.filter(action__in=["suggestion.answer", "suggestion.close"]).count() == 2
    page = admin_client.get(detail)
    assert [op.pk for op in page.context["opinions"]] == [a.pk]


def test_taking_up_in_a_suggestion_is_a_row_of_the_table():
    from lianxin.opinions.models import OPEN_STATUSES
    from lianxin.opinions.transitions import EVENTS, TRANSITIONS, allowed

    row = EVENTS[suggestions.EVENT_ACTION]
    assert row.target is None and suggestions.EVENT_ACTION not in TRANSITIONS
    assert row.sources == frozenset(OPEN_STATUSES)
    assert row.actors == {Role.DISTRICT_ADMIN, Role.CITY_ADMIN, Role.DEPUTY}
    assert allowed(suggestions.EVENT_ACTION, Status.REPLIED, Role.DEPUTY)
    assert not allowed(suggestions.EVENT_ACTION, Status.CLOSED, Role.CITY_ADMIN)
    assert not allowed(suggestions.EVENT_ACTION, Status.ACCEPTED, Role.SITE_MANAGER)


@time_machine.travel(NOW, tick=False)
def test_a_closed_opinion_cannot_be_taken_up(world, category):  # noqa: F811
    opinion = submitted(world, category, "路灯不亮")
    admin = world.users["district_admin"]
    services.reject(opinion, admin, reason="other")
    with pytest.raises(CaseError):
        suggestions.file_suggestion(admin, opinions=[opinion], title="t", text="x", deputy=world.deputy_a)
    assert not Suggestion.objects.exists()
    assert not OpinionEvent.objects.filter(action=suggestions.EVENT_ACTION).exists()

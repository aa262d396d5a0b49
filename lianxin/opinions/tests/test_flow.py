"""The main path of a case, end to end through the services."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from lianxin.opinions import services
from lianxin.opinions.errors import CaseError
from lianxin.opinions.models import Category, Notification, Opinion, OpinionEvent, Outcome, Status
from lianxin.units.models import HandlingUnit

NOW = timezone.make_aware(datetime.datetime(2027, 3, 1, 10, 0))


@pytest.fixture
def category(db):
    return Category.objects.create(code="urban", name="城乡建设", name_en="Urban construction")


@pytest.fixture
def township_office(world):
    return HandlingUnit.objects.create(code="U-140105001", name="坞城街道办事处", region=world.street_a,
                                       kind=HandlingUnit.Kind.TOWNSHIP, contact_name="办", contact_phone="0351-1111111")


@time_machine.travel(NOW, tick=False)
def test_submit_accept_transfer_reply_rate_closes_resolved(world, category, django_capture_on_commit_callbacks):
    opinion, created = services.submit_opinion(
        category=category, title="小区路灯不亮", text="坞城社区3号楼前路灯坏了一个月", channel="site_qr",
        station=world.station_a, citizen_name="王小二", citizen_phone="13900001111", idempotency_key="k1",
    )
    assert created and opinion.status == Status.SUBMITTED
    assert opinion.due_at.date() == datetime.date(2027, 3, 3)  # two working days
    again, created = services.submit_opinion(
        category=category, title="小区路灯不亮", text="x", channel="site_qr", station=world.station_a,
        idempotency_key="k1",
    )
    assert not created and again.pk == opinion.pk and Opinion.objects.count() == 1

    manager = world.users["site_manager"]
    services.accept(opinion, manager)
    with pytest.raises(CaseError) as refused:
        services.transfer(opinion, manager, unit=world.unit_a)  # a district department: not from a site
    assert refused.value.code == "invalid"
    district_admin = world.users["district_admin"]
    with django_capture_on_commit_callbacks(execute=True):
        services.transfer(opinion, district_admin, unit=world.unit_a, working_days=5)
    unit_user = world.users["unit_staff"]
    assert Notification.objects.filter(user=unit_user, opinion=opinion).exists()
    services.reply(opinion, unit_user, text="已更换路灯。")
    closed = services.rate(opinion, satisfaction="satisfied", resolved=True)
    assert closed.status == Status.CLOSED and closed.outcome == Outcome.RESOLVED
    actions = list(OpinionEvent.objects.filter(opinion=opinion).values_list("action", flat=True))
    assert actions == ["submit", "accept", "transfer", "reply", "rate"]


@time_machine.travel(NOW, tick=False)
def test_outsider_and_wrong_state_are_refused_and_change_nothing(world, category):
    opinion, _ = services.submit_opinion(category=category, title="噪音扰民", text="夜间施工噪音",
                                         channel="portal", station=world.station_a)
    with pytest.raises(CaseError) as refused:
        services.accept(opinion, world.outsider)
    assert refused.value.code == "not_found"
    with pytest.raises(CaseError) as refused:
        services.reply(opinion, world.users["unit_staff"], text="x")
    assert refused.value.code in {"not_found", "wrong_state"}
    opinion.refresh_from_db()
    assert opinion.status == Status.SUBMITTED and opinion.version == 0
    assert OpinionEvent.objects.filter(opinion=opinion).count() == 1


@time_machine.travel(NOW, tick=False)
def test_unsatisfied_rating_reopens_once_then_closes_not_resolved(world, category):
    opinion, _ = services.submit_opinion(category=category, title="停车难", text="小区停车位不足",
                                         channel="portal", station=world.station_a)
    admin = world.users["district_admin"]
    services.accept(opinion, admin)
    services.transfer(opinion, admin, unit=world.unit_a)
    services.reply(opinion, world.users["unit_staff"], text="正在规划。")
    reopened = services.rate(opinion, satisfaction="unsatisfied", resolved=False)
    assert reopened.status == Status.TRANSFERRED and reopened.reopen_count == 1
    services.reply(opinion, world.users["unit_staff"], text="已新增车位。")
    closed = services.rate(opinion, satisfaction="unsatisfied", resolved=False)
    assert closed.status == Status.CLOSED and closed.outcome == Outcome.NOT_RESOLVED


@time_machine.travel(NOW, tick=False)
def test_citizen_data_is_encrypted_in_the_database(world, category):
    from django.db import connection

    opinion, _ = services.submit_opinion(category=category, title="t", text="x", channel="portal",
                                         station=world.station_a, citizen_name="王小二", citizen_phone="13900001111")
    with connection.cursor() as cursor:
        cursor.execute("SELECT citizen_name, citizen_phone FROM opinions_opinion WHERE id = %s", [opinion.pk])
        name, phone = cursor.fetchone()
    assert "王小二" not in name and "13900001111" not in phone
    assert Opinion.objects.get(pk=opinion.pk).citizen_phone == "13900001111"


def test_deadline_skips_spring_festival_and_counts_the_make_up_day():
    from lianxin.opinions.deadlines import add_working_days

    # 2027: Spring Festival holiday 5–11 Feb? The holiday package knows; a deadline set on the
    # Thursday before it lands after the break.
    start = timezone.make_aware(datetime.datetime(2027, 2, 4, 9, 0))
    due = add_working_days(start, 1)
    assert due.date() > datetime.date(2027, 2, 10)

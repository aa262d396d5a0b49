"""A citizen books a reception slot on a phone from the site's page; the deputy on duty sees the booking."""

import datetime

import pytest

from lianxin.activities import reception
from lianxin.activities.models import Appointment, ReceptionSchedule
from lianxin.core import clock
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



def test_citizen_books_and_deputy_on_duty_sees_it(browser, live_server, phone, world, screenshot_dir):
    schedule = ReceptionSchedule.objects.create(
        station=world.station_a, frequency=ReceptionSchedule.Frequency.WEEKLY, weekday=2,
        start_time=datetime.time(9, 0), end_time=datetime.time(11, 0), slot_capacity=2,
        valid_from=clock.today(),
    )
    manager = world.users["site_manager"]
    today = clock.today()
    made = reception.generate_days(manager, schedule, today + datetime.timedelta(days=1),
                                   today + datetime.timedelta(days=21))
    day = made.created[0]
    if day.status == "planned":
        reception.publish_by_hand(manager, day)

    phone.set_default_timeout(30_000)  # a busy test machine
    # 1. On the site's public page the citizen sees the reception day with the deputy on duty and books.
    phone.goto(f"/s/{world.station_a.code}/")
    section = phone.locator("#lx-reception").locator("xpath=..")
    assert world.deputy_a.name in section.inner_text()
    section.locator(f"a[href='/r/day/{day.pk}/']").click()
    phone.wait_for_url(f"**/r/day/{day.pk}/")
    phone.locator("input[name=slot]").first.check()
    phone.locator("input[name=name]").fill("王小二")
    phone.locator("input[name=phone]").fill("13900001111")
    phone.locator("textarea[name=topic]").fill("小区停车位不足")
    phone.locator("input[name=consent]").check()
    if screenshot_dir:
        phone.screenshot(path=f"{screenshot_dir}/reception-book-phone.png", full_page=True)
    phone.locator("#lx-booking-form button[type=submit]").click()
    phone.wait_for_url("**/r/booked/")
    appointment = Appointment.objects.get()
    assert appointment.code in phone.locator(".lx-booking-code").inner_text()
    assert appointment.slot.activity_id == day.pk and appointment.citizen_phone == "13900001111"
    # the page fits the phone: nothing wider than the viewport
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    # 2. The deputy on duty logs in and sees the booking among their reception days, masked.
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", base_url=live_server.url)
    desk = context.new_page()
    desk.set_default_timeout(20_000)
    log_in(desk, "deputy")
    desk.goto("/staff/reception/mine/")
    text = desk.locator("main").inner_text()
    assert "139****1111" in text and "小区停车位不足" in text and "13900001111" not in text
    if screenshot_dir:
        desk.screenshot(path=f"{screenshot_dir}/reception-mine-deputy.png", full_page=True)
    context.close()


def test_site_manager_sets_up_a_schedule_and_turns_a_booking_into_an_opinion(browser, live_server, world,
                                                                             screenshot_dir):
    from lianxin.opinions.models import Category, Opinion

    Category.objects.create(code="urban", name="城乡建设", name_en="Urban construction")
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", base_url=live_server.url)
    desk = context.new_page()
    desk.set_default_timeout(20_000)
    log_in(desk, "manager")
    desk.goto(f"/staff/reception/schedules/new/?site={world.station_a.pk}")
    desk.locator("select[name=frequency]").select_option("weekly")
    desk.locator("select[name=weekday]").select_option("3")
    desk.locator("input[name=start_time]").fill("09:00")
    desk.locator("input[name=end_time]").fill("11:00")
    with desk.expect_navigation():
        desk.locator("main form button.btn-primary").click()
    schedule = ReceptionSchedule.objects.get()
    assert schedule.weekday == 3 and schedule.frequency == "weekly"
    with desk.expect_navigation():
        desk.locator(f"form[action='/staff/reception/schedules/{schedule.pk}/generate/'] button").click()
    if screenshot_dir:
        desk.screenshot(path=f"{screenshot_dir}/reception-schedule.png", full_page=True)
    day = schedule.activities.order_by("starts_at").first()
    assert day is not None
    if day.status == "planned":
        reception.publish_by_hand(world.users["site_manager"], day)
    appointment, _created = reception.book(day.slots.order_by("starts_at").first().pk, name="李四",
                                           phone="13700002222", topic="楼道堆放杂物")
    desk.goto("/staff/reception/door/")
    desk.locator("input[name=code]").fill(appointment.code)
    with desk.expect_navigation():
        desk.locator("main form[method=get] button").click()
    assert "137****2222" in desk.locator("main").inner_text()
    desk.locator("select[name=category]").select_option(label="城乡建设")
    if screenshot_dir:
        desk.screenshot(path=f"{screenshot_dir}/reception-door.png", full_page=True)
    with desk.expect_navigation():
        desk.locator(f"form[action='/staff/reception/door/{appointment.pk}/arrived/'] button").click()
    opinion = Opinion.objects.get()
    assert desk.url.endswith(f"/staff/opinions/{opinion.pk}/")
    assert opinion.channel == "walk_in" and opinion.deputy_id == world.deputy_a.pk
    appointment.refresh_from_db()
    assert appointment.status == "arrived" and appointment.opinion_id == opinion.pk
    context.close()

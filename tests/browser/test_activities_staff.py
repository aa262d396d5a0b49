"""A site manager plans an activity, publishes it and closes it as held with minutes and attendance;
the list and the calendar then show it held. Closing without minutes shows the error and changes nothing."""

import datetime

import pytest
from django.utils import timezone

from lianxin.activities.models import Activity, Attendance
from lianxin.core import clock
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



def test_site_manager_plans_publishes_and_closes_an_activity(desktop, world, screenshot_dir):
    page = desktop
    page.set_default_timeout(30_000)  # a busy test machine
    # yesterday morning: in the past whatever the hour, and arrival/departure on the same day
    day = timezone.localtime(clock.now()).date() - datetime.timedelta(days=1)
    log_in(page, "manager")

    # 1. Plan: from the list, "new activity", at the manager's only site.
    page.goto(f"/staff/activities/new/?station={world.station_a.pk}")
    form = page.locator("[data-testid=activity-form]")
    form.locator("select[name=kind]").select_option("reception")
    form.locator("input[name=title]").fill("代表进站接待选民")
    form.locator("input[name=starts_at]").fill(f"{day:%Y-%m-%d}T09:00")
    form.locator("input[name=ends_at]").fill(f"{day:%Y-%m-%d}T11:00")
    form.get_by_label(world.deputy_a.name).check()
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    activity = Activity.objects.get(title="代表进站接待选民")
    assert activity.status == Activity.Status.PLANNED
    assert page.url.endswith(f"/staff/activities/{activity.pk}/")

    # 2. Publish.
    with page.expect_navigation():
        page.locator(f"form[action='/staff/activities/{activity.pk}/publish/'] button").click()
    activity.refresh_from_db()
    assert activity.status == Activity.Status.PUBLISHED

    # 3. Close as held without minutes: the error, and nothing changed.
    page.locator(f"a[href='/staff/activities/{activity.pk}/hold/']").click()
    page.wait_for_url(f"**/staff/activities/{activity.pk}/hold/")
    hold = page.locator("[data-testid=hold-form]")
    hold.locator(f"input[name=arrived_{world.deputy_a.pk}]").fill("09:05")
    with page.expect_navigation():
        hold.locator("button[type=submit]").click()
    assert "请先填写活动纪要" in page.locator("[data-testid=hold-form]").inner_text()
    activity.refresh_from_db()
    assert activity.status == Activity.Status.PUBLISHED and activity.minutes == ""
    assert Attendance.objects.get(activity=activity, deputy=world.deputy_a).attended is None
    if screenshot_dir:
        page.screenshot(path=f"{screenshot_dir}/activity-hold-error.png", full_page=True)

    # 4. Close as held with minutes and attendance (arrival and departure).
    hold = page.locator("[data-testid=hold-form]")
    hold.locator("textarea[name=minutes]").fill("接待群众6人，收集意见4条。")
    hold.locator("input[name=citizens_received]").fill("6")
    assert hold.locator(f"input[name=came_{world.deputy_a.pk}]").is_checked()
    hold.locator(f"input[name=arrived_{world.deputy_a.pk}]").fill("09:05")
    hold.locator(f"input[name=left_{world.deputy_a.pk}]").fill("10:55")
    with page.expect_navigation():
        hold.locator("button[type=submit]").click()
    assert page.url.endswith(f"/staff/activities/{activity.pk}/")
    activity.refresh_from_db()
    assert activity.status == Activity.Status.HELD and activity.citizens_received == 6
    row = Attendance.objects.get(activity=activity, deputy=world.deputy_a)
    assert row.attended and timezone.localtime(row.arrived_at).strftime("%H:%M") == "09:05"
    assert timezone.localtime(row.left_at).strftime("%H:%M") == "10:55"
    assert "接待群众6人" in page.locator("[data-testid=minutes]").inner_text()
    attendance = page.locator(f"[data-testid=attendance] tr[data-deputy='{world.deputy_a.pk}']").inner_text()
    assert "09:05" in attendance and "10:55" in attendance
    if screenshot_dir:
        page.screenshot(path=f"{screenshot_dir}/activity-held.png", full_page=True)

    # 5. The list and the calendar show it held.
    page.goto("/staff/activities/?status=held")
    listed = page.locator("[data-testid=activity-table] tbody tr", has_text="代表进站接待选民")
    assert listed.count() == 1 and "已开展" in listed.inner_text()
    page.goto(f"/staff/activities/calendar/?month={day:%Y-%m}")
    cell = page.locator(f"[data-testid=calendar] td[data-day='{day:%Y-%m-%d}']")
    link = cell.locator(f"a[href='/staff/activities/{activity.pk}/']")
    assert link.count() == 1
    assert cell.locator(f"[data-status=held] a[href='/staff/activities/{activity.pk}/']").count() == 1
    assert "text-decoration-line-through" not in (link.get_attribute("class") or "")

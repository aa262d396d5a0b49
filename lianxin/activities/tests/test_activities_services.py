"""The activity steps: plan, edit, publish, hold, cancel, files — each bad input changes nothing."""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from lianxin.accounts.models import AuditEntry, Role
from lianxin.activities import services
from lianxin.activities.models import Activity, ActivityFile, Attendance, Kind
from lianxin.deputies.models import Assignment, Deputy

pytestmark = pytest.mark.usefixtures("english")  # these tests read English messages

NOW = datetime.datetime(2026, 5, 12, 10, 0, tzinfo=datetime.UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"x" * 64


def at(hours: float) -> datetime.datetime:
    return NOW + datetime.timedelta(hours=hours)


def counts() -> tuple[int, ...]:
    return (Activity.objects.count(), Attendance.objects.count(), ActivityFile.objects.count(),
            AuditEntry.objects.count())


def snapshot(activity: Activity) -> dict:
    return {k: v for k, v in Activity.objects.filter(pk=activity.pk).values()[0].items()}


@pytest.fixture
def second_deputy(world):
    deputy = Deputy.objects.create(name="王建国", gender="m", phone="13700000000", occupation="工程师",
                                   home_region=world.street_a)
    Assignment.objects.create(deputy=deputy, station=world.station_a, started_on=datetime.date(2024, 1, 1))
    return deputy


@pytest.fixture
def planned(world, second_deputy):
    with time_machine.travel(NOW, tick=False):
        return services.create_activity(
            world.users[Role.SITE_MANAGER], station=world.station_a, kind=Kind.RECEPTION, title="接待选民",
            starts_at=at(-2), ends_at=at(-1), deputies=[world.deputy_a, second_deputy])


def test_create_records_expected_deputies_and_audit(world, planned, second_deputy):
    assert planned.status == Activity.Status.PLANNED
    assert set(planned.attendances.values_list("deputy_id", flat=True)) == {world.deputy_a.pk, second_deputy.pk}
    assert planned.place == world.station_a.address
    assert AuditEntry.objects.filter(action="activity.create", target_id=str(planned.pk)).exists()


@pytest.mark.parametrize("role", [Role.DEPUTY, Role.UNIT_STAFF, Role.AUDITOR])
def test_only_organisers_create(world, role):
    before = counts()
    with pytest.raises(services.ActivityError) as error:
        services.create_activity(world.users[role], station=world.station_a, kind=Kind.TRAINING, title="培训",
                                 starts_at=at(1), ends_at=at(2))
    assert error.value.code == "not_allowed"
    assert counts() == before


def test_another_districts_site_is_refused(world):
    before = counts()
    with pytest.raises(services.ActivityError):
        services.create_activity(world.users[Role.DISTRICT_ADMIN], station=world.station_b, kind=Kind.TRAINING,
                                 title="培训", starts_at=at(1), ends_at=at(2))
    assert counts() == before


def test_end_before_start_is_refused(world):
    before = counts()
    with pytest.raises(services.ActivityError, match="end after"):
        services.create_activity(world.users[Role.SITE_MANAGER], station=world.station_a, kind=Kind.TRAINING,
                                 title="培训", starts_at=at(2), ends_at=at(1))
    assert counts() == before


def test_update_changes_fields_and_deputies(world, planned, second_deputy):
    services.update_activity(world.users[Role.SITE_MANAGER], planned, kind=Kind.PUBLICITY, title="宣传活动",
                             starts_at=at(-3), ends_at=at(-1), place="会议室", deputies=[second_deputy])
    planned.refresh_from_db()
    assert (planned.kind, planned.title, planned.place) == (Kind.PUBLICITY, "宣传活动", "会议室")
    assert list(planned.attendances.values_list("deputy_id", flat=True)) == [second_deputy.pk]
    entry = AuditEntry.objects.get(action="activity.update")
    assert entry.data["deputies"] == {"added": [], "removed": [world.deputy_a.pk]}


def test_update_refuses_deputy_outside_the_group(world, planned):
    before, state = counts(), snapshot(planned)
    with pytest.raises(services.ActivityError, match="group"):
        services.update_activity(world.users[Role.SITE_MANAGER], planned, kind=Kind.RECEPTION, title="x",
                                 starts_at=at(-2), ends_at=at(-1), deputies=[world.deputy_b])
    assert counts() == before and snapshot(planned) == state


def test_update_refuses_end_before_start(world, planned):
    state = snapshot(planned)
    with pytest.raises(services.ActivityError):
        services.update_activity(world.users[Role.SITE_MANAGER], planned, kind=Kind.RECEPTION, title="x",
                                 starts_at=at(-1), ends_at=at(-2))
    assert snapshot(planned) == state


def test_publish_then_not_twice(world, planned):
    services.publish(world.users[Role.SITE_MANAGER], planned)
    planned.refresh_from_db()
    assert planned.status == Activity.Status.PUBLISHED and planned.published_at
    before = counts()
    with pytest.raises(services.ActivityError) as error:
        services.publish(world.users[Role.SITE_MANAGER], planned)
    assert error.value.code == "wrong_state" and counts() == before


def test_outsider_cannot_touch(world, planned):
    state, before = snapshot(planned), counts()
    for step in (lambda u: services.publish(u, planned), lambda u: services.cancel(u, planned, reason="x")):
        with pytest.raises(services.ActivityError) as error:
            step(world.outsider)
        assert error.value.code == "not_found"
    assert snapshot(planned) == state and counts() == before


def presence(world, second, **extra):
    return [services.Presence(world.deputy_a.pk, True, at(-2), at(-1)),
            services.Presence(second.pk, True, at(-2), at(-1.5), "提前离开"), *extra.get("more", [])]


def test_hold_records_attendance_and_left_early(world, planned, second_deputy):
    services.hold(world.users[Role.SITE_MANAGER], planned, minutes="接待群众5人。", citizens_received=5,
                  attendance=presence(world, second_deputy))
    planned.refresh_from_db()
    assert planned.status == Activity.Status.HELD and planned.citizens_received == 5
    rows = {a.deputy_id: a for a in planned.attendances.all()}
    assert rows[world.deputy_a.pk].minutes_present == 60
    assert not services.left_early(rows[world.deputy_a.pk], planned)
    assert services.left_early(rows[second_deputy.pk], planned)
    assert rows[second_deputy.pk].minutes_present == 30


def test_hold_adds_unannounced_deputy(world, planned, second_deputy):
    planned.attendances.filter(deputy=second_deputy).delete()
    services.hold(world.users[Role.SITE_MANAGER], planned, minutes="纪要", citizens_received=0,
                  attendance=[services.Presence(world.deputy_a.pk, False),
                              services.Presence(second_deputy.pk, True, at(-2), at(-1))])
    row = Attendance.objects.get(activity=planned, deputy=second_deputy)
    assert row.expected is False and row.attended is True


@pytest.mark.parametrize("kwargs, message", [
    ({"minutes": "  "}, "minutes"),
    ({"attendance": []}, "attendance"),
    ({"citizens_received": -1}, "negative"),
])
def test_hold_bad_input_changes_nothing(world, planned, second_deputy, kwargs, message):
    args = {"minutes": "纪要", "citizens_received": 1, "attendance": presence(world, second_deputy), **kwargs}
    state, before = snapshot(planned), counts()
    with pytest.raises(services.ActivityError, match=message):
        services.hold(world.users[Role.SITE_MANAGER], planned, **args)
    assert snapshot(planned) == state and counts() == before
    assert set(planned.attendances.values_list("attended", flat=True)) == {None}


def test_hold_unknown_deputy_changes_nothing(world, planned, second_deputy):
    state, before = snapshot(planned), counts()
    with pytest.raises(services.ActivityError, match="Unknown deputy"):
        services.hold(world.users[Role.SITE_MANAGER], planned, minutes="纪要", citizens_received=0,
                      attendance=presence(world, second_deputy, more=[services.Presence(999999, True)]))
    assert snapshot(planned) == state and counts() == before


def test_hold_left_before_arriving_changes_nothing(world, planned, second_deputy):
    state = snapshot(planned)
    with pytest.raises(services.ActivityError, match="leave before"):
        services.hold(world.users[Role.SITE_MANAGER], planned, minutes="纪要", citizens_received=0,
                      attendance=[services.Presence(world.deputy_a.pk, True, at(-1), at(-2))])
    assert snapshot(planned) == state


def test_hold_in_the_future_is_refused(world, second_deputy):
    activity = services.create_activity(world.users[Role.SITE_MANAGER], station=world.station_a,
                                        kind=Kind.TRAINING, title="培训", starts_at=timezone.now() + datetime.timedelta(days=1),
                                        ends_at=timezone.now() + datetime.timedelta(days=1, hours=1))
    with pytest.raises(services.ActivityError, match="after it has started"):
        services.hold(world.users[Role.SITE_MANAGER], activity, minutes="纪要", citizens_received=0,
                      attendance=[services.Presence(world.deputy_a.pk, True)])
    assert Activity.objects.get(pk=activity.pk).status == Activity.Status.PLANNED


def test_cancel_with_reason_then_closed(world, planned):
    before = counts()
    with pytest.raises(services.ActivityError, match="reason"):
        services.cancel(world.users[Role.DISTRICT_ADMIN], planned, reason=" ")
    assert counts() == before
    services.cancel(world.users[Role.DISTRICT_ADMIN], planned, reason="暴雨")
    planned.refresh_from_db()
    assert planned.status == Activity.Status.CANCELLED and planned.cancel_reason == "暴雨"
    with pytest.raises(services.ActivityError) as error:
        services.hold(world.users[Role.DISTRICT_ADMIN], planned, minutes="x", citizens_received=0,
                      attendance=[services.Presence(world.deputy_a.pk, True)])
    assert error.value.code == "wrong_state"
    with pytest.raises(services.ActivityError):
        services.update_activity(world.users[Role.DISTRICT_ADMIN], planned, kind=Kind.OTHER, title="x",
                                 starts_at=at(-2), ends_at=at(-1))


def test_files_checked_by_magic_bytes(world, planned):
    user = world.users[Role.SITE_MANAGER]
    photo = services.add_file(user, planned, SimpleUploadedFile("现场.jpg", PNG, "image/jpeg"))
    assert photo.is_photo and photo.content_type == "image/png" and photo.name == "现场.jpg"
    assert "现场" not in photo.file.name
    doc = services.add_file(user, planned, SimpleUploadedFile("签到表.pdf", PDF, "application/pdf"))
    assert not doc.is_photo and doc.content_type == "application/pdf"
    before = counts()
    for bad in (SimpleUploadedFile("x.jpg", b"MZ\x90\x00" * 10, "image/jpeg"),
                SimpleUploadedFile("a.zip", b"PK\x03\x04" + b"\x00" * 20, "application/zip"),
                SimpleUploadedFile("e.pdf", b"", "application/pdf")):
        with pytest.raises(services.ActivityError):
            services.add_file(user, planned, bad)
    assert counts() == before


def test_file_too_large(world, planned, settings):
    settings.ACTIVITY_FILE_MAX_BYTES = 32
    before = counts()
    with pytest.raises(services.ActivityError, match="larger"):
        services.add_file(world.users[Role.SITE_MANAGER], planned, SimpleUploadedFile("a.pdf", PDF))
    assert counts() == before


def test_remove_file(world, planned):
    user = world.users[Role.SITE_MANAGER]
    doc = services.add_file(user, planned, SimpleUploadedFile("a.pdf", io.BytesIO(PDF).read()))
    services.remove_file(user, planned, doc.pk)
    assert not ActivityFile.objects.exists()
    assert AuditEntry.objects.filter(action="activity.file_remove").exists()

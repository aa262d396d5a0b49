"""Building activities, attendance, opinions and topics for the duty record tests."""

import datetime
from decimal import Decimal

from django.utils import timezone

from lianxin.activities.models import Activity, Attendance
from lianxin.opinions.models import Category, Opinion
from lianxin.performance.models import RuleSet
from lianxin.supervision.models import Recommendation, Topic

NOW = datetime.datetime(2026, 5, 15, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


def at(day: datetime.date, hour: int = 9, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def activity(station, day, kind="reception", status="held", citizens=0, **extra):
    return Activity.objects.create(station=station, kind=kind, title=f"{kind} {day}", starts_at=at(day, 9),
                                   ends_at=at(day, 11), status=status, citizens_received=citizens, **extra)


def attend(act, deputy, attended=True, expected=True, minutes=None, **extra):
    arrived = left = None
    if minutes is not None:
        arrived = act.starts_at
        left = arrived + datetime.timedelta(minutes=minutes)
    return Attendance.objects.create(activity=act, deputy=deputy, attended=attended, expected=expected,
                                     arrived_at=arrived, left_at=left, **extra)


def category():
    return Category.objects.get_or_create(code="urban", defaults={"name": "城乡建设", "name_en": "Urban"})[0]


def opinion(world, deputy, status="accepted", when=None, station=None, title="路灯不亮"):
    return Opinion.objects.create(category=category(), title=title, text="坞城社区3号楼前路灯坏了", channel="walk_in",
                                  region=world.street_a, station=station or world.station_a, deputy=deputy,
                                  status=status, created_at=when or at(datetime.date(2026, 3, 2)))


def topic(world, deputies, starts=datetime.date(2026, 2, 1), ends=datetime.date(2026, 6, 30)):
    found = Topic.objects.create(title="老旧小区改造监督", region=world.district_a, starts_on=starts, ends_on=ends)
    found.deputies.set(deputies)
    return found


def recommendation(world, found_topic, visit, deputy):
    case = opinion(world, deputy, title="建议加快改造")
    return Recommendation.objects.create(topic=found_topic, visit=visit, opinion=case, title="加快改造",
                                         text="建议加快老旧小区改造进度", created_at=visit.starts_at)


def rules(version=1, **changes):
    from lianxin.performance.models import default_rules

    values = {**default_rules(), **changes}
    return RuleSet.objects.create(version=version, **values)


D = Decimal

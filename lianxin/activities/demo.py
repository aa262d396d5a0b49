"""Demo activities: exactly 10,557 activities held at the demo's sites since 2 January 2020, and a few cancelled.

The activities are history, not transitions: they are planned from a fixed seed and written with
``bulk_create`` (a few seconds), each with the attendance of deputies who were assigned to its site
on that day — all or part of the group expected, most of them came, some were absent, a few signed
in and left early. Receptions record the citizens received. Kinds are spread as the sites' work is:
receiving citizens most, then thematic supervision, legislative consultation, inspection, publicity,
training and group meetings.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.deputies.models import Assignment
from lianxin.stations.models import Station

from .models import Activity, Attendance, Kind

HELD = 10557
CANCELLED = 37
SEED = 20200102
START = datetime.date(2020, 1, 2)
BATCH = 2000

# Kind, weight, (start hour choices), duration in minutes (low, high)
KINDS: tuple[tuple[str, int, tuple[int, ...], tuple[int, int]], ...] = (
    (Kind.RECEPTION, 40, (9, 9, 14, 15, 15), (90, 150)),
    (Kind.SUPERVISION, 16, (9, 14), (120, 210)),
    (Kind.LEGISLATION, 12, (9, 14, 15), (90, 150)),
    (Kind.INSPECTION, 11, (9, 14), (120, 240)),
    (Kind.PUBLICITY, 8, (9, 10, 15), (60, 120)),
    (Kind.TRAINING, 6, (9, 14), (90, 180)),
    (Kind.GROUP_MEETING, 5, (9, 15), (60, 120)),
    (Kind.OTHER, 2, (10, 15), (60, 120)),
)

TOPICS = ("老旧小区改造", "背街小巷整治", "垃圾分类", "养老服务", "停车难", "校园周边安全", "农贸市场管理",
          "供暖保障", "物业服务", "社区卫生服务", "燃气管道改造", "城中村改造", "食品安全", "公交线路优化",
          "营商环境", "河道治理", "违建整治", "就业帮扶", "文明城市创建", "雨污分流")
LAWS = ("《太原市物业管理条例（修订草案）》", "《太原市城市绿化条例（草案）》", "《太原市养老服务条例（草案）》",
        "《太原市文明行为促进条例（修订草案）》", "《山西省生活垃圾分类管理条例（草案）》", "《太原市电动自行车管理条例（草案）》",
        "《中华人民共和国民法典》侵权责任编（草案）", "《太原市汾河流域生态保护条例（草案）》", "《太原市控制吸烟条例（修订草案）》",
        "《山西省优化营商环境条例（修订草案）》")
PLACES = ("联络站接待室", "联络站会议室", "社区党群服务中心", "街道办事处三楼会议室", "社区议事厅")

TITLES: dict[str, tuple[str, ...]] = {
    Kind.RECEPTION: ("人大代表接待选民日活动", "“代表接待日”集中接待群众", "{month}月代表进站接待选民",
                     "人大代表联系群众接待活动", "代表接待群众“面对面”"),
    Kind.SUPERVISION: ("“{topic}”主题监督视察", "围绕{topic}开展主题监督", "{topic}工作推进情况监督调研",
                       "代表小组“{topic}”专项监督"),
    Kind.LEGISLATION: ("{law}征求意见座谈会", "基层立法联系点：{law}意见征集", "围绕{law}听取群众意见"),
    Kind.INSPECTION: ("代表视察{topic}工作", "{topic}情况调研", "代表小组走访调研{topic}"),
    Kind.PUBLICITY: ("宪法宣传进社区", "人大制度宣传日活动", "“法律明白人”普法宣传", "民法典宣传进联络站"),
    Kind.TRAINING: ("代表履职能力培训", "新任代表履职学习会", "代表建议撰写专题培训", "联络站工作业务培训"),
    Kind.GROUP_MEETING: ("代表小组{quarter}季度活动会议", "代表小组集中学习会", "代表小组年度工作部署会"),
    Kind.OTHER: ("代表述职评议会", "代表开放日活动", "代表走访困难群众"),
}

MINUTES: dict[str, tuple[str, ...]] = {
    Kind.RECEPTION: ("本次接待日共接待群众{citizens}人次，收集意见建议{opinions}条，涉及{topic}等问题。"
                     "代表现场解答政策咨询，其余问题已登记转交相关部门办理，并将按期回复。",
                     "代表轮值接待，群众反映{topic}等问题{opinions}件。对能当场答复的当场答复，"
                     "需部门办理的已录入平台交办，联络站跟踪督办。"),
    Kind.SUPERVISION: ("代表实地查看{topic}项目现场，听取相关部门工作汇报，提出意见建议{opinions}条，"
                       "要求部门加快进度、公开进展，形成监督建议报区人大常委会。",),
    Kind.LEGISLATION: ("组织代表和群众代表座谈{law}，逐条讨论，共收集修改意见{opinions}条，"
                       "已整理汇总报送市人大常委会法制工作委员会。",),
    Kind.INSPECTION: ("代表小组走访调研{topic}情况，与群众、企业和部门座谈交流，形成调研报告，"
                      "提出意见建议{opinions}条。",),
    Kind.PUBLICITY: ("代表向居民讲解宪法和人民代表大会制度，发放宣传资料，现场解答群众法律咨询。",),
    Kind.TRAINING: ("组织代表学习代表法和履职要求，交流建议撰写和联系群众的经验做法，代表均完成学习签到。",),
    Kind.GROUP_MEETING: ("代表小组总结上阶段工作，研究下阶段进站安排和监督重点，明确分工和责任人。",),
    Kind.OTHER: ("活动按计划进行，代表听取群众意见并作出回应，活动情况已归档。",),
}
CANCEL_REASONS = ("疫情防控要求暂停线下活动", "暴雨天气预警，活动延期", "场地维修，另行安排", "与区人大常委会会议冲突")
NOTES_ABSENT = ("请假（出差）", "请假（身体原因）", "请假（工作冲突）", "")
NOTES_EARLY = ("签到后因公务提前离开", "签到后临时有事离开", "参加另一场会议提前离开")


@dataclass
class _Site:
    station: Station
    weight: float
    spans: list[tuple[int, datetime.date, datetime.date | None]]  # (deputy id, from, until)

    def group_on(self, day: datetime.date) -> list[int]:
        group = [d for d, start, end in self.spans if start <= day and (end is None or end >= day)]
        if group:
            return group
        # before the group's current members took up their seats: those who served the site first
        first = min(start for _d, start, _e in self.spans)
        return [d for d, start, _e in self.spans if start == first]


def _sites() -> list[_Site]:
    spans: dict[int, list[tuple[int, datetime.date, datetime.date | None]]] = defaultdict(list)
    for a in Assignment.objects.filter(station__status=Station.Status.ACTIVE).values(
            "station_id", "deputy_id", "started_on", "ended_on").order_by("station_id", "id"):
        spans[a["station_id"]].append((a["deputy_id"], a["started_on"], a["ended_on"]))
    stations = Station.objects.filter(pk__in=list(spans)).order_by("code").only("id", "kind", "region_path", "address")
    return [_Site(s, 3.0 if s.kind == Station.Kind.STATION else 1.0, spans[s.pk]) for s in stations]


def _days(until: datetime.date) -> tuple[list[datetime.date], list[float]]:
    """Days with activities and their weights: working days; 2020's lockdown months quiet; more each year."""
    from lianxin.opinions.deadlines import is_working_day

    days, weights = [], []
    day = START
    while day <= until:
        if is_working_day(day) or day.weekday() == 5:
            weight = 1.0 if is_working_day(day) else 0.25
            if day.year == 2020 and day.month in (2, 3):
                weight *= 0.15
            weight *= 1 + 0.12 * (day.year - 2020)
            days.append(day)
            weights.append(weight)
        day += datetime.timedelta(days=1)
    return days, weights


def _text(rng: random.Random, template: str, day: datetime.date, **extra: object) -> str:
    return template.format(month=day.month, quarter="一二三四"[(day.month - 1) // 3], topic=rng.choice(TOPICS),
                           law=rng.choice(LAWS), **extra)


def _expected_size(rng: random.Random, kind: str, group: int) -> int:
    """How many of the group are expected: a rota of two to four for receptions, the whole group for its
    meetings and trainings, part or all of it otherwise."""
    if kind == Kind.RECEPTION:
        return min(group, rng.randint(2, 4))
    if kind in (Kind.GROUP_MEETING, Kind.TRAINING) or group <= 3:
        return group
    return rng.randint(max(2, group // 3), group)


ATTENDANCE_COLUMNS = ("activity_id", "deputy_id", "expected", "on_duty", "attended", "arrived_at", "left_at", "note")


def _copy(table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL's COPY: Django's client-side parameter binding would quote ~500,000 values in Python."""
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor, cursor.cursor.copy(  # type: ignore[attr-defined]
            f"COPY {connection.ops.quote_name(table)} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _insert_activities(activities: list[Activity]) -> None:
    """Write the activities and set their ids: on PostgreSQL ids from the sequence and one COPY, elsewhere bulk_create."""
    if connection.vendor != "postgresql":
        Activity.objects.bulk_create(activities, batch_size=BATCH)
        return
    table = Activity._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                       [table, len(activities)])
        ids = [row[0] for row in cursor.fetchall()]
    for pk, activity in zip(ids, activities, strict=True):
        activity.pk = pk
    fields = [f for f in Activity._meta.concrete_fields]
    _copy(table, tuple(f.column for f in fields),
          [tuple(f.get_db_prep_save(getattr(a, f.attname), connection) for f in fields) for a in activities])


def _insert_attendance(rows: list[tuple[Any, ...]]) -> None:
    """Attendance rows: COPY on PostgreSQL, multi-row INSERTs elsewhere (the ORM's per-object work on
    ~60,000 rows costs far more than the database's)."""
    if connection.vendor == "postgresql":
        _copy(Attendance._meta.db_table, ATTENDANCE_COLUMNS, rows)
        return
    names = ", ".join(connection.ops.quote_name(c) for c in ATTENDANCE_COLUMNS)
    table = connection.ops.quote_name(Attendance._meta.db_table)
    row_marks = "(" + ", ".join(["%s"] * len(ATTENDANCE_COLUMNS)) + ")"
    per_statement = 999 // len(ATTENDANCE_COLUMNS)  # SQLite's old limit of parameters a statement
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start:start + per_statement]
            sql = f"INSERT INTO {table} ({names}) VALUES {', '.join([row_marks] * len(chunk))}"  # noqa: S608
            cursor.execute(sql, [value for row in chunk for value in row])


def load_activities(now: datetime.datetime | None = None,
                    progress: Callable[[str], None] = lambda message: None) -> int:
    """Write the demo activities; returns the number held (10,557). Needs the demo's sites and deputies."""
    from lianxin.core import clock

    now = now or clock.now()
    rng = random.Random(SEED)
    sites = _sites()
    if not sites:
        raise ValueError(_("The demo activities need sites with deputies: load the registry first."))
    tz = timezone.get_current_timezone()
    last = timezone.localtime(now, tz).date() - datetime.timedelta(days=1)
    days, day_weights = _days(last)
    site_weights = [s.weight for s in sites]
    kinds = [k[0] for k in KINDS]
    kind_weights = [k[1] for k in KINDS]
    spec = {k[0]: k for k in KINDS}

    chosen_days = sorted(rng.choices(days, day_weights, k=HELD + CANCELLED))
    cancelled_at = set(rng.sample(range(len(chosen_days)), CANCELLED))
    activities: list[Activity] = []
    plans: list[list[tuple[int, bool, int]]] = []  # per activity: (deputy, came, minutes early or -1)
    for index, day in enumerate(chosen_days):
        site = rng.choices(sites, site_weights)[0]
        kind = rng.choices(kinds, kind_weights)[0]
        _k, _w, hours, (low, high) = spec[kind]
        start = timezone.make_aware(datetime.datetime.combine(
            day, datetime.time(rng.choice(hours), rng.choice((0, 0, 0, 30)))), tz)
        end = start + datetime.timedelta(minutes=rng.randrange(low, high + 1, 10))
        group = site.group_on(day)
        size = _expected_size(rng, kind, len(group))
        expected = sorted(rng.sample(group, size))
        created = start - datetime.timedelta(days=rng.randint(5, 15), minutes=rng.randint(0, 600))
        title = _text(rng, rng.choice(TITLES[kind]), day)
        common = {"station": site.station, "region_path": site.station.region_path, "kind": kind, "title": title,
                  "starts_at": start, "ends_at": end, "place": rng.choice(PLACES), "created_at": created,
                  "published_at": start - datetime.timedelta(days=rng.randint(2, 4))}
        if index in cancelled_at:
            when = start - datetime.timedelta(days=rng.randint(0, 2), hours=rng.randint(1, 8))
            activities.append(Activity(**common, status=Activity.Status.CANCELLED, cancel_reason=rng.choice(CANCEL_REASONS),
                                       cancelled_at=when, updated_at=when))
            plans.append([(d, False, -2) for d in expected])
            continue
        presence = []
        for d in expected:
            roll = rng.random()
            if roll < 0.84:
                presence.append((d, True, -1))
            elif roll < 0.93:
                presence.append((d, False, -1))
            else:
                presence.append((d, True, rng.randint(15, max(16, (end - start).seconds // 120))))
        if not any(came for _d, came, _e in presence):
            presence[0] = (presence[0][0], True, -1)
        opinions = rng.randint(1, 9)
        citizens = rng.randint(max(3, opinions), 28) if kind == Kind.RECEPTION else 0
        minutes = _text(rng, rng.choice(MINUTES[kind]), day, citizens=citizens, opinions=opinions)
        held = end + datetime.timedelta(minutes=rng.randint(20, 60 * 30))
        held = min(held, now)
        activities.append(Activity(**common, status=Activity.Status.HELD, minutes=minutes, citizens_received=citizens,
                                   held_at=held, updated_at=held))
        plans.append(presence)
    with transaction.atomic():
        _insert_activities(activities)
        adapt = connection.ops.adapt_datetimefield_value
        rows: list[tuple[Any, ...]] = []  # (activity, deputy, expected, on duty, attended, arrived, left, note)
        for activity, presence in zip(activities, plans, strict=True):
            for deputy_id, came, early in presence:
                if early == -2:  # cancelled: nothing recorded
                    rows.append((activity.pk, deputy_id, True, False, None, None, None, ""))
                    continue
                arrived = left = None
                note = ""
                if came:
                    arrived = activity.starts_at + datetime.timedelta(minutes=rng.randint(-15, 10))
                    if early >= 0:
                        left = arrived + datetime.timedelta(minutes=early)
                        note = rng.choice(NOTES_EARLY)
                    else:
                        left = activity.ends_at + datetime.timedelta(minutes=rng.randint(0, 15))
                else:
                    note = rng.choice(NOTES_ABSENT)
                rows.append((activity.pk, deputy_id, True, False, came, adapt(arrived), adapt(left), note))
        _insert_attendance(rows)
    progress(_("%(count)s  activities held at the sites (%(rows)s attendance records)")
             % {"count": f"{HELD:>7,}", "rows": f"{len(rows):,}"})
    return HELD

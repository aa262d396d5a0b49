"""Demo data of thematic supervision: one topic in 小店区 with recommendations in progress.

``load_supervision`` runs inside the demo loader's transaction, with notifications muted
(``lianxin.opinions.notify.muted``), after the activities are loaded. Everything goes through the
services (topic, recommendations through the case engine, milestones), with ``now=`` times in the
past. Deterministic: no randomness, sites, deputies and units picked in a fixed order.

It links existing held supervision activities at the topic's sites to the topic and creates no held
activity, so the demo's count of held activities is unchanged; only when there is none does it plan
future visits instead.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from lianxin.accounts.models import User
from lianxin.activities.models import Activity, Kind
from lianxin.core import clock
from lianxin.deputies.models import Assignment
from lianxin.opinions import services as cases
from lianxin.regions.models import Region, subtree_q
from lianxin.stations.models import Station
from lianxin.units.models import HandlingUnit

from . import services
from .models import Recommendation, Topic

DISTRICT = "140105"  # 小店区
TITLE = "老旧小区改造"
SITES = 5
DEPUTIES = 8
VISITS = 5
DESCRIPTION = (
    "围绕全区老旧小区改造工作，组织代表分组深入坞城、龙城、小店等街道的改造小区，实地查看加装电梯、"
    "管网更新、屋面防水、停车和充电设施建设情况，听取住建、城管、规划等部门汇报，就群众反映集中的问题"
    "提出意见建议，并跟踪督办落实情况。"
)
# (title, finding, preferred departments by name, working days, progress steps: (days after, %, text))
FINDINGS: tuple[tuple[str, str, tuple[str, ...], int, tuple[tuple[int, int, str], ...]], ...] = (
    ("加快推进既有住宅加装电梯", "部分小区加装电梯意见征集久拖不决，已签约项目开工率不高，老年住户上下楼困难。"
     "建议建立街道、社区、居民三方协调机制，简化审批流程，加大财政补贴。",
     ("住房和城乡建设",), 20,
     ((7, 30, "制定加装电梯协调工作方案，确定首批12个试点单元"), (18, 70, "试点单元完成审批并开工8部"),
      (26, 100, "已答复代表：首批电梯全部开工，补贴政策印发"))),
    ("老旧管网更新改造要与道路修复同步", "改造小区供水、排水管网更新后路面修复滞后，雨天积水严重，影响居民出行。"
     "建议统筹施工时序，明确路面恢复时限和责任单位。",
     ("城市管理", "住房和城乡建设"), 15,
     ((6, 25, "排查改造小区路面未恢复点位31处"), (15, 60, "完成19处路面修复"), (25, 80, "剩余点位纳入月度计划"))),
    ("补齐小区停车和充电设施短板", "改造小区停车位严重不足，电动自行车楼道充电现象普遍，存在消防隐患。"
     "建议利用边角地增设停车位和集中充电桩。",
     ("规划和自然资源", "住房和城乡建设"), 20,
     ((8, 20, "完成停车和充电设施需求摸底"), (20, 55, "新增集中充电桩160个"))),
    ("屋面防水和外墙保温质量要严格验收", "个别小区屋面防水改造完工不久即出现渗漏，外墙保温层有空鼓脱落。"
     "建议引入第三方质量检测，建立居民代表参与的验收机制。",
     ("住房和城乡建设",), 15,
     ((5, 15, "组织对已完工小区开展质量回头看"), (14, 40, "督促施工单位返修渗漏屋面6处"))),
    ("改造后的小区要建立长效物业管理", "部分小区改造完成后无物业管理，环境卫生和设施维护无人负责，出现\"改造—失管—再破旧\"。"
     "建议推行街道托管或引入专业物业。",
     ("城市管理",), 20,
     ((9, 20, "摸清无物业小区底数"),)),
    ("改造方案要充分听取居民意见", "有的小区改造内容由施工方确定，居民急需的适老化改造、无障碍设施未纳入。"
     "建议改造前开展入户征询，方案公示不少于7天。",
     ("住房和城乡建设", "规划和自然资源"), 15,
     ()),
)


def _progress_noop(key: str, count: int, since: float) -> None:
    return None


def _office_time(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def _sites(district: Region, since: datetime.datetime, now: datetime.datetime) -> list[Station]:
    """Active stations of the district with deputies, those with supervision visits held in the period first."""
    stations = list(
        Station.objects.active().filter(subtree_q("region_path", district.path), kind=Station.Kind.STATION)
        .filter(pk__in=Assignment.objects.current().values("station_id")).order_by("code", "id")
    )
    with_visits = set(Activity.objects.filter(kind=Kind.SUPERVISION, status=Activity.Status.HELD, station__in=stations,
                                              starts_at__gte=since, starts_at__lt=now)
                      .values_list("station_id", flat=True))
    stations.sort(key=lambda s: (s.pk not in with_visits, s.code))
    return stations[:SITES]


def _deputies(stations: list[Station]) -> list[Any]:
    """Up to DEPUTIES deputies of these sites, taken in turn from each site (leaders first)."""
    per_site: dict[int, list[Any]] = {s.pk: [] for s in stations}
    rows = (Assignment.objects.current().filter(station__in=stations, deputy__active=True).select_related("deputy")
            .order_by("-role", "deputy_id"))
    for assignment in rows:
        per_site[assignment.station_id].append(assignment.deputy)
    chosen: list[Any] = []
    seen: set[int] = set()
    for depth in range(max((len(v) for v in per_site.values()), default=0)):
        for station in stations:
            group = per_site[station.pk]
            if depth < len(group) and group[depth].pk not in seen and len(chosen) < DEPUTIES:
                chosen.append(group[depth])
                seen.add(group[depth].pk)
    return chosen


def _unit(units: list[HandlingUnit], words: tuple[str, ...], index: int) -> HandlingUnit:
    for word in words:
        for unit in units:
            if word in unit.name:
                return unit
    return units[index % len(units)]


def load_supervision(now: datetime.datetime | None = None,
                     progress: Callable[[str, int, float], None] = _progress_noop) -> Topic | None:
    """Write the demo's supervision topic; returns it (None without the demo's 小店区). Idempotent."""
    from lianxin.demo.opinions import demo_accounts, ensure_categories

    now = now or clock.now()
    started = time.monotonic()
    district = Region.objects.filter(code=DISTRICT).first()
    if district is None:
        return None
    existing = Topic.objects.filter(region=district, title=TITLE).first()
    if existing is not None:
        return existing
    units = list(HandlingUnit.objects.filter(region=district, active=True)
                 .exclude(kind=HandlingUnit.Kind.TOWNSHIP).order_by("code", "id"))
    today = timezone.localdate(now)
    first_day = today - datetime.timedelta(days=90)
    starts_on = datetime.date(first_day.year, 1, 1)
    stations = _sites(district, _office_time(starts_on, 0), now)
    if not units or not stations:
        return None
    chosen_units = [_unit(units, words, i) for i, (_t, _f, words, _d, _s) in enumerate(FINDINGS)]
    admins, staff = demo_accounts([district], sorted({u.pk: u for u in chosen_units}.values(), key=lambda u: u.code))
    admin: User = admins[DISTRICT]
    category = ensure_categories()["urban"]
    topic = services.create_topic(
        admin, title=TITLE, region=district, description=DESCRIPTION, starts_on=starts_on,
        ends_on=datetime.date(today.year, 12, 31), status=Topic.Status.ACTIVE, published=True,
        stations=stations, deputies=_deputies(stations), now=_office_time(first_day, 9),
    )

    # The field visits: held supervision activities at the topic's sites, latest first, one per site.
    visits: list[Activity] = []
    for station in stations:
        held = (Activity.objects.filter(kind=Kind.SUPERVISION, status=Activity.Status.HELD, station=station,
                                        topic__isnull=True, starts_at__lt=now,
                                        starts_at__gte=_office_time(topic.starts_on, 0))
                .order_by("-starts_at", "-id").first())
        if held is not None:
            visits.append(held)
    Activity.objects.filter(pk__in=[v.pk for v in visits[:VISITS]]).update(topic=topic)
    visits = list(Activity.objects.filter(topic=topic).select_related("station").order_by("starts_at", "id"))
    if not visits:  # no held visits to link: plan the coming ones instead (never held ones)
        for i, station in enumerate(stations):
            day = today + datetime.timedelta(days=7 * (i + 1))
            services.schedule_visit(admin, topic, station=station, title=f"“{TITLE}”主题监督实地查看",
                                    starts_at=_office_time(day, 9), ends_at=_office_time(day, 11), now=now)

    # The recommendations: made 60 … 20 days ago, each carried by a transferred case.
    recommendations: list[Recommendation] = []
    for i, (title, finding, _words, days, _steps) in enumerate(FINDINGS):
        made = _office_time(today - datetime.timedelta(days=60 - 8 * i))
        before = [v for v in visits if v.starts_at < made]
        visit = before[i % len(before)] if before else None  # findings spread over the visits made before
        station = visit.station if visit is not None else stations[i % len(stations)]
        recommendations.append(services.create_recommendation(
            admin, topic, title=title, text=finding, unit=chosen_units[i], category=category, working_days=days,
            visit=visit, station=station, now=made,
        ))

    # Their progress, reported by the handling units' staff.
    for rec, (_title, _finding, _words, _days, steps) in zip(recommendations, FINDINGS, strict=True):
        unit_user = staff[rec.opinion.unit_id or 0]
        for after, percent, text in steps:
            at = rec.created_at + datetime.timedelta(days=after)
            if at >= now:
                break
            if percent == 100:
                cases.reply(rec.opinion_id, unit_user, text=text, now=at)
            services.add_milestone(unit_user, rec.pk, on=timezone.localdate(at), text=text, progress=percent, now=at)
    progress("supervision", len(recommendations), started)
    topic.refresh_from_db()
    return topic

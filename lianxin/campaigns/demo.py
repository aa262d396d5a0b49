"""The demo's exemplary-site campaigns.

* 2023, finished and published: the 100 sites the generator marked exemplary (43 stations, 57 points)
  apply with about 40 others; a few are returned and resubmitted, a few not recommended; two auditors
  score each recommended site; the real services run with the clock moved through the phases, and the
  decision (``services.decide``) names exactly the 100.
* A campaign of the current year in its on-site audit phase (relative to today), in which the ``auditor``
  demo log-in has sites to score.

Ten auditor accounts (``auditor`` and ``auditor01`` … ``auditor09``, each but ``auditor`` belonging to a
district) share the demo password."""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from lianxin.accounts.models import Role, User
from lianxin.core import clock
from lianxin.regions.models import Region
from lianxin.stations.models import Station

from . import scoring, services
from .defaults import ensure_default_template
from .models import (
    Application,
    ApplicationEvent,
    AuditAssignment,
    AuditScore,
    Campaign,
    Criterion,
    Phase,
    SelfScore,
)

DEMO_YEAR = 2023
AUDITOR_PREFIX = "auditor"
CENTS = Decimal("0.01")


@contextmanager
def moved_clock(when: datetime.datetime) -> Iterator[None]:
    """Run the services as at ``when`` (the demo replays the past through them)."""
    original = clock.now
    clock.now = lambda: when  # type: ignore[assignment]
    try:
        yield
    finally:
        clock.now = original  # type: ignore[assignment]


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def ensure_auditors() -> list[User]:
    """``auditor`` (no district) and ``auditor01`` … ``auditor09``, each of a district of the city."""
    from lianxin.demo.accounts import DEMO_PASSWORD

    password = make_password(DEMO_PASSWORD)
    districts = list(Region.objects.filter(level=Region.Level.COUNTY, parent__code="140100").order_by("code"))
    auditors = []
    main = User.objects.filter(username=AUDITOR_PREFIX).first()
    if main is None:
        main = User.objects.create(username=AUDITOR_PREFIX, password=password, role=Role.AUDITOR,
                                   display_name="示范型站点评审员")
    auditors.append(main)
    for index in range(1, 10):
        username = f"{AUDITOR_PREFIX}{index:02d}"
        region = districts[(index - 1) % len(districts)] if districts else None
        user = User.objects.filter(username=username).first() or User(username=username)
        user.password, user.role, user.region, user.is_active = password, Role.AUDITOR, region, True
        user.display_name = f"评审员{index:02d}"
        user.save()
        auditors.append(user)
    return auditors


def _scores(criteria: list[Criterion], share: float, rng: random.Random, spread: float = 0.05
            ) -> dict[int, tuple[Decimal, str]]:
    result = {}
    for criterion in criteria:
        value = min(1.0, max(0.0, share + rng.uniform(-spread, spread)))
        points = (criterion.max_points * Decimal(str(round(value, 3)))).quantize(Decimal("0.5"), ROUND_HALF_UP)
        result[criterion.pk] = (min(points, criterion.max_points), "")
    return result


def _pick_others(kind: str, count: int, rng: random.Random) -> list[Station]:
    pool = list(Station.objects.active().filter(kind=kind).exclude(tier=Station.Tier.EXEMPLARY).order_by("code"))
    return rng.sample(pool, min(count, len(pool)))


def load_campaigns(seed: int = 23) -> dict[str, Any]:
    """Build both demo campaigns (nothing when the 2023 one exists). Returns counts."""
    if Campaign.objects.filter(year=DEMO_YEAR).exists():
        return {"designated": 0}
    with transaction.atomic():
        result = _load_2023(random.Random(seed))
        result["open_assignments"] = _load_current(random.Random(seed + 1))
    return result


def _load_2023(rng: random.Random) -> dict[str, Any]:
    city = Region.objects.get(code="140100")
    admin = User.objects.filter(role=Role.CITY_ADMIN, region=city).order_by("pk").first()
    assert admin is not None, "the demo's city admin is missing"
    ensure_auditors()
    template = ensure_default_template()
    manual = list(Criterion.objects.filter(dimension__template=template, kind=Criterion.Kind.MANUAL))
    manual_max = sum((c.max_points for c in manual), Decimal(0))
    exemplary = list(Station.objects.filter(tier=Station.Tier.EXEMPLARY).order_by("code"))
    quota_stations = sum(1 for s in exemplary if s.kind == Station.Kind.STATION)
    quota_points = len(exemplary) - quota_stations
    others = _pick_others(Station.Kind.STATION, 20, rng) + _pick_others(Station.Kind.POINT, 20, rng)
    sites = exemplary + others
    good = {s.pk for s in exemplary}

    with moved_clock(_at(datetime.date(2023, 7, 10))):
        campaign = services.create_campaign(
            admin, year=DEMO_YEAR, name="2023年度示范型人大代表联络站（点）创建", template=template, region=city,
            quota_stations=quota_stations, quota_points=quota_points,
            application_opens=datetime.date(2023, 8, 1), district_review_opens=datetime.date(2023, 9, 1),
            audit_opens=datetime.date(2023, 9, 20), final_review_opens=datetime.date(2023, 10, 20),
            publication_on=datetime.date(2023, 11, 20), data_from=datetime.date(2022, 8, 1),
            data_to=datetime.date(2023, 7, 31))
    # application: every site applies and self-assesses (rows in bulk), then submits through the service
    with moved_clock(_at(datetime.date(2023, 8, 10))):
        now = clock.now()
        applications = Application.objects.bulk_create([
            Application(campaign=campaign, station=site, kind=site.kind, created_by=admin, created_at=now,
                        updated_at=now, summary=f"{site.name}创建工作总结。") for site in sites])
        ApplicationEvent.objects.bulk_create([
            ApplicationEvent(application=a, action="created", to_status=Application.Status.DRAFT, actor=admin, at=now)
            for a in applications])
        rows = []
        for application in applications:
            share = rng.uniform(0.86, 0.96) if application.station_id in good else rng.uniform(0.6, 0.78)
            for cid, (points, note) in _scores(manual, share, rng).items():
                rows.append(SelfScore(application=application, criterion_id=cid, points=points, note=note))
        SelfScore.objects.bulk_create(rows, batch_size=1000)
    with moved_clock(_at(datetime.date(2023, 8, 25))):
        for application in applications:
            services.submit_application(admin, application)
    plain = [a for a in applications if a.station_id not in good]
    rng.shuffle(plain)
    returned, refused = plain[:5], plain[5:13]
    with moved_clock(_at(datetime.date(2023, 9, 4))):
        for application in returned:
            services.return_application(admin, application, "请补充接待登记台账和活动记录的照片。")
    with moved_clock(_at(datetime.date(2023, 9, 8))):
        for application in returned:
            services.submit_application(admin, application)
    with moved_clock(_at(datetime.date(2023, 9, 12))):
        for application in refused:
            services.not_recommend(admin, application, "活动开展不够经常，台账不完整，本年度暂不推荐。")
        refused_ids = {a.pk for a in refused}
        recommended = [a for a in applications if a.pk not in refused_ids]
        for application in recommended:
            services.recommend(admin, application, "材料齐全，同意推荐。")
    # audit: two auditors per site; each auditor's scores aim the final score at a band (the designated
    # sites 68 and above, the others 64 at most), given the platform figures known by then
    with moved_clock(_at(datetime.date(2023, 9, 21))):
        services.auto_assign(admin, campaign)
        scoring.refresh(campaign)
    percents = {a.pk: a for a in Application.objects.filter(campaign=campaign, status=Application.Status.RECOMMENDED)
                .select_related("station")}
    assignments = list(AuditAssignment.objects.filter(application__campaign=campaign)
                       .select_related("auditor", "application__campaign").order_by("application_id", "id"))
    # the visits' scores in bulk (the service's checks are the same per row and would only cost time)
    visit = datetime.date(2023, 9, 22)
    score_rows, events = [], []
    for index, assignment in enumerate(assignments):
        application = percents[assignment.application_id]
        target = rng.uniform(72, 92) if application.station_id in good else rng.uniform(48, 62)
        self_part = Decimal(campaign.weight_self) * (application.self_percent or 0) / 100
        platform_part = Decimal(campaign.weight_platform) * (application.platform_percent or 0) / 100
        audit_percent = (Decimal(str(target)) - self_part - platform_part) * 100 / campaign.weight_audit
        share = float(min(Decimal(100), max(Decimal(0), audit_percent)) / 100)
        offset = rng.choice([-0.03, 0.03]) if index % 17 else 0.09  # now and then the auditors disagree
        scores = _scores(manual, max(0, min(1, share + offset)), rng, spread=0.0)
        score_rows += [AuditScore(assignment=assignment, criterion_id=cid, points=points, note=note)
                       for cid, (points, note) in scores.items()]
        when = _at(visit + datetime.timedelta(days=index // 12), 9 + index % 8)
        assignment.status = AuditAssignment.Status.SUBMITTED
        assignment.visited_at, assignment.submitted_at = when, when + datetime.timedelta(hours=1)
        assignment.latitude, assignment.longitude, assignment.location_accuracy = (
            application.station.latitude, application.station.longitude, 30)
        assignment.notes = "现场查看场所、台账和活动记录。"
        assignment.total = sum((points for points, _note in scores.values()), Decimal(0))
        events.append(ApplicationEvent(application_id=application.pk, action="audited",
                                       to_status=application.status, comment=str(assignment.total),
                                       actor=assignment.auditor, at=assignment.submitted_at))
    AuditScore.objects.bulk_create(score_rows, batch_size=1000)
    AuditAssignment.objects.bulk_update(assignments, ["status", "visited_at", "submitted_at", "latitude", "longitude",
                                                      "location_accuracy", "notes", "total"], batch_size=500)
    ApplicationEvent.objects.bulk_create(events, batch_size=1000)
    with moved_clock(_at(datetime.date(2023, 10, 27))):
        designations = services.decide(admin, campaign)
    with moved_clock(_at(datetime.date(2023, 11, 20), 9)):
        services.publish(admin, campaign)
    return {"applications": len(applications), "designated": len(designations), "manual_max": manual_max}


def _load_current(rng: random.Random) -> int:
    """A campaign of this year in its audit phase today; ``auditor`` is assigned to three sites."""
    today = clock.today()
    city = Region.objects.get(code="140100")
    admin = User.objects.filter(role=Role.CITY_ADMIN, region=city).order_by("pk").first()
    auditor = User.objects.get(username=AUDITOR_PREFIX)
    opens = today - datetime.timedelta(days=50)
    with moved_clock(_at(opens - datetime.timedelta(days=10))):
        campaign = services.create_campaign(
            admin, year=today.year, name=f"{today.year}年度示范型人大代表联络站（点）创建", region=city,
            quota_stations=30, quota_points=40, application_opens=opens,
            district_review_opens=today - datetime.timedelta(days=25), audit_opens=today - datetime.timedelta(days=5),
            final_review_opens=today + datetime.timedelta(days=25),
            publication_on=today + datetime.timedelta(days=55),
            data_from=opens - datetime.timedelta(days=365), data_to=opens - datetime.timedelta(days=1))
    manual = list(Criterion.objects.filter(dimension__template=campaign.template, kind=Criterion.Kind.MANUAL))
    sites = list(Station.objects.active().exclude(tier=Station.Tier.EXEMPLARY).order_by("code")[:4])
    with moved_clock(_at(opens + datetime.timedelta(days=5))):
        applications = []
        for site in sites:
            application = services.start_application(admin, campaign, site)
            services.save_self_scores(admin, application, _scores(manual, rng.uniform(0.75, 0.9), rng),
                                      summary=f"{site.name}创建工作总结。")
            services.submit_application(admin, application)
            applications.append(application)
    with moved_clock(_at(today - datetime.timedelta(days=20))):
        for application in applications[:3]:
            services.recommend(admin, application, "同意推荐。")
    with moved_clock(_at(today - datetime.timedelta(days=4))):
        for application in applications[:3]:
            services.assign_auditors(admin, application, [auditor])
    assert campaign.phase(today) == Phase.AUDIT
    return 3

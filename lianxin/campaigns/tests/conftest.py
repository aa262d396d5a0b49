"""Shared fixtures of the campaign tests (used by every helper's tests).

    template                the default criteria template (``defaults.ensure_default_template``)
    campaign                a 2023-like campaign in the city: quotas 2 stations / 2 points; phases
                            application 2023-08-01, district review 2023-09-01, audit 2023-09-20,
                            final review 2023-10-20, publication 2023-11-20; data 2022-08-01..2023-07-31
    application             a draft application of world.station_a by the site manager
    at_phase(campaign, p)   move the frozen clock to a day inside phase ``p`` (also a context manager);
                            every test starts frozen inside the campaign's application phase
    auditor_b               an auditor belonging to district B (may audit district A's sites)
    auditor_a               an auditor belonging to district A (conflict for district A's sites)

Plain helpers (import them: ``from lianxin.campaigns.tests.conftest import at_phase, fill_self_scores``):
``at``, ``phase_day``, ``manual_criteria``, ``automatic_criteria``, ``fill_self_scores``.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from lianxin.accounts.models import Role
from lianxin.campaigns.models import (
    Application,
    ApplicationEvent,
    Campaign,
    CriteriaTemplate,
    Criterion,
    Phase,
    SelfScore,
)
from lianxin.testing import make_user

TZ = datetime.timezone(datetime.timedelta(hours=8))

APPLICATION_OPENS = datetime.date(2023, 8, 1)
DISTRICT_REVIEW_OPENS = datetime.date(2023, 9, 1)
AUDIT_OPENS = datetime.date(2023, 9, 20)
FINAL_REVIEW_OPENS = datetime.date(2023, 10, 20)
PUBLICATION_ON = datetime.date(2023, 11, 20)

# every test starts here (inside the application phase of the ``campaign`` fixture)
START = datetime.datetime(2023, 8, 15, 10, 0, tzinfo=TZ)

_travellers: list[Any] = []


def at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def phase_day(campaign: Campaign, phase: str) -> datetime.date:
    """A day well inside ``phase`` of ``campaign`` (DECIDED/PUBLISHED: a day of the final review)."""
    days = {
        Phase.PREPARATION: campaign.application_opens - datetime.timedelta(days=10),
        Phase.APPLICATION: campaign.application_opens + datetime.timedelta(days=1),
        Phase.DISTRICT_REVIEW: campaign.district_review_opens + datetime.timedelta(days=1),
        Phase.AUDIT: campaign.audit_opens + datetime.timedelta(days=1),
        Phase.FINAL_REVIEW: campaign.final_review_opens + datetime.timedelta(days=1),
        Phase.DECIDED: campaign.final_review_opens + datetime.timedelta(days=2),
        Phase.PUBLISHED: campaign.publication_on,
    }
    return days[Phase(phase)]


class _Moved:
    """What ``at_phase`` returns: the clock is already moved; ``with`` moves it back on exit."""

    def __init__(self, traveller: Any, day: datetime.date) -> None:
        self.traveller = traveller
        self.day = day

    def __enter__(self) -> datetime.date:
        return self.day

    def __exit__(self, *exc: object) -> None:
        if self.traveller in _travellers:
            _travellers.remove(self.traveller)
            self.traveller.stop()


def move_clock(when: datetime.datetime | datetime.date) -> _Moved:
    if not isinstance(when, datetime.datetime):
        when = at(when)
    traveller = time_machine.travel(when, tick=False)
    traveller.start()
    _travellers.append(traveller)
    return _Moved(traveller, timezone.localdate(when))


def at_phase(campaign: Campaign, phase: str) -> _Moved:
    """Freeze the clock to 10:00 on a day inside ``phase``; usable as a call or a ``with`` block."""
    return move_clock(phase_day(campaign, phase))


@pytest.fixture(autouse=True)
def _campaign_clock():
    traveller = time_machine.travel(START, tick=False)
    traveller.start()
    try:
        yield
    finally:
        while _travellers:
            _travellers.pop().stop()
        traveller.stop()


@pytest.fixture(name="at_phase")
def at_phase_fixture():
    """The ``at_phase`` helper as a fixture: ``at_phase(campaign, Phase.AUDIT)``."""
    return at_phase


@pytest.fixture
def english(settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def manual_criteria(template: CriteriaTemplate) -> list[Criterion]:
    return list(Criterion.objects.filter(dimension__template=template, kind=Criterion.Kind.MANUAL))


def automatic_criteria(template: CriteriaTemplate) -> list[Criterion]:
    return list(Criterion.objects.filter(dimension__template=template, kind=Criterion.Kind.AUTOMATIC))


def fill_self_scores(application: Application, share: Decimal | str = "1") -> None:
    """Self-score every manual item at ``share`` of its maximum (rows written directly: no checks)."""
    share = Decimal(share)
    SelfScore.objects.bulk_create(
        [SelfScore(application=application, criterion=c, points=(c.max_points * share).quantize(Decimal("0.01")),
                   note="自评")
         for c in manual_criteria(application.campaign.template)],
        update_conflicts=True, unique_fields=["application", "criterion"], update_fields=["points", "note"])


@pytest.fixture
def template(db) -> CriteriaTemplate:
    from lianxin.campaigns.defaults import ensure_default_template

    return ensure_default_template()


@pytest.fixture
def campaign(world, template) -> Campaign:
    return Campaign.objects.create(
        year=2023, name="2023年示范型代表联络站（点）创建", template=template, region=world.city,
        quota_stations=2, quota_points=2,
        application_opens=APPLICATION_OPENS, district_review_opens=DISTRICT_REVIEW_OPENS,
        audit_opens=AUDIT_OPENS, final_review_opens=FINAL_REVIEW_OPENS, publication_on=PUBLICATION_ON,
        data_from=datetime.date(2022, 8, 1), data_to=datetime.date(2023, 7, 31),
        created_by=world.users[Role.CITY_ADMIN])


@pytest.fixture
def application(world, campaign) -> Application:
    manager = world.users[Role.SITE_MANAGER]
    app = Application.objects.create(campaign=campaign, station=world.station_a, kind=world.station_a.kind,
                                     created_by=manager)
    ApplicationEvent.objects.create(application=app, action="created", to_status=app.status, actor=manager)
    return app


@pytest.fixture
def auditor_b(world):
    return make_user("auditor_b", Role.AUDITOR, region=world.district_b)


@pytest.fixture
def auditor_a(world):
    return make_user("auditor_a", Role.AUDITOR, region=world.district_a)

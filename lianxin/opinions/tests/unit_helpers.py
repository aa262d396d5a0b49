"""Shared set-up of the handling units' tests (inbox, actions, templates, extensions, suggestions)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from lianxin.opinions import services
from lianxin.opinions.models import Category, Opinion

NOW = timezone.make_aware(datetime.datetime(2027, 3, 1, 10, 0))  # a Monday


@pytest.fixture
def category(db: Any) -> Category:
    return Category.objects.create(code="urban", name="城乡建设", name_en="Urban construction")


def transferred(world: Any, category: Category, title: str = "小区路灯不亮", *, other_unit: bool = False,
                days: int = 10, phone: str = "13900001111", text: str = "") -> Opinion:
    """A case submitted, accepted and transferred to unit A (or unit B, in the other district)."""
    station = world.station_b if other_unit else world.station_a
    admin = world.outsider if other_unit else world.users["district_admin"]
    unit = world.unit_b if other_unit else world.unit_a
    opinion, _ = services.submit_opinion(category=category, title=title, text=text or f"{title}，请尽快处理。",
                                         channel="site_qr", station=station, citizen_name="王小二",
                                         citizen_phone=phone)
    services.accept(opinion, admin)
    return services.transfer(opinion, admin, unit=unit, working_days=days)

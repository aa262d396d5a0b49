"""The demo hook: declared items in every state and scores consistent with the activities."""

import datetime

from lianxin.performance.demo import build_demo
from lianxin.performance.models import DeclaredItem, Score
from lianxin.performance.record import period, tally
from lianxin.performance.scoring import current_rules, score

from .helpers import activity, attend

D = datetime.date


def test_build_demo(world):
    from lianxin.deputies.models import Deputy

    for i in range(20):
        Deputy.objects.create(name=f"代表{i}", gender="m")
    attend(activity(world.station_a, D(2025, 3, 1)), world.deputy_a)
    attend(activity(world.station_a, D(2026, 3, 1)), world.deputy_a)
    result = build_demo(share=1.0)
    assert result["years"] == [2025, 2026]
    assert result["declared"] == DeclaredItem.objects.count() > 0
    assert {i.status for i in DeclaredItem.objects.all()} == {"pending", "approved", "rejected"}
    assert all(i.reason for i in DeclaredItem.objects.filter(status="rejected"))
    rules = current_rules()
    for year in (2025, 2026):
        row = Score.objects.get(deputy=world.deputy_a, year=year, quarter=None)
        expected = score(tally([world.deputy_a.pk], *period(year))[world.deputy_a.pk], rules)
        assert row.total == expected.total and row.points.get("activity") == expected.points["activity"]
    assert Score.objects.filter(year=2025, quarter=None).count() == Deputy.objects.count()

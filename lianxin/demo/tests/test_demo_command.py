"""``lianxin demo`` refuses to overwrite a registry that is not the demo."""

import io

import pytest
from django.core.management import CommandError, call_command

from lianxin.regions.models import Region
from lianxin.stations.models import Station


def test_demo_refuses_a_database_holding_other_data(world):
    before = (Region.objects.count(), Station.objects.count())
    with pytest.raises(CommandError, match="--reset"):
        call_command("demo", stdout=io.StringIO())
    assert (Region.objects.count(), Station.objects.count()) == before


def test_demo_asks_for_migrate_first_on_an_old_database(db, monkeypatch):
    from django.db.migrations.executor import MigrationExecutor

    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("pending", False)])
    with pytest.raises(CommandError, match="lianxin migrate"):
        call_command("demo", stdout=io.StringIO())
    assert not Station.objects.exists()

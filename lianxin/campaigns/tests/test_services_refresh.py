"""The refresh command and the nightly task."""

import io

import pytest
from django.core.management import CommandError, call_command

from lianxin.campaigns import tasks
from lianxin.campaigns.models import Application, Phase

from .conftest import at_phase, fill_self_scores

pytestmark = pytest.mark.django_db


def submitted(world, campaign):
    app = Application.objects.create(campaign=campaign, station=world.station_a, kind="station",
                                     status=Application.Status.RECOMMENDED)
    fill_self_scores(app, "0.5")
    return app


def test_command_refreshes_one_campaign(world, campaign):
    app = submitted(world, campaign)
    call_command("campaign_refresh", "--campaign", str(campaign.pk), stdout=io.StringIO())
    app.refresh_from_db()
    assert app.self_percent == 50 and app.rank == 1
    with pytest.raises(CommandError):
        call_command("campaign_refresh", "--campaign", "999999", stdout=io.StringIO())


def test_nightly_refresh_only_in_audit_and_final_review(world, campaign):
    app = submitted(world, campaign)
    assert tasks.refresh_running() == 0  # application phase
    app.refresh_from_db()
    assert app.self_percent is None
    at_phase(campaign, Phase.AUDIT)
    out = io.StringIO()
    call_command("campaign_refresh", stdout=out)
    app.refresh_from_db()
    assert app.self_percent == 50 and "1" in out.getvalue()


def test_refresh_task_runs(world, campaign):
    app = submitted(world, campaign)
    tasks.refresh_campaign.call_local(campaign.pk)
    app.refresh_from_db()
    assert app.final_score is not None


def test_a_decided_campaign_keeps_the_ranking_it_was_decided_on(world, campaign, client_for):
    from lianxin.core import clock

    app = submitted(world, campaign)
    tasks.refresh_campaign.call_local(campaign.pk)
    app.refresh_from_db()
    before = (app.self_percent, app.final_score, app.rank)
    fill_self_scores(app, "1")  # a later change must not move a decided ranking
    campaign.decided_at = clock.now()
    campaign.save(update_fields=["decided_at"])
    tasks.refresh_campaign.call_local(campaign.pk)
    response = client_for(world.users["city_admin"]).post(f"/staff/campaigns/{campaign.pk}/final/refresh/", follow=True)
    app.refresh_from_db()
    assert (app.self_percent, app.final_score, app.rank) == before
    assert response.status_code == 200
    assert f"/staff/campaigns/{campaign.pk}/final/refresh/" not in response.content.decode()  # no button

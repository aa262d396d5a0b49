"""Background work: recompute a campaign's scores, and every night those of running campaigns."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from lianxin.core import clock

# The certificate PDFs' task is defined next to their rendering; imported so the consumer registers it.
from .certificates import build_certificates_task  # noqa: F401


@db_task()
def refresh_campaign(campaign_id: int) -> None:
    from . import scoring
    from .models import Campaign

    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is not None:
        scoring.refresh(campaign)


def refresh_running() -> int:
    """Refresh the campaigns in their audit or final review phase; returns how many."""
    from . import scoring
    from .models import Campaign, Phase

    today = clock.today()
    count = 0
    for campaign in Campaign.objects.filter(decided_at__isnull=True, published_at__isnull=True,
                                            audit_opens__lte=today):
        if campaign.phase(today) in (Phase.AUDIT, Phase.FINAL_REVIEW):
            scoring.refresh(campaign)
            count += 1
    return count


@db_periodic_task(crontab(minute="40", hour="2"))
def refresh_campaigns_nightly() -> None:
    refresh_running()

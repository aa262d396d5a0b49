"""The Excel list of a campaign's designations: staff download and the command, read back with openpyxl."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from lianxin.accounts.models import Role
from lianxin.campaigns.models import Application, Designation
from lianxin.stations.models import Station


@pytest.fixture
def decided(world, campaign):
    campaign.decided_at = timezone.now()
    campaign.save()
    rows = []
    for number, (site, score, rank) in enumerate([(world.station_a, "91.5", 1), (world.point_a, "88.25", 1),
                                                  (world.station_b, "80", 2)], start=1):
        app = Application.objects.create(campaign=campaign, station=site, kind=site.kind,
                                         status=Application.Status.RECOMMENDED, final_score=Decimal(score),
                                         rank=rank, within_quota=True, designated=True)
        rows.append(Designation.objects.create(station=site, campaign=campaign, application=app,
                                               tier=Station.Tier.EXEMPLARY, year=2023,
                                               certificate_no=f"SF2023-{number:04d}"))
    return rows


def _read(content):
    sheet = load_workbook(io.BytesIO(content) if isinstance(content, bytes) else content).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_city_admin_downloads_the_list(client_for, world, campaign, decided, english,
                                           django_assert_max_num_queries):
    decided[2].withdrawn_at = timezone.now()
    decided[2].save()
    client = client_for(world.users[Role.CITY_ADMIN])
    with django_assert_max_num_queries(8):
        response = client.get(reverse("audits:designations_xlsx", args=[campaign.pk]))
    assert response.status_code == 200
    rows = _read(response.content)
    assert rows[0][:3] == ["Site code", "Site", "Kind"] and rows[0][-1] == "Rank"
    assert len(rows) == 3  # the withdrawn one is not listed
    first = rows[1]
    assert first[0] == world.station_a.code and first[1] == world.station_a.name
    assert first[3] == world.district_a.name and first[4] == world.street_a.name
    assert first[6] == "Exemplary" and first[7] == 2023 and first[8] == "SF2023-0001"
    assert first[9] == pytest.approx(91.5) and first[10] == 1
    assert rows[2][0] == world.point_a.code and rows[2][4] == world.street_a.name


def test_others_may_not_download(client_for, world, campaign, decided):
    for role in (Role.DISTRICT_ADMIN, Role.SITE_MANAGER, Role.AUDITOR):
        assert client_for(world.users[role]).get(
            reverse("audits:designations_xlsx", args=[campaign.pk])).status_code == 404


def test_the_command_writes_the_same_list(world, campaign, decided, tmp_path):
    target = tmp_path / "list.xlsx"
    out = io.StringIO()
    call_command("campaign_designations", campaign=campaign.pk, xlsx=str(target), stdout=out)
    rows = _read(str(target))
    assert len(rows) == 4
    assert {row[8] for row in rows[1:]} == {"SF2023-0001", "SF2023-0002", "SF2023-0003"}
    assert "3" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("campaign_designations", campaign=99999, xlsx=str(target))
    with pytest.raises(CommandError):
        call_command("campaign_designations", campaign=campaign.pk, xlsx=str(tmp_path / "list.csv"))

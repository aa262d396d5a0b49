"""Auditor assignment, the final review (ranking, overrides, refresh, export, decision) and designations."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from lianxin.campaigns import scoring, services
from lianxin.campaigns.models import (
    Application,
    AuditAssignment,
    Designation,
    DesignationReview,
    Phase,
)
from lianxin.stations.models import Station
from lianxin.testing import make_station

from .conftest import at_phase, fill_self_scores, manual_criteria


def recommended(world, campaign, station):
    app = Application.objects.create(campaign=campaign, station=station, kind=station.kind,
                                     status=Application.Status.RECOMMENDED)
    fill_self_scores(app)
    return app


def audited(world, campaign, apps, auditor, share="1"):
    """Assign ``auditor`` to each application and submit full (or ``share``) scores, in the audit phase."""
    from decimal import Decimal

    at_phase(campaign, Phase.AUDIT)
    city = world.users["city_admin"]
    for app in apps:
        assignment = services.assign_auditors(city, app, [auditor])[0]
        scores = {c.pk: ((c.max_points * Decimal(share)).quantize(Decimal("0.01")), "")
                  for c in manual_criteria(campaign.template)}
        services.save_audit(auditor, assignment, scores, submit=True)


def final_world(world, campaign, application, auditor_b, auditor_a):
    Application.objects.filter(pk=application.pk).update(status=Application.Status.RECOMMENDED)
    fill_self_scores(application)
    app_b = recommended(world, campaign, world.station_b)
    point = recommended(world, campaign, world.point_a)
    audited(world, campaign, [application, point], auditor_b)
    audited(world, campaign, [app_b], auditor_a, share="0.8")
    at_phase(campaign, Phase.FINAL_REVIEW)
    scoring.refresh(campaign)
    return application, app_b, point


def test_assignment_page_offers_only_eligible_auditors(client_for, world, campaign, application, auditor_a,
                                                       auditor_b, english):
    Application.objects.filter(pk=application.pk).update(status=Application.Status.RECOMMENDED)
    at_phase(campaign, Phase.AUDIT)
    client = client_for(world.users["city_admin"])
    page = client.get(f"/staff/campaigns/{campaign.pk}/audits/").content.decode()
    select = page.split(f'id="lx-auditor-{application.pk}"', 1)[1].split("</select>", 1)[0]
    assert f'value="{auditor_b.pk}"' in select and f'value="{auditor_a.pk}"' not in select
    client.post(f"/staff/campaigns/applications/{application.pk}/assign/", {"auditor": auditor_b.pk})
    assignment = AuditAssignment.objects.get(application=application)
    assert assignment.auditor == auditor_b
    # forcing a conflicting auditor: the service refuses and names the conflict; nothing is created
    response = client.post(f"/staff/campaigns/applications/{application.pk}/assign/", {"auditor": auditor_a.pk},
                           follow=True)
    assert auditor_a.username in response.content.decode()
    assert AuditAssignment.objects.filter(application=application).count() == 1
    client.post(f"/staff/campaigns/assignments/{assignment.pk}/unassign/")
    assert not AuditAssignment.objects.filter(application=application).exists()
    client.post(f"/staff/campaigns/{campaign.pk}/audits/auto/")
    assert AuditAssignment.objects.filter(application=application).count() >= 1
    assert not AuditAssignment.objects.filter(application=application, auditor=auditor_a).exists()


def test_assignment_pages_are_for_the_city(client_for, world, campaign, application):
    for user in (world.users["district_admin"], world.users["site_manager"], world.users["auditor"]):
        client = client_for(user)
        assert client.get(f"/staff/campaigns/{campaign.pk}/audits/").status_code == 403
        assert client.post(f"/staff/campaigns/{campaign.pk}/audits/auto/").status_code == 403


def test_final_review_ranks_and_counts_with_constant_queries(client_for, world, campaign, application, auditor_a,
                                                             auditor_b, django_assert_max_num_queries, english):
    app_a, app_b, point = final_world(world, campaign, application, auditor_b, auditor_a)
    client = client_for(world.users["city_admin"])
    with django_assert_max_num_queries(14):
        page = client.get(f"/staff/campaigns/{campaign.pk}/final/").content.decode()
    stations_table = page.split('data-testid="ranking-station"', 1)[1].split("</table>", 1)[0]
    assert stations_table.index(world.station_a.name) < stations_table.index(world.station_b.name)
    assert "2 decided in, quota 2" in page
    assert auditor_b.username in page  # each auditor's total on expand
    for n in range(5):
        recommended(world, campaign, make_station(f"S-F{n}", f"终评站{n}", world.street_a))
    scoring.refresh(campaign)
    with django_assert_max_num_queries(14):
        client.get(f"/staff/campaigns/{campaign.pk}/final/")
    # the district sees its area read-only; site managers and auditors do not see it
    district = client_for(world.users["district_admin"]).get(f"/staff/campaigns/{campaign.pk}/final/")
    assert district.status_code == 200 and world.station_b.name not in district.content.decode()
    assert 'name="override"' not in district.content.decode()
    assert client_for(world.users["site_manager"]).get(f"/staff/campaigns/{campaign.pk}/final/").status_code == 403


def test_the_ranking_exports_every_component(client_for, world, campaign, application, auditor_a, auditor_b,
                                            english):
    app_a, app_b, point = final_world(world, campaign, application, auditor_b, auditor_a)
    response = client_for(world.users["city_admin"]).get(f"/staff/campaigns/{campaign.pk}/final.xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    head = rows[0]
    assert "Self-assessment (%)" in head and "Platform figures (%)" in head and "Final score" in head
    by_code = {row[2]: row for row in rows[1:]}
    app_a.refresh_from_db()
    assert by_code[world.station_a.code][head.index("Final score")] == float(app_a.final_score)
    assert len(rows) == 4


def test_override_needs_a_reason_and_goes_through_the_service(client_for, world, campaign, application, auditor_a,
                                                              auditor_b, english):
    app_a, app_b, point = final_world(world, campaign, application, auditor_b, auditor_a)
    client = client_for(world.users["city_admin"])
    response = client.post(f"/staff/campaigns/applications/{app_b.pk}/override/", {"override": "exclude"},
                           follow=True)
    assert "An override needs a reason." in response.content.decode()
    app_b.refresh_from_db()
    assert app_b.override == ""
    client.post(f"/staff/campaigns/applications/{app_b.pk}/override/",
                {"override": "exclude", "reason": "实地审核发现台账不全"})
    app_b.refresh_from_db()
    assert (app_b.override, app_b.override_reason) == ("exclude", "实地审核发现台账不全")
    page = client.get(f"/staff/campaigns/{campaign.pk}/final/").content.decode()
    assert "1 decided in, quota 2" in page


def test_refresh_recomputes_and_shows_the_time(client_for, world, campaign, application, auditor_a, auditor_b,
                                               english):
    app_a, app_b, point = final_world(world, campaign, application, auditor_b, auditor_a)
    Application.objects.filter(pk=app_a.pk).update(final_score=None)
    client = client_for(world.users["city_admin"])
    client.post(f"/staff/campaigns/{campaign.pk}/final/refresh/")
    app_a.refresh_from_db()
    assert app_a.final_score is not None
    assert "Scores last computed" in client.get(f"/staff/campaigns/{campaign.pk}/final/").content.decode()


def test_decide_confirms_then_designates(client_for, world, campaign, application, auditor_a, auditor_b, english):
    app_a, app_b, point = final_world(world, campaign, application, auditor_b, auditor_a)
    client = client_for(world.users["city_admin"])
    confirm = client.get(f"/staff/campaigns/{campaign.pk}/final/decide/").content.decode()
    chosen = confirm.split('data-testid="chosen-station"', 1)[1].split("</ol>", 1)[0]
    assert world.station_a.name in chosen and world.station_b.name in chosen
    assert not Designation.objects.exists()
    client.post(f"/staff/campaigns/{campaign.pk}/final/decide/")
    assert Designation.objects.filter(campaign=campaign).count() == 3
    world.station_a.refresh_from_db()
    assert world.station_a.tier == Station.Tier.EXEMPLARY


def test_decide_refuses_a_tie_across_the_quota_line(client_for, world, campaign, application, auditor_a, auditor_b,
                                                    english):
    Application.objects.filter(pk=application.pk).update(status=Application.Status.RECOMMENDED)
    fill_self_scores(application)
    twin_site = make_station("S-TWIN", "孪生站", world.street_a)
    twin = recommended(world, campaign, twin_site)
    audited(world, campaign, [application, twin], auditor_b)
    at_phase(campaign, Phase.FINAL_REVIEW)
    campaign.quota_stations = 1
    campaign.save()
    client = client_for(world.users["city_admin"])
    response = client.post(f"/staff/campaigns/{campaign.pk}/final/decide/", follow=True)
    assert response.status_code == 200
    assert not Designation.objects.exists()
    assert "override" in response.content.decode().lower()


def _designated(world, campaign, application, auditor_a, auditor_b):
    final_world(world, campaign, application, auditor_b, auditor_a)
    services.decide(world.users["city_admin"], campaign)


def test_designations_list_filters_and_constant_queries(client_for, world, campaign, application, auditor_a,
                                                        auditor_b, django_assert_max_num_queries, english):
    _designated(world, campaign, application, auditor_a, auditor_b)
    client = client_for(world.users["site_manager"])
    with django_assert_max_num_queries(10):
        page = client.get("/staff/campaigns/designations/?year=2023").content.decode()
    assert world.station_a.name in page and world.point_a.name in page
    assert 'name="outcome"' not in page  # read-only for others than the city
    page = client.get(f"/staff/campaigns/designations/?district={world.district_b.pk}").content.decode()
    table = page.split('data-testid="designations-table"', 1)[1]
    assert world.station_b.name in table and world.station_a.name not in table
    assert "Nothing to show." in client.get("/staff/campaigns/designations/?year=2020").content.decode()


def test_a_recheck_withdraws_and_restores_the_tier(client_for, world, campaign, application, auditor_a, auditor_b,
                                                   english):
    _designated(world, campaign, application, auditor_a, auditor_b)
    designation = Designation.objects.get(station=world.station_a)
    client = client_for(world.users["city_admin"])
    response = client.post(f"/staff/campaigns/designations/{designation.pk}/review/",
                           {"year": 2023, "outcome": "withdraw", "reason": "站点停止活动"}, follow=True)
    assert DesignationReview.objects.count() == 0  # year must be later than the designation's
    assert response.status_code == 200
    client.post(f"/staff/campaigns/designations/{designation.pk}/review/",
                {"year": 2025, "outcome": "withdraw", "reason": "站点停止活动"})
    designation.refresh_from_db()
    world.station_a.refresh_from_db()
    assert designation.withdrawn_at is not None and world.station_a.tier == Station.Tier.NONE
    page = client.get("/staff/campaigns/designations/?state=withdrawn").content.decode()
    assert "站点停止活动" in page
    assert client_for(world.users["district_admin"]).post(
        f"/staff/campaigns/designations/{designation.pk}/review/",
        {"year": 2026, "outcome": "keep", "reason": "x"}).status_code == 403

"""Campaign services: phase windows, district review, audit conflicts, scoping, decision, re-checks."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lianxin.accounts.models import Role
from lianxin.campaigns import services
from lianxin.campaigns.models import (
    Application,
    ApplicationEvent,
    AuditAssignment,
    Designation,
    Phase,
)
from lianxin.campaigns.services import CampaignError
from lianxin.stations.models import Station

from .conftest import at_phase, fill_self_scores, manual_criteria

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def full_scores(template, share="1"):
    return {c.pk: (c.max_points * Decimal(share), "") for c in manual_criteria(template)}


def test_start_and_submit_in_application_phase(world, campaign):
    manager = world.users[Role.SITE_MANAGER]
    app = services.start_application(manager, campaign, world.station_a)
    assert app.kind == Station.Kind.STATION and app.status == Application.Status.DRAFT
    with pytest.raises(CampaignError) as err:
        services.start_application(manager, campaign, world.station_a)
    assert err.value.code == "exists"
    with pytest.raises(CampaignError) as err:
        services.submit_application(manager, app)
    assert err.value.code == "incomplete"
    services.save_self_scores(manager, app, full_scores(campaign.template, "0.5"), summary="工作总结")
    app = services.submit_application(manager, app)
    assert app.status == Application.Status.SUBMITTED
    assert list(app.events.values_list("action", flat=True)) == ["created", "submitted"]


def test_manager_cannot_apply_for_another_site(world, campaign):
    with pytest.raises(CampaignError) as err:
        services.start_application(world.users[Role.SITE_MANAGER], campaign, world.station_b)
    assert err.value.code == "forbidden"


def test_self_score_bounds_and_kind(world, application, template):
    manager = world.users[Role.SITE_MANAGER]
    item = manual_criteria(template)[0]
    with pytest.raises(CampaignError):
        services.save_self_scores(manager, application, {item.pk: (item.max_points + 1, "")})
    automatic = template.dimensions.get(code="effectiveness").criteria.exclude(metric="").first()
    with pytest.raises(CampaignError):
        services.save_self_scores(manager, application, {automatic.pk: (Decimal(1), "")})


def test_late_submission_refused_naming_the_date(world, application, english):
    fill_self_scores(application)
    at_phase(application.campaign, Phase.DISTRICT_REVIEW)
    with pytest.raises(CampaignError) as err:
        services.submit_application(world.users[Role.SITE_MANAGER], application)
    assert err.value.code == "closed"
    assert "2023-08-31" in str(err.value.message)
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT


def test_returned_resubmitted_in_district_review(world, application):
    manager, district = world.users[Role.SITE_MANAGER], world.users[Role.DISTRICT_ADMIN]
    fill_self_scores(application)
    services.submit_application(manager, application)
    at_phase(application.campaign, Phase.DISTRICT_REVIEW)
    with pytest.raises(CampaignError):
        services.return_application(district, application, "")
    services.return_application(district, application, "请补充台账照片")
    services.save_self_scores(manager, application, full_scores(application.campaign.template, "0.9"))
    services.submit_application(manager, application)
    services.recommend(district, application)
    application.refresh_from_db()
    assert application.status == Application.Status.RECOMMENDED
    actions = list(ApplicationEvent.objects.filter(application=application).values_list("action", flat=True))
    assert actions == ["created", "submitted", "returned", "resubmitted", "recommended"]
    # after the district review, a returned one can no longer be resubmitted
    assert application.campaign.phase() == Phase.DISTRICT_REVIEW


def test_outsider_cannot_review(world, application):
    fill_self_scores(application)
    services.submit_application(world.users[Role.SITE_MANAGER], application)
    with pytest.raises(CampaignError) as err:
        services.recommend(world.outsider, application)
    assert err.value.code == "forbidden"


def test_evidence_file_sniffed(world, application, template):
    manager = world.users[Role.SITE_MANAGER]
    item = manual_criteria(template)[0]
    ok = services.add_evidence(manager, application, item, file=SimpleUploadedFile("a.png", PNG), caption="公示墙")
    assert ok.file.name.endswith(".png")
    with pytest.raises(CampaignError):
        services.add_evidence(manager, application, item, file=SimpleUploadedFile("a.png", b"MZ not an image"))
    services.remove_evidence(manager, ok)
    assert not application.evidence.exists()


def recommended(world, campaign, station, share="1"):
    app = Application.objects.create(campaign=campaign, station=station, kind=station.kind,
                                     status=Application.Status.RECOMMENDED)
    fill_self_scores(app, share)
    return app


def test_auditor_conflict_rule(world, campaign, auditor_a, auditor_b):
    app = recommended(world, campaign, world.station_a)
    at_phase(campaign, Phase.AUDIT)
    eligible = set(services.eligible_auditors(campaign, app))
    assert auditor_b in eligible and world.users[Role.AUDITOR] in eligible and auditor_a not in eligible
    city = world.users[Role.CITY_ADMIN]
    with pytest.raises(CampaignError) as err:
        services.assign_auditors(city, app, [auditor_a])
    assert err.value.code == "conflict" and "小店区" in str(err.value.message)
    assert services.auto_assign(city, campaign) == 2
    assert set(app.audits.values_list("auditor", flat=True)) == {auditor_b.pk, world.users[Role.AUDITOR].pk}


def test_application_scoping(world, campaign, auditor_b):
    app_a = recommended(world, campaign, world.station_a)
    app_b = recommended(world, campaign, world.station_b)
    assert list(Application.objects.visible_to(world.users[Role.SITE_MANAGER])) == [app_a]
    assert list(Application.objects.visible_to(world.users[Role.DISTRICT_ADMIN])) == [app_a]
    assert list(Application.objects.visible_to(world.outsider)) == [app_b]
    assert set(Application.objects.visible_to(world.users[Role.CITY_ADMIN])) == {app_a, app_b}
    assert not Application.objects.visible_to(auditor_b).exists()
    AuditAssignment.objects.create(application=app_b, auditor=auditor_b)
    assert list(Application.objects.visible_to(auditor_b)) == [app_b]
    assert not Application.objects.visible_to(world.users[Role.DEPUTY]).exists()


def audit(auditor, app, share, submit=True):
    assignment = AuditAssignment.objects.get_or_create(application=app, auditor=auditor)[0]
    return services.save_audit(auditor, assignment, full_scores(app.campaign.template, share), submit=submit,
                               latitude=Decimal("37.8"), longitude=Decimal("112.5"), accuracy=20)


def test_save_audit_only_by_assigned_auditor_in_audit_phase(world, campaign, auditor_b):
    app = recommended(world, campaign, world.station_a)
    assignment = AuditAssignment.objects.create(application=app, auditor=auditor_b)
    with pytest.raises(CampaignError):  # not yet the audit phase
        services.save_audit(auditor_b, assignment, {})
    at_phase(campaign, Phase.AUDIT)
    with pytest.raises(CampaignError):
        services.save_audit(world.users[Role.AUDITOR], assignment, {})
    first = manual_criteria(campaign.template)[0]
    saved = services.save_audit(auditor_b, assignment, {first.pk: (Decimal(2), "")})
    assert saved.visited_at is not None and saved.latitude is None and saved.total == Decimal(2)
    with pytest.raises(CampaignError) as err:
        services.save_audit(auditor_b, assignment, {}, submit=True)
    assert err.value.code == "incomplete"
    done = audit(auditor_b, app, "0.5")
    assert done.status == AuditAssignment.Status.SUBMITTED and done.latitude == Decimal("37.8")
    assert done.total == Decimal(36)  # half of the 72 manual points
    with pytest.raises(CampaignError):
        services.save_audit(auditor_b, assignment, {})
    photo = SimpleUploadedFile("x.png", PNG)
    with pytest.raises(CampaignError):
        services.add_audit_photo(auditor_b, assignment, photo)


def decided_setup(world, campaign, auditor_b):
    """Two stations and one point recommended and audited; quota of stations 1."""
    campaign.quota_stations = 1
    campaign.save()
    a = recommended(world, campaign, world.station_a)
    b = recommended(world, campaign, world.station_b)
    p = recommended(world, campaign, world.point_a)
    at_phase(campaign, Phase.AUDIT)
    for app in (a, b, p):
        audit(auditor_b, app, "0.8")
    at_phase(campaign, Phase.FINAL_REVIEW)
    return a, b, p


def test_decide_refuses_a_tie_at_the_quota_line(world, campaign, auditor_b, english):
    a, b, p = decided_setup(world, campaign, auditor_b)
    city = world.users[Role.CITY_ADMIN]
    with pytest.raises(CampaignError) as err:
        services.decide(city, campaign)
    assert err.value.code == "tie"
    assert world.station_a.name in str(err.value.message) and world.station_b.name in str(err.value.message)
    assert not Designation.objects.exists()
    with pytest.raises(CampaignError):
        services.set_override(city, b, Application.Override.EXCLUDE, "")
    services.set_override(city, b, Application.Override.EXCLUDE, "台账不全")
    made = services.decide(city, campaign)
    assert sorted(d.station_id for d in made) == sorted([world.station_a.pk, world.point_a.pk])
    assert made[0].certificate_no == "SF2023-0001"
    world.station_a.refresh_from_db()
    world.station_b.refresh_from_db()
    assert world.station_a.tier == Station.Tier.EXEMPLARY and world.station_b.tier == Station.Tier.NONE
    campaign.refresh_from_db()
    assert campaign.phase() == Phase.DECIDED
    assert set(Application.objects.filter(designated=True)) == {a, p}
    services.publish(city, campaign)
    campaign.refresh_from_db()
    assert campaign.phase() == Phase.PUBLISHED


def test_decide_needs_audits(world, campaign):
    recommended(world, campaign, world.station_a)
    at_phase(campaign, Phase.FINAL_REVIEW)
    with pytest.raises(CampaignError) as err:
        services.decide(world.users[Role.CITY_ADMIN], campaign)
    assert err.value.code == "unaudited"


def test_designation_review_keep_and_withdraw(world, campaign, auditor_b):
    a, b, p = decided_setup(world, campaign, auditor_b)
    city = world.users[Role.CITY_ADMIN]
    services.set_override(city, b, Application.Override.EXCLUDE, "台账不全")
    services.decide(city, campaign)
    designation = Designation.objects.get(station=world.station_a)
    with pytest.raises(CampaignError):
        services.review_designation(city, designation, year=2023, keep=True, reason="复核")
    services.review_designation(city, designation, year=2024, keep=True, reason="复核合格")
    world.station_a.refresh_from_db()
    assert world.station_a.tier == Station.Tier.EXEMPLARY
    # another current designation (a standard tier) keeps the site rated after the withdrawal
    Designation.objects.create(station=world.station_a, tier=Station.Tier.STANDARD, year=2022,
                               certificate_no="GF2022-0001")
    review = services.review_designation(city, designation, year=2025, keep=False, reason="长期未开展活动")
    assert review.outcome == "withdrawn"
    designation.refresh_from_db()
    world.station_a.refresh_from_db()
    assert designation.withdrawn_at is not None and world.station_a.tier == Station.Tier.STANDARD
    point = Designation.objects.get(station=world.point_a)
    services.review_designation(city, point, year=2024, keep=False, reason="场所撤销")
    world.point_a.refresh_from_db()
    assert world.point_a.tier == Station.Tier.NONE
    assert designation.reviews.count() == 2


def test_update_campaign_rules(world, campaign, template):
    city = world.users[Role.CITY_ADMIN]
    with pytest.raises(CampaignError) as err:
        services.update_campaign(city, campaign, weight_self=30)
    assert err.value.code == "weights"
    with pytest.raises(CampaignError):
        services.update_campaign(city, campaign, data_from=datetime.date(2022, 9, 1))
    with pytest.raises(CampaignError):
        services.update_campaign(city, campaign, application_opens=datetime.date(2023, 8, 5))
    updated = services.update_campaign(city, campaign, quota_points=5, audit_opens=datetime.date(2023, 9, 25))
    assert updated.quota_points == 5
    with pytest.raises(CampaignError):
        services.update_campaign(world.users[Role.DISTRICT_ADMIN], campaign, quota_points=6)


def test_create_campaign_and_template_version(world, template):
    city = world.users[Role.CITY_ADMIN]
    dims = [{"code": "rules", "name": "制度", "criteria": [
        {"title": "制度上墙", "max_points": "10", "kind": "manual"},
        {"title": "活动", "max_points": "5", "kind": "automatic", "metric": "activities_per_month", "target": "2"}]}]
    version = services.save_template_version(city, "default", name="标准", dimensions=dims)
    assert version.version == template.version + 1
    assert list(services.latest_templates()) == [version]
    with pytest.raises(CampaignError):
        services.save_template_version(city, "default", name="x", dimensions=[{"code": "rules", "criteria": [
            {"title": "a", "max_points": "5", "kind": "automatic", "metric": "", "target": None}]}])
    with pytest.raises(CampaignError):
        services.save_template_version(world.users[Role.DISTRICT_ADMIN], "default", name="x", dimensions=dims)
    campaign = services.create_campaign(
        city, year=2024, name="2024年创建", template=version, quota_stations=3,
        application_opens=datetime.date(2024, 8, 1), district_review_opens=datetime.date(2024, 9, 1),
        audit_opens=datetime.date(2024, 9, 20), final_review_opens=datetime.date(2024, 10, 20),
        publication_on=datetime.date(2024, 11, 20), data_from=datetime.date(2023, 8, 1),
        data_to=datetime.date(2024, 7, 31))
    assert campaign.region == world.city and campaign.kinds == [Station.Kind.STATION]

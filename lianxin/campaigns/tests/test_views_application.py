"""The application page: self-scores, evidence, submission windows, the district's decisions, who may see it."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from lianxin.campaigns.models import Application, Evidence, Phase, SelfScore
from lianxin.opinions.models import Opinion
from lianxin.performance.tests.helpers import activity, category

from .conftest import at_phase, automatic_criteria, fill_self_scores, manual_criteria

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def url(application, suffix=""):
    return f"/staff/campaigns/applications/{application.pk}/{suffix}"


def scores_post(application, share=1, action="save"):
    data = {"summary": "本站建立了完整的接待制度", "action": action}
    for c in manual_criteria(application.campaign.template):
        data[f"points_{c.pk}"] = str((c.max_points * Decimal(str(share))).quantize(Decimal("0.01")))
        data[f"note_{c.pk}"] = "已落实"
    return data


def test_who_sees_the_application(client_for, world, application, auditor_b):
    for role in ("site_manager", "district_admin", "city_admin"):
        assert client_for(world.users[role]).get(url(application)).status_code == 200, role
    assert client_for(world.outsider).get(url(application)).status_code == 404
    assert client_for(world.users["auditor"]).get(url(application)).status_code == 404  # not assigned
    assert client_for(world.users["deputy"]).get(url(application)).status_code == 404
    assert client_for(auditor_b).get(url(application)).status_code == 404


def test_the_page_shows_items_formulas_and_automatic_values(client_for, world, application, english):
    for day in (datetime.date(2022, 9, 5), datetime.date(2023, 1, 9), datetime.date(2023, 3, 6)):
        activity(world.station_a, day)
    page = client_for(world.users["site_manager"]).get(url(application)).content.decode()
    manual = manual_criteria(application.campaign.template)
    assert manual[0].title in page
    assert f'name="points_{manual[0].pk}"' in page
    per_month = next(c for c in automatic_criteria(application.campaign.template) if c.metric == "activities_per_month")
    assert "divided by the number of months" in page
    # 3 held activities over 12 months = 0.25 a month
    block = page.split(f'data-testid="automatic-{per_month.pk}"', 1)[1].split("</td>", 1)[0]
    assert "0.2500" in block


def test_saving_a_draft_and_submitting(client_for, world, application, english):
    client = client_for(world.users["site_manager"])
    response = client.post(url(application), scores_post(application, share=0.5))
    assert response.status_code == 302
    manual = manual_criteria(application.campaign.template)
    assert SelfScore.objects.filter(application=application).count() == len(manual)
    application.refresh_from_db()
    assert application.summary == "本站建立了完整的接待制度" and application.status == "draft"
    client.post(url(application), scores_post(application, action="submit"))
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    assert application.events.filter(action="submitted").exists()
    # now read-only
    page = client.get(url(application)).content.decode()
    assert f'name="points_{manual[0].pk}"' not in page


def test_points_above_the_maximum_are_refused_inline(client_for, world, application, english):
    data = scores_post(application)
    first = manual_criteria(application.campaign.template)[0]
    data[f"points_{first.pk}"] = str(first.max_points + 1)
    response = client_for(world.users["site_manager"]).post(url(application), data)
    assert response.status_code == 400
    assert "Nothing was saved" in response.content.decode()
    assert not SelfScore.objects.filter(application=application).exists()


def test_submitting_incomplete_scores_shows_the_service_message(client_for, world, application, english):
    data = scores_post(application, action="submit")
    first = manual_criteria(application.campaign.template)[0]
    data[f"points_{first.pk}"] = ""
    response = client_for(world.users["site_manager"]).post(url(application), data)
    assert response.status_code == 400
    assert "Score every item before submitting" in response.content.decode()
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT


def test_late_submission_is_refused_with_the_closing_date(client_for, world, application, english):
    fill_self_scores(application)
    at_phase(application.campaign, Phase.DISTRICT_REVIEW)
    response = client_for(world.users["site_manager"]).post(url(application), scores_post(application, action="submit"),
                                                            follow=True)
    assert "The application window closed on 2023-08-31." in response.content.decode()
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT


def test_evidence_file_upload_download_and_removal(client_for, world, application, english):
    client = client_for(world.users["site_manager"])
    item = manual_criteria(application.campaign.template)[0]
    upload = SimpleUploadedFile("rota.png", PNG, content_type="image/png")
    client.post(url(application, "evidence/"), {"criterion": item.pk, "file": upload, "caption": "值班表"})
    evidence = Evidence.objects.get(application=application)
    assert evidence.caption == "值班表"
    download = client.get(f"/staff/campaigns/evidence/{evidence.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"\x89PNG")
    assert client_for(world.outsider).get(f"/staff/campaigns/evidence/{evidence.pk}/").status_code == 404
    client = client_for(world.users["site_manager"])
    client.post(f"/staff/campaigns/evidence/{evidence.pk}/remove/")
    assert not Evidence.objects.filter(pk=evidence.pk).exists()


def test_a_fake_image_is_refused(client_for, world, application, english):
    item = manual_criteria(application.campaign.template)[0]
    upload = SimpleUploadedFile("rota.png", b"MZ not an image at all", content_type="image/png")
    response = client_for(world.users["site_manager"]).post(url(application, "evidence/"),
                                                            {"criterion": item.pk, "file": upload}, follow=True)
    assert "is not a photo" in response.content.decode()
    assert not Evidence.objects.exists()


def test_linking_an_activity_and_an_opinion_of_the_site(client_for, world, application, english):
    client = client_for(world.users["site_manager"])
    item = manual_criteria(application.campaign.template)[0]
    held = activity(world.station_a, datetime.date(2023, 3, 6))
    page = client.get(url(application)).content.decode()
    assert f'<option value="{held.pk}">' in page
    client.post(url(application, "evidence/"), {"criterion": item.pk, "activity": held.pk})
    mine = Opinion.objects.create(category=category(), title="路灯", text="路灯坏了", channel="walk_in",
                                  region=world.street_a, station=world.station_a, status="accepted")
    other = Opinion.objects.create(category=category(), title="噪音", text="噪音", channel="walk_in",
                                   region=world.street_b, station=world.station_b, status="accepted")
    client.post(url(application, "evidence/"), {"criterion": item.pk, "tracking_code": mine.tracking_code})
    response = client.post(url(application, "evidence/"), {"criterion": item.pk, "tracking_code": other.tracking_code},
                           follow=True)
    assert "No opinion of this site has that tracking code." in response.content.decode()
    assert set(Evidence.objects.values_list("activity_id", "opinion_id")) == {(held.pk, None), (None, mine.pk)}


def test_the_district_returns_with_a_comment_and_the_site_resubmits(client_for, world, application, english):
    fill_self_scores(application)
    manager = client_for(world.users["site_manager"])
    manager.post(url(application), scores_post(application, action="submit"))
    district = client_for(world.users["district_admin"])
    response = district.post(url(application, "review/"), {"decision": "return", "comment": ""}, follow=True)
    assert "Say why" in response.content.decode()
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    district.post(url(application, "review/"), {"decision": "return", "comment": "请补充接待记录"})
    application.refresh_from_db()
    assert application.status == Application.Status.RETURNED
    at_phase(application.campaign, Phase.DISTRICT_REVIEW)
    manager = client_for(world.users["site_manager"])
    page = manager.get(url(application)).content.decode()
    assert "请补充接待记录" in page
    history = page.split('data-testid="history"', 1)[1]
    assert "Returned for changes" in history and "Application started" in history
    manager.post(url(application), scores_post(application, action="submit"))
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    assert application.events.filter(action="resubmitted").exists()
    district = client_for(world.users["district_admin"])
    district.post(url(application, "review/"), {"decision": "recommend"})
    application.refresh_from_db()
    assert application.status == Application.Status.RECOMMENDED


def test_reviewing_is_for_admins_covering_the_site(client_for, world, application):
    fill_self_scores(application)
    client_for(world.users["site_manager"]).post(url(application), scores_post(application, action="submit"))
    assert client_for(world.users["site_manager"]).post(
        url(application, "review/"), {"decision": "recommend"}).status_code == 403
    assert client_for(world.outsider).post(url(application, "review/"), {"decision": "recommend"}).status_code == 404
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED


def test_withdrawing(client_for, world, application):
    client_for(world.users["site_manager"]).post(url(application, "withdraw/"))
    application.refresh_from_db()
    assert application.status == Application.Status.WITHDRAWN


def test_the_review_queue_filters_and_keeps_its_query_count(client_for, world, campaign, application,
                                                            django_assert_max_num_queries, english):
    from lianxin.testing import make_station

    fill_self_scores(application)
    client_for(world.users["site_manager"]).post(url(application), scores_post(application, action="submit"))
    for n in range(6):
        site = make_station(f"S-Q{n}", f"测试站{n}", world.street_a)
        Application.objects.create(campaign=campaign, station=site, kind=site.kind, status="submitted")
    other = Application.objects.create(campaign=campaign, station=world.station_b, kind="station", status="submitted")
    client = client_for(world.users["district_admin"])
    with django_assert_max_num_queries(12):
        page = client.get(f"/staff/campaigns/{campaign.pk}/review/").content.decode()
    assert world.station_a.name in page and "测试站5" in page and world.station_b.name not in page
    page = client_for(world.users["city_admin"]).get(
        f"/staff/campaigns/{campaign.pk}/review/?district={world.district_b.pk}").content.decode()
    assert world.station_b.name in page and world.station_a.name not in page
    assert f"/applications/{other.pk}/" in page
    page = client_for(world.users["city_admin"]).get(
        f"/staff/campaigns/{campaign.pk}/review/?kind=point").content.decode()
    assert "Nothing to show." in page
    assert client_for(world.users["site_manager"]).get(f"/staff/campaigns/{campaign.pk}/review/").status_code == 403
    assert client_for(world.users["auditor"]).get(f"/staff/campaigns/{campaign.pk}/review/").status_code == 403


def test_an_assigned_auditor_reads_but_cannot_change(client_for, world, campaign, application, auditor_b):
    from lianxin.campaigns.models import AuditAssignment

    other = Application.objects.create(campaign=campaign, station=world.station_b, kind="station")
    assert client_for(world.users["site_manager"]).get(url(other)).status_code == 404
    Application.objects.filter(pk=application.pk).update(status=Application.Status.RECOMMENDED)
    AuditAssignment.objects.create(application=application, auditor=auditor_b)
    client = client_for(auditor_b)
    page = client.get(url(application))
    assert page.status_code == 200 and 'name="action"' not in page.content.decode()
    assert client.post(url(application), scores_post(application)).status_code == 403
    assert client.post(url(application, "withdraw/")).status_code == 302
    application.refresh_from_db()
    assert application.status == Application.Status.RECOMMENDED
    assert not SelfScore.objects.filter(application=application).exists()

"""The Taiyuan demo, built once for this module: its figures, its groups, its idempotence, its stats.

The demo is loaded inside a module-wide transaction that is rolled back at the end; each test runs
in its own savepoint on top (pytest-django's ``db``), so tests may change rows freely.
"""

import io
import json
import time
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Q
from django.test import override_settings

from lianxin.accounts.models import Role, User
from lianxin.core.validators import LANDLINE_RE, MOBILE_RE
from lianxin.dashboard.stats import headline_figures
from lianxin.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD, STATION_MANAGER_PREFIX
from lianxin.demo.loader import load_demo
from lianxin.deputies.models import Assignment, Deputy, Level, Seat
from lianxin.regions.models import Region
from lianxin.stations.models import Facility, Station
from lianxin.units.models import HandlingUnit

BUILD_SECONDS: dict[str, float] = {}




@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    # Same fast hasher as the function-scoped _fast_settings fixture, so the demo log-ins verify.
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast, transaction.atomic():
        started = time.monotonic()
        load_demo()
        BUILD_SECONDS["first"] = time.monotonic() - started
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo_db(demo, db):
    return None


def current_groups():
    """station id → [(deputy id, role)] of current assignments."""
    groups = defaultdict(list)
    for station_id, deputy_id, role in Assignment.objects.current().values_list(
        "station_id", "deputy_id", "role"
    ):
        groups[station_id].append((deputy_id, role))
    return groups


def seat_levels():
    levels = defaultdict(set)
    for deputy_id, level in Seat.objects.current().values_list("deputy_id", "level"):
        levels[deputy_id].add(level)
    return levels



def test_demo_has_546_sites_and_a_station_in_every_township(demo_db):
    assert Station.objects.count() == 546
    townships = Region.objects.filter(level=Region.Level.TOWNSHIP)
    assert townships.count() > 100
    stations = Station.objects.filter(kind=Station.Kind.STATION)
    assert set(stations.values_list("region_id", flat=True)) == set(townships.values_list("id", flat=True))
    assert stations.count() == townships.count()
    points = Station.objects.filter(kind=Station.Kind.POINT).select_related("region", "parent")
    for point in points:
        assert point.region.level == Region.Level.VILLAGE
        assert point.parent.kind == Station.Kind.STATION
        assert point.parent.region_id == point.region.parent_id
    assert Station.objects.get(code="ST140105001").name == "坞城街道人大代表联络站"


def test_demo_regions_follow_official_codes(demo_db):
    assert Region.objects.get(code="140000").name == "山西省"
    city = Region.objects.get(code="140100")
    assert city.name == "太原市" and city.parent.code == "140000"
    counties = dict(Region.objects.filter(level=Region.Level.COUNTY).values_list("code", "name"))
    assert counties == {
        "140105": "小店区",
        "140106": "迎泽区",
        "140107": "杏花岭区",
        "140108": "尖草坪区",
        "140109": "万柏林区",
        "140110": "晋源区",
        "140121": "清徐县",
        "140122": "阳曲县",
        "140123": "娄烦县",
        "140181": "古交市",
    }
    names = set(Region.objects.filter(level=Region.Level.TOWNSHIP).values_list("name", flat=True))
    assert {
        "侯村乡",
        "郝庄镇",
        "坞城街道",
        "巨轮街道",
        "千峰街道",
        "晋祠镇",
        "清源镇",
        "静游镇",
        "河口镇",
    } <= names
    prefix = {Region.Level.CITY: 2, Region.Level.COUNTY: 4, Region.Level.TOWNSHIP: 6, Region.Level.VILLAGE: 9}
    for region in Region.objects.select_related("parent").filter(level__gte=Region.Level.CITY):
        assert region.code[: prefix[region.level]] == region.parent.code[: prefix[region.level]]
        assert region.path == region.parent.path + region.code + "/"
        assert len(region.code) == {2: 6, 3: 6, 4: 9, 5: 12}[region.level]
        assert 37 < region.latitude < 38.5 and 111.4 < region.longitude < 113.2


def test_every_site_field_is_filled(demo_db):
    facilities = set(Facility.values)
    for site in Station.objects.all():
        for field in (
            "code",
            "name",
            "address",
            "contact_name",
            "opening_hours",
            "reception_days",
            "description",
        ):
            assert getattr(site, field), (site.code, field)
        assert MOBILE_RE.match(site.contact_phone) or LANDLINE_RE.match(site.contact_phone)
        assert site.facilities and set(site.facilities) <= facilities
        assert site.status == Station.Status.ACTIVE
        assert site.region_path and site.latitude and site.longitude
    assert Station.objects.values("code").distinct().count() == 546


def test_demo_has_4906_deputies_across_five_levels(demo_db):
    assert Deputy.objects.count() == 4906
    seats = dict(Seat.objects.values_list("level").annotate(n=Count("id")).values_list("level", "n"))
    assert set(seats) == set(Level.values)
    assert 15 <= seats[Level.NATIONAL] <= 30
    assert 100 <= seats[Level.PROVINCIAL] <= 200
    assert 350 <= seats[Level.MUNICIPAL] <= 450
    assert 1500 <= seats[Level.COUNTY] <= 1900
    assert seats[Level.TOWNSHIP] > seats[Level.COUNTY]
    multiple = Deputy.objects.annotate(n=Count("seats")).filter(n__gt=1).count()
    assert 50 < multiple < 500
    phones = [deputy.phone for deputy in Deputy.objects.all()]
    assert len(set(phones)) == 4906 and all(MOBILE_RE.match(phone) for phone in phones)
    assert not Deputy.objects.filter(Q(home_region__isnull=True) | Q(home_latitude__isnull=True)).exists()
    assert not Deputy.objects.filter(Q(name="") | Q(occupation="") | Q(party="") | Q(ethnicity="")).exists()


def test_every_deputy_has_exactly_one_current_site(demo_db):
    per_deputy = Counter(Assignment.objects.current().values_list("deputy_id", flat=True))
    assert len(per_deputy) == 4906
    assert set(per_deputy.values()) == {1}


def test_every_site_has_3_to_20_deputies_of_two_levels_and_one_leader(demo_db):
    levels = seat_levels()
    groups = current_groups()
    assert len(groups) == 546
    for group in groups.values():
        assert 3 <= len(group) <= 20
        assert len(set().union(*(levels[deputy_id] for deputy_id, _ in group))) >= 2
        assert sum(role == Assignment.Role.LEADER for _, role in group) == 1


def test_deputies_are_grouped_within_their_constituency(demo_db):
    sites = {s.pk: s.region_path for s in Station.objects.only("id", "region_path")}
    seats = defaultdict(list)
    for seat in Seat.objects.select_related("constituency"):
        seats[seat.deputy_id].append(seat)
    for station_id, deputy_id in Assignment.objects.current().values_list("station_id", "deputy_id"):
        site_path = sites[station_id]
        for seat in seats[deputy_id]:
            area = seat.constituency.path
            if seat.level == Level.COUNTY:
                area = area[: area.rstrip("/").rfind("/") + 1]  # the county, not only the township
            assert site_path.startswith(area), (deputy_id, seat.level)


def test_exemplary_campaign_named_43_stations_and_57_points(demo_db):
    exemplary = Station.objects.filter(tier=Station.Tier.EXEMPLARY)
    assert exemplary.filter(kind=Station.Kind.STATION).count() == 43
    assert exemplary.filter(kind=Station.Kind.POINT).count() == 57
    assert Station.objects.filter(tier=Station.Tier.STANDARD).exists()
    assert Station.objects.filter(tier=Station.Tier.NONE).exists()


def test_demo_campaign_2023_designated_the_exemplary_sites(demo_db):
    from lianxin.campaigns.models import Application, AuditAssignment, Campaign, Designation, Phase

    campaign = Campaign.objects.get(year=2023)
    assert campaign.phase() == Phase.PUBLISHED
    designated = Designation.objects.filter(campaign=campaign)
    assert designated.filter(station__kind=Station.Kind.STATION).count() == 43
    assert designated.filter(station__kind=Station.Kind.POINT).count() == 57
    assert set(designated.values_list("station_id", flat=True)) == set(
        Station.objects.filter(tier=Station.Tier.EXEMPLARY).values_list("id", flat=True))
    applications = Application.objects.filter(campaign=campaign)
    assert applications.count() >= 130
    assert applications.filter(status="not_recommended").exists()
    assert applications.filter(events__action="resubmitted").exists()
    audits = AuditAssignment.objects.filter(application__campaign=campaign)
    assert audits.filter(status="assigned").count() == 0
    assert audits.count() == 2 * applications.filter(status="recommended").count()
    current = Campaign.objects.exclude(pk=campaign.pk).get()
    assert current.phase() == Phase.AUDIT
    assert AuditAssignment.objects.filter(application__campaign=current, auditor__username="auditor",
                                          status="assigned").count() == 3


def test_handling_units_cover_city_districts_and_townships(demo_db):
    assert HandlingUnit.objects.filter(region__level=Region.Level.CITY).count() >= 12
    for county in Region.objects.filter(level=Region.Level.COUNTY):
        assert HandlingUnit.objects.filter(region=county).count() >= 12
    townships = Region.objects.filter(level=Region.Level.TOWNSHIP)
    offices = HandlingUnit.objects.filter(kind=HandlingUnit.Kind.TOWNSHIP)
    assert set(offices.values_list("region_id", flat=True)) == set(townships.values_list("id", flat=True))
    assert HandlingUnit.objects.filter(name="小店区住房和城乡建设局").exists()


def test_demo_log_ins_work_with_their_scope(demo_db, client):
    for _role, username, _scope in DEMO_ACCOUNTS:
        assert client.login(username=username, password=DEMO_PASSWORD), username
    users = {u.username: u for u in User.objects.select_related("region", "unit", "deputy")}
    assert users["city-admin"].role == Role.CITY_ADMIN and users["city-admin"].region.code == "140100"
    assert (
        users["xiaodian-admin"].role == Role.DISTRICT_ADMIN
        and users["xiaodian-admin"].region.code == "140105"
    )
    assert list(users["site-manager"].stations.values_list("code", flat=True)) == ["ST140105001"]
    deputy = users["deputy"].deputy
    assert Assignment.objects.current().filter(deputy=deputy, station__code="ST140105001").exists()
    assert users["unit-staff"].unit.name == "小店区住房和城乡建设局"
    assert users["auditor"].role == Role.AUDITOR
    assert users["admin"].is_superuser and users["admin"].is_staff
    managers = User.objects.filter(username__startswith=STATION_MANAGER_PREFIX, role=Role.SITE_MANAGER)
    assert managers.count() == Station.objects.filter(kind=Station.Kind.STATION).count()


def test_running_demo_again_keeps_the_data_and_refreshes_log_ins(demo_db):
    codes = set(Station.objects.values_list("code", flat=True))
    counts = (
        Region.objects.count(),
        Deputy.objects.count(),
        Seat.objects.count(),
        Assignment.objects.count(),
    )
    users = User.objects.count()
    admin = User.objects.get(username="city-admin")
    admin.set_password("something-else-entirely")
    admin.save()

    call_command("demo", "--without-opinions", stdout=io.StringIO())

    assert set(Station.objects.values_list("code", flat=True)) == codes
    assert (
        Region.objects.count(),
        Deputy.objects.count(),
        Seat.objects.count(),
        Assignment.objects.count(),
    ) == counts
    assert User.objects.count() == users
    assert User.objects.get(username="city-admin").check_password(DEMO_PASSWORD)


def test_reset_rebuilds_the_same_demo_and_keeps_accounts(demo_db):
    before = {
        "sites": list(Station.objects.order_by("code").values_list("code", "name", "tier")),
        "deputies": sorted(Deputy.objects.values_list("name", "phone_hash")),
        "regions": Region.objects.count(),
        "units": sorted(HandlingUnit.objects.values_list("code", flat=True)),
    }
    street = Region.objects.get(code="140105001")
    custom = User.objects.create_user(
        "street-admin", password="x-very-long-pass", role=Role.DISTRICT_ADMIN, region=street
    )

    started = time.monotonic()
    call_command("demo", "--reset", "--without-opinions", stdout=io.StringIO())
    BUILD_SECONDS["reset"] = time.monotonic() - started

    after = {
        "sites": list(Station.objects.order_by("code").values_list("code", "name", "tier")),
        "deputies": sorted(Deputy.objects.values_list("name", "phone_hash")),
        "regions": Region.objects.count(),
        "units": sorted(HandlingUnit.objects.values_list("code", flat=True)),
    }
    assert after == before
    assert Assignment.objects.count() == 4906
    custom.refresh_from_db()
    assert custom.role == Role.DISTRICT_ADMIN and custom.region.code == "140105001"
    assert custom.region_id != street.pk  # re-attached to the rebuilt row
    site_manager = User.objects.get(username="site-manager")
    assert list(site_manager.stations.values_list("code", flat=True)) == ["ST140105001"]


def stats_json():
    out = io.StringIO()
    call_command("stats", "--json", stdout=out)
    return json.loads(out.getvalue())


def test_stats_json_equals_the_database_counts(demo_db):
    figures = stats_json()
    assert figures == headline_figures()
    assert figures["regions"] == {
        level.name.lower(): Region.objects.filter(level=level).count() for level in Region.Level
    }
    sites = figures["sites"]
    assert sites["total"] == Station.objects.count() == 546
    assert sites["stations"] == Station.objects.filter(kind="station").count()
    assert sites["points"] == Station.objects.filter(kind="point").count()
    assert sites["stations"] + sites["points"] == 546
    assert sites["active"] == 546
    assert sites["by_tier"] == {t: Station.objects.filter(tier=t).count() for t in Station.Tier.values}
    assert (sites["exemplary_stations"], sites["exemplary_points"]) == (43, 57)
    townships = Region.objects.filter(level=Region.Level.TOWNSHIP).count()
    assert figures["townships"] == {"total": townships, "covered": townships}
    assert figures["deputies"]["persons"] == figures["deputies"]["active"] == 4906
    assert (
        figures["deputies"]["with_multiple_seats"]
        == Deputy.objects.annotate(n=Count("seats")).filter(n__gt=1).count()
    )
    assert figures["seats_by_level"] == {lv: Seat.objects.filter(level=lv).count() for lv in Level.values}
    assert figures["assignments"] == {"current": 4906, "leaders": 546}
    assert figures["coverage"] == {
        "deputies_without_site": 0,
        "sites_without_deputies": 0,
        "sites_with_single_level": 0,
    }
    assert figures["handling_units"]["total"] == HandlingUnit.objects.count()
    from lianxin.campaigns.models import Application, Designation

    campaigns = figures["campaigns"]
    assert (campaigns["designated_stations"], campaigns["designated_points"]) == (43, 57)
    assert campaigns["applications"] == Application.objects.exclude(status="draft").count() > 100
    assert campaigns["audited"] == Application.objects.filter(campaign__year=2023, status="recommended").count()
    assert Designation.objects.count() == 100


def test_stats_change_when_a_site_or_deputy_is_added(demo_db):
    before = stats_json()
    village = Region.objects.filter(level=Region.Level.VILLAGE).exclude(stations__isnull=False).first()
    station = Station.objects.get(region=village.parent, kind=Station.Kind.STATION)
    Station.objects.create(
        code="PT-NEW",
        name="新建联络点",
        kind=Station.Kind.POINT,
        region=village,
        parent=station,
        address="某路1号",
        latitude=37.8,
        longitude=112.5,
        contact_name="王",
        contact_phone="0351-1234567",
        opening_hours="周一至周五",
        tier=Station.Tier.EXEMPLARY,
    )
    Deputy.objects.create(name="新代表", gender="f", phone="13900000000")

    after = stats_json()
    assert after["sites"]["total"] == before["sites"]["total"] + 1
    assert after["sites"]["points"] == before["sites"]["points"] + 1
    assert after["sites"]["exemplary_points"] == before["sites"]["exemplary_points"] + 1
    assert after["coverage"]["sites_without_deputies"] == 1
    assert after["deputies"]["persons"] == before["deputies"]["persons"] + 1
    assert after["coverage"]["deputies_without_site"] == 1


def test_stats_table_and_region_filter(demo_db):
    out = io.StringIO()
    call_command("stats", stdout=out)
    assert "546" in out.getvalue()
    out = io.StringIO()
    call_command("stats", "--json", "--region", "140105", stdout=out)
    district = json.loads(out.getvalue())
    assert district["regions"]["county"] == 1 and district["regions"]["city"] == 0
    assert (
        district["sites"]["total"]
        == Station.objects.filter(region_path__startswith="/140000/140100/140105/").count()
    )
    assert 0 < district["sites"]["total"] < 546


def test_stats_count_a_single_level_site_and_an_uncovered_township(demo_db):
    site = Station.objects.get(code="ST140105001")
    keep = Assignment.objects.current().filter(station=site).order_by("id").first()
    level = Seat.objects.filter(deputy=keep.deputy_id).values_list("level", flat=True).first()
    others = Assignment.objects.current().filter(station=site).exclude(pk=keep.pk)
    others.exclude(deputy__seats__level=level).update(ended_on="2024-01-01")
    others.filter(deputy__seats__level__in=[lv for lv in Level.values if lv != level]).update(
        ended_on="2024-01-01"
    )
    Seat.objects.filter(deputy=keep.deputy_id).exclude(level=level).delete()
    Station.objects.filter(code="ST140106001").update(status=Station.Status.INACTIVE)

    figures = headline_figures()
    assert figures["coverage"]["sites_with_single_level"] == 1
    assert figures["townships"]["covered"] == figures["townships"]["total"] - 1
    assert figures["sites"]["active"] == 545


def test_demo_has_opinion_categories_and_default_deadline_rules(demo_db):
    from lianxin.opinions.models import Category, DeadlineRule

    assert Category.objects.filter(active=True).count() >= 8
    assert DeadlineRule.objects.filter(category__isnull=True).count() == 3

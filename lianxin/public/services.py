"""The public side's reads: the site directory, nearest sites, a site with its deputies, a deputy.

Everything here is for citizens without an account: only active sites (``Station.objects.active()``)
and public deputies (``Deputy.objects.public()``) are ever returned, and a deputy is loaded without
phone, home region or coordinates (``only()``), so no page can show them by mistake.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote

from django.conf import settings
from django.db.models import ExpressionWrapper, F, FloatField, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Cast
from django.http import Http404
from django.urls import reverse

from lianxin.core.pagination import Page, keyset_page
from lianxin.deputies.models import LEVEL_ORDER, Assignment, Deputy, Seat
from lianxin.regions.models import Region, subtree_q
from lianxin.stations.models import Station

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE_LAT = 111.2
# Ordering of the public list: served by station_status_idx (status, region_path) and the
# primary key; the trailing id makes the keyset cursor unambiguous.
DIRECTORY_ORDERING = ("region_path", "code", "id")
# Township names matched by a keyword are turned into subtree filters; a keyword as short as
# "街道" matches thousands of townships nationally, so only the first few count.
MAX_KEYWORD_REGIONS = 50


# --- regions -------------------------------------------------------------------------------------


def deployment_root() -> Region | None:
    """The region the deployment is rooted at: descend from the top while the tree has one branch.

    With the Taiyuan data (山西省 → 太原市 → ten districts) this is 太原市; a national deployment
    stops at the country. A handful of indexed queries, one per level of the single branch.
    """
    level: list[Region] = list(Region.objects.filter(parent__isnull=True)[:2])
    root: Region | None = None
    while len(level) == 1:
        root = level[0]
        level = list(Region.objects.filter(parent=root)[:2])
    return root


def directory_districts(root: Region | None = None) -> list[Region]:
    """The root's children: the districts/counties of a city, the provinces of the country.

    No per-district site counts here: at national scale they are aggregates for roll-up
    tables, not for a page every citizen opens.
    """
    if root is None:
        root = deployment_root()
    if root is None:
        return []
    return list(Region.objects.filter(parent=root).order_by("code"))


def district_code_of(station: Station, root: Region) -> str:
    """The code of the root's child that contains the station, read from its materialised path."""
    codes = station.region_path.strip("/").split("/")
    depth = len(root.path.strip("/").split("/"))
    return codes[depth] if len(codes) > depth else ""


# --- directory -----------------------------------------------------------------------------------


def search_sites(keyword: str = "", district: Region | None = None) -> QuerySet[Station]:
    """Active sites, optionally within a district and matching a keyword.

    The keyword matches the site's name, its address or the name of its township/street (or of
    any region above the site, so a point under 坞城街道 is found by "坞城").
    """
    sites = Station.objects.active().select_related("region")
    if district is not None:
        sites = sites.in_region(district)
    keyword = keyword.strip()
    if keyword:
        condition = Q(name__icontains=keyword) | Q(address__icontains=keyword)
        regions = Region.objects.filter(name__icontains=keyword, level__gte=Region.Level.TOWNSHIP)
        if district is not None:
            regions = regions.subtree(district)
        for path in regions.order_by("path").values_list("path", flat=True)[:MAX_KEYWORD_REGIONS]:
            condition |= subtree_q("region_path", path)
        sites = sites.filter(condition)
    return sites


def directory_page(
    keyword: str = "", district: Region | None = None, cursor: str | None = None, size: int | None = None
) -> Page:
    """One keyset page of the directory (never OFFSET: page 500 costs what page 1 costs)."""
    return keyset_page(search_sites(keyword, district), DIRECTORY_ORDERING, cursor, size or settings.PAGE_SIZE)


@dataclass
class DistrictGroup:
    district: Region | None
    sites: list[Station] = field(default_factory=list)


def group_by_district(sites: Iterable[Station], districts: list[Region], root: Region | None) -> list[DistrictGroup]:
    """Consecutive runs of sites in the same district (the list is ordered by region path)."""
    by_code = {d.code: d for d in districts}
    groups: list[DistrictGroup] = []
    for site in sites:
        district = by_code.get(district_code_of(site, root)) if root is not None else None
        if not groups or groups[-1].district != district:
            groups.append(DistrictGroup(district))
        groups[-1].sites.append(site)
    return groups


# --- nearest sites -------------------------------------------------------------------------------


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _box(lat: float, lng: float, radius_km: float) -> Q:
    """A latitude/longitude box containing every point within ``radius_km`` of (lat, lng)."""
    dlat = radius_km / KM_PER_DEGREE_LAT
    condition = Q(latitude__gte=max(-90.0, lat - dlat), latitude__lte=min(90.0, lat + dlat))
    cos_lat = math.cos(math.radians(min(89.9, abs(lat) + dlat)))
    dlng = radius_km / (KM_PER_DEGREE_LAT * cos_lat) if cos_lat > 0 else 360.0
    if dlng < 180:
        west, east = lng - dlng, lng + dlng
        if west < -180:  # the box crosses the antimeridian
            condition &= Q(longitude__gte=west + 360) | Q(longitude__lte=east)
        elif east > 180:
            condition &= Q(longitude__gte=west) | Q(longitude__lte=east - 360)
        else:
            condition &= Q(longitude__gte=west, longitude__lte=east)
    return condition


@dataclass
class NearbySite:
    site: Station
    distance_km: float


def nearest_sites(lat: float, lng: float, limit: int = 10, start_radius_km: float = 3.0) -> list[NearbySite]:
    """The ``limit`` active sites nearest to (lat, lng), nearest first, with their distance.

    A bounding box in SQL (station_geo_idx on latitude, longitude) finds candidates; the box
    widens until it holds ``limit`` active sites whose exact (haversine) distance is within its
    radius, so that no site outside the box can be nearer. Inside the box the database keeps only
    the nearest few by a flat-earth distance (an index-only scan and a top-N sort, so a box that
    covers 50,000 sites still returns a few dozen rows); Python ranks those by haversine.
    """
    half_circumference = math.pi * EARTH_RADIUS_KM
    # Flat-earth distance² in degrees, longitude shrunk by cos(latitude): ranks like the true
    # distance to well under 1% at the scale of a city, enough to pick the candidates.
    shrink = max(0.01, math.cos(math.radians(lat)))
    d_lat = F("lat_f") - Value(lat)
    d_lng = (F("lng_f") - Value(lng)) * Value(shrink)
    flat = ExpressionWrapper(d_lat * d_lat + d_lng * d_lng, output_field=FloatField())
    radius, cap = start_radius_km, 3 * limit
    while True:
        # No status filter in this query: SQLite, lacking ANALYZE statistics, would then pick
        # station_status_idx and read every active site. Deactivated ones are dropped below.
        nearest_in_box = list(
            Station.objects.filter(_box(lat, lng, radius))
            .annotate(lat_f=Cast("latitude", FloatField()), lng_f=Cast("longitude", FloatField()))
            .annotate(flat=flat)
            .order_by("flat", "pk")
            .values_list("pk", "lat_f", "lng_f")[:cap]
        )
        if len(nearest_in_box) < limit and radius < half_circumference:
            radius = min(half_circumference, radius * 4)  # too few sites of any status: widen
            continue
        sites = Station.objects.active().select_related("region").in_bulk([pk for pk, _, _ in nearest_in_box])
        candidates = sorted(
            (haversine_km(lat, lng, c_lat, c_lng), pk) for pk, c_lat, c_lng in nearest_in_box if pk in sites
        )
        if len(nearest_in_box) == cap and len(candidates) < limit:
            cap *= 4  # many deactivated sites among the nearest: look further down the list
            continue
        if radius >= half_circumference:
            break
        if len(candidates) >= limit and candidates[limit - 1][0] <= radius:
            break
        if len(candidates) >= limit:
            # The limit-th lies beyond the radius, so a nearer site may sit just outside the
            # box's edge: widening to that distance settles it.
            radius = min(half_circumference, candidates[limit - 1][0] * 1.001 + 0.01)
        else:
            radius = min(half_circumference, radius * 4)
    return [NearbySite(sites[pk], round(distance, 2)) for distance, pk in candidates[:limit]]


# --- site and deputy pages -----------------------------------------------------------------------


def current_seats() -> Prefetch:
    return Prefetch("seats", queryset=Seat.objects.current().select_related("constituency"), to_attr="public_seats")


def seat_levels(deputy: Deputy) -> list[Seat]:
    """A deputy's current seats, highest level first (for the level badges)."""
    return sorted(getattr(deputy, "public_seats", []), key=lambda seat: (LEVEL_ORDER.get(seat.level, 99), -seat.term))


@dataclass
class SiteMember:
    deputy: Deputy
    is_leader: bool
    seats: list[Seat]


@dataclass
class SitePage:
    site: Station
    members: list[SiteMember]
    region_name: str
    points: list[Station]

    @property
    def tel_href(self) -> str:
        return tel_href(self.site.contact_phone)

    @property
    def geo_uri(self) -> str:
        return geo_uri(self.site)


def tel_href(phone: str) -> str:
    """A tap-to-call link: digits and a leading + only ("0351-1234567" → "tel:03511234567")."""
    digits = re.sub(r"[^\d+]", "", phone or "")
    return f"tel:{digits}" if digits else ""


def geo_uri(site: Station) -> str:
    """RFC 5870 geo: URI with a label; phones hand it to whatever map app is installed."""
    where = f"{site.latitude},{site.longitude}"
    return f"geo:{where}?q={where}({quote(site.name)})"


def site_with_deputies(code: str) -> SitePage:
    """An active site, its public deputies (group leader first, then by level) and its points."""
    try:
        site = Station.objects.active().select_related("region", "parent").get(code=code)
    except Station.DoesNotExist:
        raise Http404("No such liaison site") from None
    if site.parent is not None and not site.parent.is_active:
        site.parent = None
    assignments = (
        Assignment.objects.current()
        .filter(station=site, deputy__in=Deputy.objects.public())
        .select_related("deputy")
        # no phone: its decryption would cost a Fernet call per deputy, for nothing shown
        .only("id", "role", "station_id", "deputy__id", "deputy__name", "deputy__public_code")
        .prefetch_related(Prefetch("deputy__seats", queryset=Seat.objects.current(), to_attr="public_seats"))
    )
    members = [
        SiteMember(a.deputy, a.role == Assignment.Role.LEADER, seat_levels(a.deputy)) for a in assignments
    ]
    members.sort(
        key=lambda m: (
            not m.is_leader,
            min((LEVEL_ORDER.get(s.level, 99) for s in m.seats), default=99),
            m.deputy.name,
            m.deputy.pk,
        )
    )
    points = list(Station.objects.active().filter(parent=site).order_by("code")) if site.kind == Station.Kind.STATION else []
    return SitePage(site, members, region_full_name(site.region), points)


def region_full_name(region: Region) -> str:
    """Names from the city down (太原市 小店区 坞城街道), one query."""
    codes = [code for code in region.path.strip("/").split("/") if code]
    names = dict(
        Region.objects.filter(code__in=codes, level__gte=Region.Level.CITY).values_list("code", "name")
    )
    return " ".join(names[code] for code in codes if code in names)


@dataclass
class DeputyPage:
    deputy: Deputy
    seats: list[Seat]
    sites: list[tuple[Station, bool]]


def deputy_profile(public_code: str) -> DeputyPage:
    """A public deputy's seats (level, term, constituency) and the active sites where they receive."""
    assignments = Prefetch(
        "assignments",
        queryset=Assignment.objects.current()
        .filter(station__in=Station.objects.active())
        .select_related("station")
        .order_by("station__region_path", "station__code"),
        to_attr="public_assignments",
    )
    try:
        # only(): the page never loads the phone, home region or coordinates at all.
        deputy = (
            Deputy.objects.public()
            .only("id", "name", "gender", "occupation", "bio", "public_code", "active")
            .prefetch_related(current_seats(), assignments)
            .get(public_code=public_code)
        )
    except Deputy.DoesNotExist:
        raise Http404("No such deputy") from None
    sites = [(a.station, a.role == Assignment.Role.LEADER) for a in deputy.public_assignments]  # type: ignore[attr-defined]
    return DeputyPage(deputy, seat_levels(deputy), sites)


# --- QR codes ------------------------------------------------------------------------------------


def public_url(path: str) -> str:
    """The absolute URL citizens reach: PUBLIC_BASE_URL, not the host of whoever made the request."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def qr_payload_for_station(station: Station) -> str:
    return public_url(reverse("public:site", args=[station.code]))


def qr_payload_for_deputy(deputy: Deputy) -> str:
    return public_url(reverse("public:deputy", args=[deputy.public_code]))


def active_site_or_404(code: str) -> Station:
    try:
        return Station.objects.active().select_related("region").get(code=code)
    except Station.DoesNotExist:
        raise Http404("No such liaison site") from None


def public_deputy_or_404(public_code: str) -> Deputy:
    try:
        return Deputy.objects.public().only("id", "name", "public_code", "active").get(public_code=public_code)
    except Deputy.DoesNotExist:
        raise Http404("No such deputy") from None

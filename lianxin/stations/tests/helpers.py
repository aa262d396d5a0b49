"""Shared bits for the site tests: a valid form submission and a bulk maker of sites."""

from decimal import Decimal

from lianxin.stations.models import Station
from lianxin.testing import make_station


def station_data(region, **changes):
    data = {
        "code": "S-NEW-001",
        "name": "新建人大代表联络站",
        "kind": Station.Kind.STATION,
        "region": region.pk,
        "parent": "",
        "tier": Station.Tier.NONE,
        "address": "坞城路100号",
        "latitude": "37.812345",
        "longitude": "112.581234",
        "contact_name": "陈联络",
        "contact_phone": "13800001111",
        "opening_hours": "周一至周五 9:00-17:00",
        "reception_days": "每月第一个周五",
        "facilities": ["reception_room", "opinion_box"],
        "description": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def edit_data(station, **changes):
    """The edit form as a browser would submit it, unchanged apart from ``changes``."""
    data = {
        "code": station.code,
        "name": station.name,
        "kind": station.kind,
        "region": station.region_id,
        "parent": station.parent_id or "",
        "tier": station.tier,
        "address": station.address,
        "latitude": str(station.latitude),
        "longitude": str(station.longitude),
        "contact_name": station.contact_name,
        "contact_phone": station.contact_phone,
        "opening_hours": station.opening_hours,
        "reception_days": station.reception_days,
        "facilities": list(station.facilities),
        "description": station.description,
    }
    data.update(changes)
    return data


def many_stations(region, count, prefix="S-BULK"):
    return [
        make_station(f"{prefix}-{index:03d}", f"批量联络站{index:03d}", region,
                     latitude=Decimal("37.8"), longitude=Decimal("112.5"))
        for index in range(count)
    ]

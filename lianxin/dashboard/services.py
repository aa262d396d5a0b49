"""Headline figures, computed from rows (never stored constants)."""

from typing import Any

from lianxin.deputies.models import Assignment, Deputy
from lianxin.stations.models import Station
from lianxin.units.models import HandlingUnit


def scoped_figures(user: Any) -> dict[str, int]:
    stations = Station.objects.visible_to(user).active()
    return {
        "stations": stations.filter(kind=Station.Kind.STATION).count(),
        "points": stations.filter(kind=Station.Kind.POINT).count(),
        "deputies": Deputy.objects.visible_to(user).active().count(),
        "assignments": Assignment.objects.visible_to(user).current().count(),
        "units": HandlingUnit.objects.visible_to(user).active().count(),
    }

"""``lianxin stats [--json] [--region CODE]``: the headline figures, counted from the database."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lianxin.dashboard.stats import headline_figures
from lianxin.deputies.models import Level
from lianxin.opinions.models import Satisfaction, Status
from lianxin.regions.models import Region
from lianxin.stations.models import Station

SECTIONS = {
    "regions": gettext_lazy("Regions"),
    "sites": gettext_lazy("Liaison sites"),
    "townships": gettext_lazy("Townships and streets"),
    "deputies": gettext_lazy("Deputies"),
    "seats_by_level": gettext_lazy("Seats by level"),
    "assignments": gettext_lazy("Current assignments"),
    "coverage": gettext_lazy("Coverage gaps"),
    "handling_units": gettext_lazy("Handling units"),
    "activities": gettext_lazy("Deputies' activities at the sites"),
    "opinions": gettext_lazy("Citizens' opinions"),
}
LABELS = {
    "total": gettext_lazy("Total"),
    "stations": gettext_lazy("Stations"),
    "points": gettext_lazy("Points"),
    "active": gettext_lazy("Active"),
    "by_tier": gettext_lazy("By tier"),
    "exemplary_stations": gettext_lazy("Exemplary stations"),
    "exemplary_points": gettext_lazy("Exemplary points"),
    "covered": gettext_lazy("Covered by a station"),
    "persons": gettext_lazy("Persons"),
    "with_multiple_seats": gettext_lazy("Persons holding several seats"),
    "current": gettext_lazy("Deputies assigned to a site"),
    "leaders": gettext_lazy("Group leaders"),
    "deputies_without_site": gettext_lazy("Deputies without a site"),
    "sites_without_deputies": gettext_lazy("Sites without deputies"),
    "sites_with_single_level": gettext_lazy("Sites with deputies of a single level"),
    "held": gettext_lazy("Activities held"),
    "by_kind": gettext_lazy("By kind"),
    "deputy_attendances": gettext_lazy("Deputies present (attendances)"),
    "deputies_expected": gettext_lazy("Deputies expected"),
    "heard": gettext_lazy("Opinions heard"),
    "resolved": gettext_lazy("Closed as resolved"),
    "not_resolved": gettext_lazy("Closed as not resolved"),
    "overdue": gettext_lazy("Open and overdue"),
    "escalated": gettext_lazy("Escalated at least once"),
    "reopened": gettext_lazy("Reopened after an unsatisfied rating"),
    "by_status": gettext_lazy("By status"),
    "satisfaction": gettext_lazy("Last rating"),
    "satisfaction_rate": gettext_lazy("Satisfied or basically satisfied, per cent of rated cases"),
}


def _label(section: str, key: str) -> str:
    if section == "regions":
        return str(Region.Level[key.upper()].label)
    if section == "seats_by_level":
        return str(Level(key).label)
    if section == "by_tier":
        return str(Station.Tier(key).label)
    if section == "by_kind":
        from lianxin.activities.models import Kind

        return str(Kind(key).label)
    if section == "by_status":
        return str(Status(key).label)
    if section == "satisfaction":
        return str(Satisfaction(key).label)
    return str(LABELS.get(key, key))


class Command(BaseCommand):
    help = "Print the headline figures (regions, sites, deputies, assignments, coverage, opinions), counted from the database."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
        parser.add_argument("--region", metavar="CODE", help="only this division code's subtree, e.g. 140105")

    def handle(self, *args: Any, json: bool, region: str | None, **options: Any) -> None:
        area = None
        if region:
            area = Region.objects.filter(code=region).first()
            if area is None:
                raise CommandError(_("No region has the division code %(code)s.") % {"code": region})
        figures = headline_figures(area)
        if json:
            self.stdout.write(_dumps(figures))
            return
        # Numbers first: a right-aligned column needs no knowledge of how wide Chinese labels print.
        for section, values in figures.items():
            self.stdout.write(self.style.MIGRATE_HEADING(str(SECTIONS.get(section, section))))
            for key, value in values.items():
                if isinstance(value, dict):
                    self.stdout.write(f"  {'':>8}  {_label(section, key)}")
                    for sub, number in value.items():
                        self.stdout.write(f"  {number:>8,}    {_label(key, sub)}")
                elif isinstance(value, float):
                    self.stdout.write(f"  {value:>8.1f}  {_label(section, key)}")
                else:
                    self.stdout.write(f"  {value:>8,}  {_label(section, key)}")


def _dumps(figures: dict[str, Any]) -> str:
    return json.dumps(figures, ensure_ascii=False, indent=2)

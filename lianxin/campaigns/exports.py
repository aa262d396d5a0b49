"""The Excel list of a campaign's designations (staff view and ``campaign_designations --xlsx``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from lianxin.regions.models import Region
from lianxin.stations.models import Station

from .models import Application, Campaign, Designation


def headers() -> list[str]:
    return [_("Site code"), _("Site"), _("Kind"), _("District"), _("Township or street"), _("Address"),
            _("Tier"), _("Year"), _("Certificate number"), _("Final score"), pgettext("ranking", "Rank")]


def rows(campaign: Campaign) -> Iterator[Sequence[Any]]:
    """One row per current designation of the campaign, stations first, by rank (three queries)."""
    designations = list(Designation.objects.current().filter(campaign=campaign)
                        .select_related("station__region", "application")
                        .order_by("certificate_no"))
    designations.sort(key=lambda d: (d.station.kind != Station.Kind.STATION,
                                     d.application.rank if d.application and d.application.rank else 10**9))
    codes = set()
    for designation in designations:
        codes.update(designation.station.region_path.strip("/").split("/"))
    regions = {region.code: region for region in Region.objects.filter(code__in=codes)}
    root_depth = len(campaign.region.path.strip("/").split("/")) if campaign.region_id else 0
    for designation in designations:
        station = designation.station
        path = station.region_path.strip("/").split("/")
        district = regions.get(path[root_depth]) if len(path) > root_depth else None
        township = regions.get(path[root_depth + 1]) if len(path) > root_depth + 1 else None
        application: Application | None = designation.application
        yield [
            station.code, station.name, station.get_kind_display(), district.name if district else "",
            township.name if township else "", station.address, designation.get_tier_display(), designation.year,
            designation.certificate_no,
            float(application.final_score) if application and application.final_score is not None else None,
            application.rank if application else None,
        ]


def filename(campaign: Campaign) -> str:
    return _("designations-%(year)s.xlsx") % {"year": campaign.year}


def write_xlsx(campaign: Campaign, target: Any) -> int:
    """Write the workbook to ``target`` (a path or a binary file); returns the number of rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(campaign.year)
    sheet.append(headers())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    count = 0
    for row in rows(campaign):
        sheet.append(list(row))
        count += 1
    sheet.freeze_panes = "A2"
    workbook.save(target)
    return count


def xlsx_response(campaign: Campaign) -> Any:
    from lianxin.core.export import xlsx_response as respond

    return respond(filename(campaign), headers(), rows(campaign))

"""``{% site_designations site as designations %}``: a site's current published designations (one query)."""

from __future__ import annotations

from django import template

from lianxin.stations.models import Station

register = template.Library()


@register.simple_tag
def site_designations(site: Station) -> list:
    from lianxin.campaigns.models import Designation

    return list(Designation.objects.current().filter(station=site, campaign__published_at__isnull=False)
                .order_by("-year"))

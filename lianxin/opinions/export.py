"""Excel export of a filtered case list, with personal data masked unless the reader is an admin.

Every export is written to the audit log (who, how many rows, which filters): a list of citizens'
matters leaving the system is itself worth a record.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.accounts.audit import log_action
from lianxin.accounts.models import ADMIN_ROLES, User
from lianxin.core.export import xlsx_response

from .models import Opinion

ORDER = ("-created_at", "-id")
BATCH = 1000


def sees_personal_data(user: User) -> bool:
    return user.is_superuser or user.role in ADMIN_ROLES


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def export_opinions(request: HttpRequest, user: User, opinions: QuerySet[Opinion],
                    filters: dict[str, Any]) -> HttpResponse:
    full = sees_personal_data(user)
    headers = [_("Tracking code"), _("Submitted on"), _("Status"), _("Outcome"), _("Channel"), _("Category"),
               _("Urgency"), _("Title"), _("Content"), _("Site"), _("Deputy"), _("Handling unit"), _("Due"),
               _("Citizen's name"), _("Citizen's phone"), _("Satisfaction"), _("Me too")]
    count = opinions.count()
    log_action(user, "opinion.export", None, {"rows": count, "filters": filters, "personal_data": full}, request)

    def rows() -> Iterator[list[Any]]:
        for op in opinions.order_by(*ORDER).iterator(chunk_size=BATCH):
            yield [
                op.tracking_code, _when(op.created_at), op.get_status_display(), op.get_outcome_display()
                if op.outcome else "", op.get_channel_display(), str(op.category), op.get_urgency_display(),
                op.title, op.text, op.station.name if op.station else "", op.deputy.name if op.deputy else "",
                op.unit.name if op.unit else "", _when(op.due_at),
                op.citizen_name if full else op.masked_name, op.citizen_phone if full else op.masked_phone,
                op.get_satisfaction_display() if op.satisfaction else "", op.supporters,
            ]

    return xlsx_response(_("opinions.xlsx"), headers, rows())

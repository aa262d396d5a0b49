"""Excel export of the filtered case list: the same rows, personal data masked unless admin, audit entry."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from lianxin.accounts.models import AuditEntry, Role
from lianxin.opinions.tests import staff_helpers
from lianxin.opinions.tests.staff_helpers import submit

# shared fixtures
category, english, frozen = staff_helpers.category, staff_helpers.english, staff_helpers.frozen

pytestmark = pytest.mark.usefixtures("frozen", "english")
URL = reverse("opinions:list")


def sheet(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    return rows[0], rows[1:]


@pytest.fixture
def two(world, category):
    return (submit(category, world.station_a, title="噪音扰民", text="夜间施工"),
            submit(category, world.station_a, title="停车难", text="车位不足", citizen_name="李四",
                   citizen_phone="13600003333"))


def test_site_manager_export_is_filtered_and_masked(world, two, client_for):
    response = client_for(world.users[Role.SITE_MANAGER]).get(URL, {"q": "停车", "export": "xlsx"})
    headers, rows = sheet(response)
    assert len(rows) == 1
    row = dict(zip(headers, rows[0], strict=True))
    assert row["Tracking code"] == two[1].tracking_code and row["Title"] == "停车难"
    assert row["Citizen's name"] == "李*" and row["Citizen's phone"] == "136****3333"
    entry = AuditEntry.objects.get(action="opinion.export")
    assert entry.actor == world.users[Role.SITE_MANAGER]
    assert entry.data["rows"] == 1 and entry.data["filters"]["q"] == "停车" and entry.data["personal_data"] is False


def test_admin_export_has_full_personal_data(world, two, client_for):
    headers, rows = sheet(client_for(world.users[Role.DISTRICT_ADMIN]).get(URL, {"export": "xlsx"}))
    values = [dict(zip(headers, row, strict=True)) for row in rows]
    assert {v["Citizen's phone"] for v in values} == {"13900001111", "13600003333"}
    assert AuditEntry.objects.get(action="opinion.export").data["personal_data"] is True


def test_export_respects_scope(world, two, client_for):
    _headers, rows = sheet(client_for(world.outsider).get(URL, {"export": "xlsx"}))
    assert rows == []

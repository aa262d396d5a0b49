from django.urls import reverse

from lianxin.accounts.models import AuditEntry, Role
from lianxin.units.models import HandlingUnit

CREATE = reverse("units:create")


def unit_data(region, **changes):
    data = {
        "code": "U-NEW-01", "name": "小店区交通运输局", "kind": "department", "region": region.pk,
        "contact_name": "周科长", "contact_phone": "0351-5550000", "address": "", "duties": "道路交通",
    }
    data.update(changes)
    return data


def edit_data(unit, **changes):
    data = {
        "code": unit.code, "name": unit.name, "kind": unit.kind, "region": unit.region_id,
        "contact_name": unit.contact_name, "contact_phone": unit.contact_phone, "address": unit.address,
        "duties": unit.duties,
    }
    data.update(changes)
    return data


def test_district_admin_creates_a_unit_in_its_area_audited(world, client_for):
    user = world.users[Role.DISTRICT_ADMIN]
    response = client_for(user).post(CREATE, unit_data(world.district_a))
    unit = HandlingUnit.objects.get(code="U-NEW-01")
    assert response.status_code == 302
    assert AuditEntry.objects.get(action="unit.create", target_id=str(unit.pk)).actor == user


def test_district_admin_cannot_create_in_another_district(world, client_for):
    before = HandlingUnit.objects.count()
    response = client_for(world.outsider).post(CREATE, unit_data(world.district_a))
    assert response.status_code == 200
    assert "region" in response.context["form"].errors
    assert HandlingUnit.objects.count() == before


def test_other_roles_get_403(world, client_for):
    for role in (Role.SITE_MANAGER, Role.DEPUTY, Role.UNIT_STAFF, Role.AUDITOR):
        client = client_for(world.users[role])
        assert client.post(CREATE, unit_data(world.district_a)).status_code == 403
        assert client.post(reverse("units:edit", args=[world.unit_a.pk]), edit_data(world.unit_a)).status_code == 403
        assert client.post(reverse("units:deactivate", args=[world.unit_a.pk]), {"reason": "x"}).status_code == 403
    assert not HandlingUnit.objects.filter(code="U-NEW-01").exists()


def test_bad_input_is_rejected_in_chinese_and_saves_nothing(world, client_for):
    client = client_for(world.users[Role.CITY_ADMIN])
    before = HandlingUnit.objects.count()
    cases = [({"name": ""}, "name", "这个字段是必填项。"),
             ({"code": world.unit_b.code}, "code", "该编码已被其他承办单位使用，请更换编码。"),
             ({"contact_phone": "110"}, "contact_phone", "电话号码")]
    for changes, field, message in cases:
        response = client.post(CREATE, unit_data(world.district_a, **changes))
        assert response.status_code == 200
        assert message in " ".join(response.context["form"].errors[field])
    assert HandlingUnit.objects.count() == before


def test_edit_is_audited_with_old_and_new(world, client_for):
    client = client_for(world.users[Role.CITY_ADMIN])
    response = client.post(reverse("units:edit", args=[world.unit_a.pk]), edit_data(world.unit_a, contact_name="新科长"))
    assert response.status_code == 302
    world.unit_a.refresh_from_db()
    assert world.unit_a.contact_name == "新科长"
    entry = AuditEntry.objects.get(action="unit.update")
    assert entry.data["changes"] == {"contact_name": {"old": "张科长", "new": "新科长"}}


def test_district_admin_gets_404_for_a_unit_of_another_district(world, client_for):
    client = client_for(world.outsider)
    assert client.get(reverse("units:detail", args=[world.unit_a.pk])).status_code == 404
    assert client.post(reverse("units:edit", args=[world.unit_a.pk]), edit_data(world.unit_a, name="x")).status_code == 404
    world.unit_a.refresh_from_db()
    assert world.unit_a.name == "小店区住房和城乡建设局"


def test_deactivate_needs_a_reason_and_is_audited(world, client_for):
    client = client_for(world.users[Role.DISTRICT_ADMIN])
    url = reverse("units:deactivate", args=[world.unit_a.pk])
    assert client.post(url, {"reason": ""}).status_code == 200
    world.unit_a.refresh_from_db()
    assert world.unit_a.active
    assert client.post(url, {"reason": "机构改革撤并"}).status_code == 302
    world.unit_a.refresh_from_db()
    assert not world.unit_a.active
    entry = AuditEntry.objects.get(action="unit.deactivate")
    assert entry.data["reason"] == "机构改革撤并"
    assert client.post(reverse("units:reactivate", args=[world.unit_a.pk]), {"reason": "恢复"}).status_code == 302
    assert AuditEntry.objects.filter(action="unit.reactivate").exists()


def test_detail_lists_the_units_staff_accounts(world, client_for):
    response = client_for(world.users[Role.CITY_ADMIN]).get(reverse("units:detail", args=[world.unit_a.pk]))
    assert response.status_code == 200
    assert [user.username for user in response.context["staff"]] == ["unit"]

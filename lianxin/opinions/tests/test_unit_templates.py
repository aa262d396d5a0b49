"""Response templates: units keep their own, the city keeps the shared ones; every change audited."""

import pytest
from django.urls import reverse

from lianxin.accounts.models import AuditEntry, Role
from lianxin.opinions.models import ResponseTemplate

pytestmark = pytest.mark.django_db
LIST = reverse("opinions:templates")
CREATE = reverse("opinions:template_create")


def test_unit_staff_create_templates_for_their_unit_audited(world, client_for):
    client = client_for(world.users["unit_staff"])
    response = client.post(CREATE, {"name": "已处理", "text": "您反映的问题已处理完毕。"})
    assert response.status_code == 302
    template = ResponseTemplate.objects.get()
    assert template.unit == world.unit_a and template.active
    assert AuditEntry.objects.filter(action="response_template.create", target_id=str(template.pk)).exists()


def test_city_admin_creates_shared_templates(world, client_for):
    client_for(world.users["city_admin"]).post(CREATE, {"name": "通用", "text": "感谢您的反映。"})
    assert ResponseTemplate.objects.get().unit is None


def test_bad_input_saves_nothing(world, client_for):
    response = client_for(world.users["unit_staff"]).post(CREATE, {"name": "", "text": " "})
    assert response.status_code == 200 and response.context["form"].errors
    assert ResponseTemplate.objects.count() == 0 and not AuditEntry.objects.exists()


@pytest.mark.parametrize("role", [Role.DISTRICT_ADMIN, Role.SITE_MANAGER, Role.DEPUTY, Role.AUDITOR])
def test_other_roles_may_not_manage_templates(world, client_for, role):
    client = client_for(world.users[role])
    assert client.get(LIST).status_code == 403
    assert client.post(CREATE, {"name": "x", "text": "y"}).status_code == 403
    assert ResponseTemplate.objects.count() == 0


def test_list_shows_only_the_templates_one_manages(world, client_for):
    mine = ResponseTemplate.objects.create(name="本单位", text="a", unit=world.unit_a)
    ResponseTemplate.objects.create(name="他单位", text="b", unit=world.unit_b)
    shared = ResponseTemplate.objects.create(name="共享", text="c")
    assert list(client_for(world.users["unit_staff"]).get(LIST).context["page"].rows) == [mine]
    assert list(client_for(world.users["city_admin"]).get(LIST).context["page"].rows) == [shared]


def test_edit_and_deactivate_are_audited_and_other_units_templates_404(world, client_for):
    mine = ResponseTemplate.objects.create(name="本单位", text="旧文本", unit=world.unit_a)
    foreign = ResponseTemplate.objects.create(name="他单位", text="b", unit=world.unit_b)
    client = client_for(world.users["unit_staff"])
    response = client.post(reverse("opinions:template_edit", args=[mine.pk]), {"name": "本单位", "text": "新文本"})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.text == "新文本"
    entry = AuditEntry.objects.get(action="response_template.update")
    assert entry.data["changes"]["text"] == {"old": "旧文本", "new": "新文本"}
    client.post(reverse("opinions:template_status", args=[mine.pk]), {"active": "0"})
    mine.refresh_from_db()
    assert not mine.active and AuditEntry.objects.filter(action="response_template.deactivate").exists()
    assert client.get(reverse("opinions:template_edit", args=[foreign.pk])).status_code == 404
    assert client.post(reverse("opinions:template_status", args=[foreign.pk]), {"active": "0"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.active

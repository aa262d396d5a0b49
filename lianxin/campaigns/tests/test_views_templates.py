"""Criteria templates: everyone staff reads them; the city makes new versions; campaigns keep theirs."""

from __future__ import annotations

from lianxin.campaigns.models import CriteriaTemplate, Criterion

from .conftest import automatic_criteria


def editor_post(template, *, change=None, drop=None, add=None, note="调整分值"):
    items = list(Criterion.objects.filter(dimension__template=template).select_related("dimension")
                 .order_by("dimension__order", "order", "id"))
    data = {"name": template.name, "description": template.description, "note": note,
            "items-INITIAL_FORMS": len(items), "items-MIN_NUM_FORMS": 0, "items-MAX_NUM_FORMS": 200}
    rows = []
    for c in items:
        row = {"dimension": c.dimension.code, "title": c.title, "guidance": c.guidance, "evidence": c.evidence,
               "max_points": str(c.max_points), "kind": c.kind, "metric": c.metric,
               "target": "" if c.target is None else str(c.target)}
        if change and c.pk == change[0]:
            row.update(change[1])
        if drop and c.pk == drop:
            row["DELETE"] = "on"
        rows.append(row)
    rows.append(add or {})
    rows.extend([{}, {}])
    data["items-TOTAL_FORMS"] = len(rows)
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"items-{i}-{key}"] = value
    return data


def test_everyone_staff_reads_templates_with_formulas(client_for, world, template, english):
    for role in ("city_admin", "district_admin", "site_manager", "auditor"):
        client = client_for(world.users[role])
        assert client.get("/staff/campaigns/templates/").status_code == 200
        page = client.get(f"/staff/campaigns/templates/{template.pk}/")
        assert page.status_code == 200
    text = page.content.decode()
    assert "divided by the number of months" in text
    assert automatic_criteria(template)[0].title in text
    assert client_for(world.users["auditor"]).get(
        f"/staff/campaigns/templates/{template.family}/new/").status_code == 403


def test_a_new_version_is_saved_and_the_campaign_keeps_its_own(client_for, world, template, campaign, english):
    client = client_for(world.users["city_admin"])
    page = client.get(f"/staff/campaigns/templates/{template.family}/new/")
    first = Criterion.objects.filter(dimension__template=template, kind="manual").first()
    assert page.status_code == 200 and first.title in page.content.decode()
    dropped = Criterion.objects.filter(dimension__template=template, kind="manual").last()
    added = {"dimension": "facilities", "title": "无障碍通道", "max_points": "2", "kind": "manual"}
    response = client.post(f"/staff/campaigns/templates/{template.family}/new/",
                           editor_post(template, change=(first.pk, {"max_points": "7"}), drop=dropped.pk, add=added))
    new = CriteriaTemplate.objects.get(family=template.family, version=template.version + 1)
    assert response.url == f"/staff/campaigns/templates/{new.pk}/"
    titles = list(Criterion.objects.filter(dimension__template=new).values_list("title", flat=True))
    assert "无障碍通道" in titles and dropped.title not in titles
    assert Criterion.objects.get(dimension__template=new, title=first.title).max_points == 7
    assert new.note == "调整分值"
    campaign.refresh_from_db()
    assert campaign.template_id == template.pk
    assert Criterion.objects.get(pk=first.pk).max_points == first.max_points


def test_bad_rows_are_shown_inline_and_nothing_is_saved(client_for, world, template, english):
    client = client_for(world.users["city_admin"])
    bad = {"dimension": "effectiveness", "title": "自动项", "max_points": "5", "kind": "automatic"}
    response = client.post(f"/staff/campaigns/templates/{template.family}/new/", editor_post(template, add=bad))
    assert response.status_code == 400
    assert "An automatic item needs a figure." in response.content.decode()
    assert CriteriaTemplate.objects.filter(family=template.family).count() == 1
    response = client.post(f"/staff/campaigns/templates/{template.family}/new/", editor_post(template, note=""))
    assert response.status_code == 400
    assert CriteriaTemplate.objects.filter(family=template.family).count() == 1


def test_the_editor_shows_totals_per_dimension(client_for, world, template, english):
    page = client_for(world.users["city_admin"]).get(f"/staff/campaigns/templates/{template.family}/new/")
    totals = page.content.decode().split('data-testid="dimension-totals"', 1)[1].split("</table>", 1)[0]
    expected = sum(c.max_points for c in Criterion.objects.filter(dimension__template=template))
    assert f"<td class=\"text-end\">{expected}</td>" in totals


def test_more_empty_rows_on_request(client_for, world, template):
    client = client_for(world.users["city_admin"])
    items = Criterion.objects.filter(dimension__template=template).count()
    page = client.get(f"/staff/campaigns/templates/{template.family}/new/?rows=8").content.decode()
    assert f'name="items-TOTAL_FORMS" value="{items + 8}"' in page

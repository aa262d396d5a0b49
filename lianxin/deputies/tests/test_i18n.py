from django.urls import reverse


def test_pages_render_in_chinese_by_default_and_in_english(client_for, world):
    client = client_for(world.users["city_admin"])
    pages = [
        reverse("deputies:list"),
        reverse("deputies:detail", args=[world.deputy_a.pk]),
        reverse("deputies:station_group", args=[world.station_b.pk]),
    ]
    for url in pages:
        html = client.get(url).content.decode()
        assert "层级" in html and "Level" not in html
    client.cookies["django_language"] = "en"
    for url in pages:
        html = client.get(url).content.decode()
        assert "Level" in html and "层级" not in html

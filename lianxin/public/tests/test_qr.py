import pytest

from lianxin.public import services


def test_station_qr_payload_is_the_public_url_from_settings(world, settings):
    settings.PUBLIC_BASE_URL = "https://lianxin.example.gov.cn"
    assert services.qr_payload_for_station(world.station_a) == f"https://lianxin.example.gov.cn/s/{world.station_a.code}/"


def test_deputy_qr_payload_is_the_public_url_from_settings(world, settings):
    settings.PUBLIC_BASE_URL = "https://lianxin.example.gov.cn/"
    assert (
        services.qr_payload_for_deputy(world.deputy_a)
        == f"https://lianxin.example.gov.cn/d/{world.deputy_a.public_code}/"
    )


def test_qr_view_encodes_the_configured_url_not_the_request_host(client, world, settings, monkeypatch):
    settings.PUBLIC_BASE_URL = "https://lianxin.example.gov.cn"
    seen = []
    from lianxin.public import qr

    real = qr.render
    monkeypatch.setattr(qr, "render", lambda payload, fmt: seen.append(payload) or real(payload, fmt))
    client.get(f"/s/{world.station_a.code}/qr.svg")
    assert seen == [f"https://lianxin.example.gov.cn/s/{world.station_a.code}/"]


@pytest.mark.parametrize("kind", ["site", "deputy"])
def test_qr_svg_and_png(client, world, kind):
    code = world.station_a.code if kind == "site" else world.deputy_a.public_code
    prefix = "s" if kind == "site" else "d"
    svg = client.get(f"/{prefix}/{code}/qr.svg")
    assert svg.status_code == 200
    assert svg["Content-Type"] == "image/svg+xml"
    assert b"<svg" in svg.content
    assert "max-age=86400" in svg["Cache-Control"] and "public" in svg["Cache-Control"]
    png = client.get(f"/{prefix}/{code}/qr.png")
    assert png.status_code == 200
    assert png["Content-Type"] == "image/png"
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert "max-age=86400" in png["Cache-Control"]


def test_other_qr_formats_are_not_routed(client, world):
    assert client.get(f"/s/{world.station_a.code}/qr.gif").status_code == 404


def test_site_poster_renders_with_qr_address_and_reception_days(client, world, settings):
    settings.PUBLIC_BASE_URL = "https://lianxin.example.gov.cn"
    world.station_a.reception_days = "每周三上午"
    world.station_a.save()
    response = client.get(f"/s/{world.station_a.code}/poster/")
    assert response.status_code == 200
    body = response.content.decode()
    assert world.station_a.name in body
    assert f'src="/s/{world.station_a.code}/qr.svg"' in body
    assert world.station_a.address in body
    assert "每周三上午" in body
    assert f"https://lianxin.example.gov.cn/s/{world.station_a.code}/" in body
    assert "size: A4" in body


def test_poster_paper_size_a5_and_bad_value_falls_back_to_a4(client, world):
    assert "size: A5" in client.get(f"/s/{world.station_a.code}/poster/", {"paper": "a5"}).content.decode()
    assert "size: A4" in client.get(f"/s/{world.station_a.code}/poster/", {"paper": "<x>"}).content.decode()


def test_deputy_poster_renders(client, world):
    response = client.get(f"/d/{world.deputy_a.public_code}/poster/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "码上见代表" in body
    assert world.deputy_a.name in body
    assert f'src="/d/{world.deputy_a.public_code}/qr.svg"' in body
    assert "13812345678" not in body

def test_large_text_toggle_sets_then_clears_the_cookie(client, db):
    on = client.post("/large-text/", {"next": "/s/X/"})
    assert on.status_code == 302 and on["Location"] == "/s/X/"
    assert on.cookies["lx_large"].value == "1"
    page = client.get("/")
    assert "lx-large" in page.content.decode()
    off = client.post("/large-text/", {"next": "/"})
    assert off.cookies["lx_large"].value == ""
    assert off.cookies["lx_large"]["max-age"] == 0
    assert "lx-large" not in client.get("/").content.decode()


def test_large_text_toggle_rejects_an_off_site_next(client, db):
    response = client.post("/large-text/", {"next": "https://evil.example/phish"})
    assert response["Location"] == "/"
    response = client.post("/large-text/", {"next": "//evil.example/"})
    assert response["Location"] == "/"


def test_large_text_toggle_needs_post(client, db):
    assert client.get("/large-text/").status_code == 405

"""The OpenAPI docs work offline: the page loads Swagger UI from our own static files."""

import re

import pytest


@pytest.mark.django_db
def test_docs_page_loads_swagger_from_local_static_files_only(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "/static/ninja/swagger-ui.css" in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    assert not [url for url in sources if url.startswith(("http:", "https:", "//"))]
    assert "cdn" not in html.lower()


@pytest.mark.django_db
def test_swagger_assets_are_served_by_the_app(client):
    for path in ("/static/ninja/swagger-ui-bundle.js", "/static/ninja/swagger-ui.css",
                 "/static/ninja/swagger-ui-init.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        b"".join(response.streaming_content)  # close the file


@pytest.mark.django_db
def test_openapi_schema_lists_every_read_endpoint_and_both_auth_schemes(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    assert {
        "/api/v1/public/stations", "/api/v1/public/stations/{code}", "/api/v1/public/deputies/{public_code}",
        "/api/v1/regions", "/api/v1/stations", "/api/v1/stations/{code}", "/api/v1/deputies",
        "/api/v1/deputies/{deputy_id}", "/api/v1/units", "/api/v1/units/{code}", "/api/v1/me",
    } <= paths
    # the registry is read-only (only the opinion endpoints of issue 3 change anything)
    assert all(set(operations) == {"get"} for path, operations in schema["paths"].items() if "/opinions" not in path)
    schemes = schema["components"]["securitySchemes"]
    assert schemes["ApiTokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["StaffSession"]["in"] == "cookie"
    assert "security" not in schema["paths"]["/api/v1/public/stations"]["get"]
    assert schema["paths"]["/api/v1/stations"]["get"]["security"]


def test_short_docs_address_redirects_to_the_versioned_docs(client, db):
    response = client.get("/api/docs")
    assert response.status_code == 302 and response["Location"] == "/api/v1/docs"

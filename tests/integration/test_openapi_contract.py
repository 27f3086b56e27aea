"""Issue 13, the API contract: /openapi.json lists every status the API answers (400, not 422, for
a malformed parameter; 401, 404, 429, 503) and the bearer-token scheme, and the API keeps to it."""

import pytest

from paperfeed.members.accounts import create_user, find_by_email
from paperfeed.members.api_tokens import create_token
from tests.conftest import make_client
from tests.integration.test_members import PASSWORD


@pytest.fixture
def spec(client):
    return client.get("/openapi.json").json()


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def test_every_operation_lists_the_statuses_it_can_answer(spec):
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "a personal access token made on /account"}
    for method, path, operation in operations(spec):
        responses = operation["responses"]
        assert "422" not in responses, (method, path)
        assert {"400", "503"} <= responses.keys(), (method, path)
        assert responses["400"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}
        if path.startswith("/api/"):
            assert "429" in responses and "Retry-After" in responses["429"]["headers"], (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        if method in ("post", "put", "delete"):
            assert "401" in responses and {"bearerAuth": []} in operation["security"], (method, path)
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_the_api_answers_what_the_document_says(engine, tmp_path, spec):
    create_user(engine, "alice", PASSWORD, email="alice@example.org")
    client = make_client(engine, tmp_path)
    token = create_token(engine, find_by_email(engine, "alice@example.org"), "contract")
    auth = {"Authorization": f"Bearer {token}"}
    checks = [
        (client.get("/api/daily_papers", params={"limit": "many"}), "get", "/api/daily_papers", 400),
        (client.post("/api/collections", headers=auth), "post", "/api/collections", 400),  # no body
        (client.post("/api/papers/2401.99999/upvote", headers=auth), "post", "/api/papers/{paper_id}/upvote", 404),
        (client.post("/api/collections", json={"name": "x"}), "post", "/api/collections", 401),
    ]
    for answer, method, path, status in checks:
        assert answer.status_code == status, (path, answer.status_code, answer.text[:200])
        assert str(status) in spec["paths"][path][method]["responses"]
        assert set(answer.json()) == {"error", "field"}


def test_api_docs_load_nothing_from_another_site(client):
    """Issue 16: /api/docs loaded Swagger UI from a CDN (a blank page offline, and refused by the
    CSP anyway). Its scripts and stylesheet are this site's files now, and the page has no inline script."""
    import re

    page = client.get("/api/docs")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy and "unsafe" not in policy
    html = page.text
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", html) == []  # every script is a file
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
    assert any(path.endswith("swagger-ui-bundle.js") for path in assets) and "/static/api-docs.js" in assets
    assert all(path.startswith("/") and not path.startswith("//") for path in assets), assets
    for path in assets:
        served = client.get(path)
        assert served.status_code == 200 and len(served.content) > 100, path
    assert 'data-openapi="/openapi.json"' in html and "cdn" not in html.lower()
    bundle = client.get(next(path for path in assets if path.endswith("swagger-ui-bundle.js")))
    assert bundle.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert "validatorUrl: null" in client.get("/static/api-docs.js").text  # no badge from validator.swagger.io

"""Every response of the cockpit and of the regional screen carries the security headers; the pages need no inline code.

Through the real apps over HTTP: pages, static files, API answers, errors,
404s and a real 500 (a query on a closed twin).
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from cloud.cockpit.app import STATIC as COCKPIT_STATIC
from cloud.cockpit.app import create_app
from cloud.federation.screen import PAGE as REGION_PAGE
from tests.cloud.cockpit.fixtures import MakeCockpit, cockpit_lake, cockpit_users, cockpits  # noqa: F401
from tests.cloud.cockpit.support import login
from tests.cloud.federation.support import idle_region_app

REQUIRED_CSP = {
    "default-src": "'self'", "script-src": "'self'", "object-src": "'none'", "base-uri": "'none'",
    "frame-ancestors": "'none'", "form-action": "'self'",
}
PAGES = [COCKPIT_STATIC / "index.html", REGION_PAGE]


def _assert_headers(response: httpx.Response) -> None:
    where = f"{response.request.method} {response.request.url.path} ({response.status_code})"
    policy = dict(d.strip().split(" ", 1) for d in response.headers.get("content-security-policy", "").split(";") if d.strip())
    for directive, value in REQUIRED_CSP.items():
        assert policy.get(directive) == value, f"{where}: CSP {directive} is {policy.get(directive)!r}"
    assert not any("unsafe" in v or "*" in v or "data:" in v for v in policy.values()), f"{where}: CSP too loose: {policy}"
    assert response.headers.get("x-frame-options") == "DENY", where
    assert response.headers.get("referrer-policy") == "no-referrer", where
    assert response.headers.get("x-content-type-options") == "nosniff", where


def test_every_cockpit_response_carries_the_headers(cockpits: MakeCockpit) -> None:
    cockpit = cockpits()
    with TestClient(create_app(cockpit, background_refresh=False), raise_server_exceptions=False) as client:
        headers = login(client, "ada")
        responses = [
            client.get("/"), client.get("/static/app.js"), client.get("/static/app.css"), client.get("/static/nope.js"),
            client.get("/shared/dom.js"), client.get("/shared/nope.js"),
            client.get("/api/health"), client.get("/api/openapi.json"), client.get("/api/map", headers=headers),
            client.get("/api/map"), client.get("/api/nope"), client.get("/nope"), client.delete("/api/health"),
            client.post("/api/login", json={"username": "ada"}),
            client.post("/api/sql", json={"sql": "COPY events TO '/tmp/x'"}, headers=headers),
            client.get("/api/audit", headers=login(client, "vic")),
        ]
        responses += [client.post("/api/login", json={"username": "ada", "password": "wrong"}) for _ in range(8)]
        cockpit.twin.close()  # a real failure inside a route: the 500 is answered outside the middleware stack
        responses.append(client.get("/api/nodes", headers=headers))
    assert {r.status_code for r in responses} >= {200, 400, 401, 403, 404, 405, 422, 429, 500}
    for response in responses:
        _assert_headers(response)


def test_every_regional_screen_response_carries_the_headers(tmp_path: Path) -> None:
    with idle_region_app(tmp_path / "region-lake") as app, TestClient(app, raise_server_exceptions=False) as client:
        responses = [client.get(p) for p in ("/", "/static/region.js", "/static/region.css", "/shared/dom.js", "/api/region", "/nope")]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 200, 404]
    for response in responses:
        _assert_headers(response)


class _InlineCode(HTMLParser):
    """Collects what a script-src 'self' / style-src 'self' policy would block in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._tag: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        self._tag = tag if tag == "style" or (tag == "script" and "src" not in names) else None
        self.found += [f"<{tag} {name}=…>" for name in names if name.startswith("on") or name == "style"]
        self.found += [f"<{tag} {name}=javascript:…>" for name, value in attrs if (value or "").strip().lower().startswith("javascript:")]

    def handle_data(self, data: str) -> None:
        if self._tag is not None and data.strip():
            self.found.append(f"inline <{self._tag}>")

    def handle_endtag(self, tag: str) -> None:
        self._tag = None


def test_the_pages_have_no_inline_script_style_or_handlers() -> None:
    blocked = {}
    for page in PAGES:
        parser = _InlineCode()
        parser.feed(page.read_text())
        blocked[page.name] = parser.found
    assert blocked == {page.name: [] for page in PAGES}, f"the CSP would block {blocked}"


"""``GET /api/map`` through the real app: one answer per deployment, revalidated by its tag, compressed on the wire."""

from __future__ import annotations

import gzip
import json

import pytest
from fastapi.testclient import TestClient

from cloud.cockpit.app import create_app
from cloud.cockpit.service import Cockpit
from cloud.security.headers import HEADERS
from tests.cloud.cockpit.fixtures import MakeCockpit
from tests.cloud.cockpit.support import login

XYZ = {"basemap": {"type": "xyz", "url": "https://tiles.example/{z}/{x}/{y}.png"}}


def _map(client: TestClient, headers: dict[str, str], **extra: str) -> tuple[int, dict[str, str], bytes]:
    r = client.get("/api/map", headers={**headers, **extra})
    return r.status_code, dict(r.headers), r.content


def test_the_map_is_tagged_and_a_screen_that_has_it_gets_304_with_no_body(client: TestClient) -> None:
    headers = login(client, "vic")
    status, first, body = _map(client, headers)
    assert status == 200 and json.loads(body)["geojson"]["features"]
    etag = first["etag"]
    assert etag.startswith('W/"') and first["cache-control"] == "private, no-cache"
    for sent in (etag, etag.removeprefix("W/"), f'"other", {etag}', "*"):
        status, again, body = _map(client, headers, **{"If-None-Match": sent})
        assert (status, body, again["etag"]) == (304, b"", etag), sent
        assert all(again[name.lower()] == value for name, value in HEADERS.items())
    for stale in ('W/"0000"', '"0000", W/"1111"', "", etag[:-2] + '"'):
        status, _, body = _map(client, headers, **{"If-None-Match": stale})
        assert status == 200 and json.loads(body)["site"], stale


def test_the_tag_does_not_open_the_map_without_a_login(client: TestClient) -> None:
    etag = _map(client, login(client, "vic"))[1]["etag"]
    status, _, body = _map(client, {}, **{"If-None-Match": etag})
    assert status == 401 and json.loads(body)["error"]["code"] == "not_authenticated"


def test_the_tag_changes_with_the_deployment(cockpits: MakeCockpit) -> None:
    plain, tiled = cockpits(), cockpits(settings=XYZ)
    body, etag = plain.map_answer()
    assert plain.map_answer() == (body, etag)  # made once
    other_body, other_etag = tiled.map_answer()
    assert json.loads(other_body)["basemap"]["type"] == "xyz" and other_etag != etag


@pytest.mark.parametrize("path", ["/api/map", "/api/live"])
def test_large_answers_are_gzip_compressed_for_a_browser_that_asks(client: TestClient, cockpit: Cockpit, path: str) -> None:
    headers = login(client, "vic")
    cockpit.refresh()  # one live snapshot for both requests
    r = client.get(path, headers={**headers, "Accept-Encoding": "gzip"})
    # httpx undoes the encoding: the raw bytes must be gzip, and say so
    assert r.headers["content-encoding"] == "gzip" and "Accept-Encoding" in r.headers["vary"]
    assert json.loads(r.content) and int(r.headers["content-length"]) < len(r.content)
    assert all(r.headers[name.lower()] == value for name, value in HEADERS.items())
    plain = client.get(path, headers={**headers, "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == r.content


def test_the_live_stream_is_not_held_back_for_compression(cockpit: Cockpit) -> None:
    with TestClient(create_app(cockpit, background_refresh=False)) as client:
        headers = login(client, "vic")
        cockpit.refresh()
        with client.stream("GET", "/api/stream?max_events=1", headers={**headers, "Accept-Encoding": "gzip"}) as r:
            assert "content-encoding" not in r.headers
            text = b"".join(r.iter_raw()).decode()
    assert text.startswith("event: live\n") and json.loads(text.split("data: ", 1)[1])["cameras"]


def test_a_gzip_answer_decodes_to_the_same_map(client: TestClient) -> None:
    headers = login(client, "vic")
    with client.stream("GET", "/api/map", headers={**headers, "Accept-Encoding": "gzip"}) as r:
        raw = b"".join(r.iter_raw())
    assert json.loads(gzip.decompress(raw)) == client.get("/api/map", headers=headers).json()

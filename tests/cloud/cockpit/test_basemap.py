"""A PMTiles basemap: a file that is not one stops the start, the one file is served with byte ranges, and nothing else is."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from citytwin.errors import ConfigError
from cloud.cockpit.app import create_app
from cloud.cockpit.settings import PMTILES_ROUTE
from tests.cloud.cockpit.fixtures import MakeCockpit, cockpit_lake, cockpit_users, cockpits  # noqa: F401
from tests.cloud.cockpit.pmtiles_support import write_archive
from tests.cloud.cockpit.support import login


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    return write_archive(tmp_path / "city.pmtiles", (200, 0, 200))


@pytest.fixture
def client(cockpits: MakeCockpit, archive: Path) -> TestClient:  # noqa: F811
    cockpit = cockpits(settings={"basemap": {"type": "pmtiles", "path": str(archive), "attribution": "test tiles"}})
    return TestClient(create_app(cockpit, background_refresh=False))


@pytest.mark.parametrize("content", [None, b"", b"PMTiles\x02" + bytes(200), b"<html>not a map</html>" * 20])
def test_a_missing_or_foreign_file_is_refused_at_start(cockpits: MakeCockpit, tmp_path: Path, content: bytes | None) -> None:  # noqa: F811
    path = tmp_path / "map.pmtiles"
    if content is not None:
        path.write_bytes(content)
    cockpit = cockpits(settings={"basemap": {"type": "pmtiles", "path": str(path)}})
    with pytest.raises(ConfigError) as caught:
        create_app(cockpit, background_refresh=False)
    assert "cockpit.basemap.path" in str(caught.value) and str(path) in str(caught.value)


def test_the_screen_gets_the_route_and_never_the_file_s_place(client: TestClient, archive: Path) -> None:
    basemap = client.get("/api/map", headers=login(client, "vic")).json()["basemap"]
    assert basemap == {"type": "pmtiles", "url": f"pmtiles://{PMTILES_ROUTE}", "attribution": "test tiles"}
    assert str(archive.parent) not in client.get("/api/map", headers=login(client, "vic")).text


def test_the_whole_file_and_its_head(client: TestClient, archive: Path) -> None:
    whole = client.get(PMTILES_ROUTE)
    assert whole.status_code == 200 and whole.content == archive.read_bytes()
    assert whole.headers["accept-ranges"] == "bytes" and whole.headers["etag"]
    assert "default-src 'self'" in whole.headers["content-security-policy"]
    head = client.head(PMTILES_ROUTE)
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) == archive.stat().st_size


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-126", 0, 127),  # the header, as the reader asks first
        ("bytes=100-", 100, None),
        ("bytes=-10", -10, None),
        ("bytes=10-99999999999999999999999999", 10, None),  # an end past the file is cut to the file
        ("bytes=0-10,5-20", 0, 21),  # overlapping ranges are merged into one
        ("BYTES = 3-4", 3, 5),
    ],
)
def test_one_range(client: TestClient, archive: Path, header: str, start: int, end: int | None) -> None:
    data = archive.read_bytes()
    r = client.get(PMTILES_ROUTE, headers={"Range": header})
    want = data[start:end]
    first = start % len(data)
    assert r.status_code == 206 and r.content == want
    assert r.headers["content-range"] == f"bytes {first}-{first + len(want) - 1}/{len(data)}"
    assert "default-src 'self'" in r.headers["content-security-policy"]


def test_several_ranges_come_as_one_multipart_answer(client: TestClient, archive: Path) -> None:
    data = archive.read_bytes()
    r = client.get(PMTILES_ROUTE, headers={"Range": "bytes=0-3,20-23"})
    assert r.status_code == 206 and r.headers["content-type"].startswith("multipart/byteranges")
    assert data[0:4] in r.content and data[20:24] in r.content and len(r.content) < 1000


def test_more_ranges_than_allowed_get_the_file_as_a_plain_get_would(client: TestClient, archive: Path) -> None:
    many = ",".join(f"{i}-{i}" for i in range(0, 404, 4))  # 101 ranges
    r = client.get(PMTILES_ROUTE, headers={"Range": f"bytes={many}"})
    assert r.status_code == 200 and r.content == archive.read_bytes()


@pytest.mark.parametrize("header", ["bytes=999999999-", "bytes=99999999999999999999999-"])
def test_a_range_past_the_end_is_unsatisfiable(client: TestClient, archive: Path, header: str) -> None:
    r = client.get(PMTILES_ROUTE, headers={"Range": header})
    assert r.status_code == 416 and r.headers["content-range"] == f"bytes */{archive.stat().st_size}"
    assert len(r.content) < 100


@pytest.mark.parametrize("header", ["bytes=a-b", "items=0-10", "bytes=10-5", "bytes=5--3", "bytes=", "bytes=-", "0-10",
                                    f"bytes=0-{'9' * 5000}", "bytes=x,y,z"])
def test_a_malformed_range_is_refused_and_reads_nothing(client: TestClient, header: str) -> None:
    r = client.get(PMTILES_ROUTE, headers={"Range": header})
    assert r.status_code == 400 and len(r.content) < 200


@pytest.mark.parametrize("path", [f"{PMTILES_ROUTE}/../cloud/cockpit/app.py", f"{PMTILES_ROUTE}/x", "/basemap.pmtiles%2f..%2fapp.py",
                                  "/basemap.PMTILES", "/basemap.pmtiles;.py", "/basemap/../basemap.pmtiles/..%2f..%2fetc%2fpasswd"])
def test_no_other_file_is_reachable_through_the_route(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_without_a_pmtiles_basemap_there_is_no_route(cockpits: MakeCockpit) -> None:  # noqa: F811
    client = TestClient(create_app(cockpits(), background_refresh=False))
    assert client.get(PMTILES_ROUTE).status_code == 404

"""The history panel's downloads through the real ASGI app: the panel's exact rows as CSV and Parquet, audited."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from cloud.audit.chain import verify
from cloud.cockpit.downloads import file_name
from cloud.cockpit.service import Cockpit
from tests.cloud.cockpit.support import login


def _controls(client: TestClient, headers: dict[str, str], **extra: str) -> dict[str, str]:
    span = client.get("/api/range", headers=headers).json()
    return {"start": span["first"], "end": span["last"], "bucket": "1 hour", **extra}


def _panel(client: TestClient, headers: dict[str, str], params: dict[str, str]) -> dict[str, Any]:
    answer: dict[str, Any] = client.get("/api/history", params=params, headers=headers).json()
    assert answer["points"], "the synthetic lake has crossings in its range; the test's premise is broken"
    return answer


def _downloads(cockpit: Cockpit) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in cockpit.audit.path.read_text().splitlines()]
    return [r for r in records if r["action"] == "history.download"]


@pytest.mark.parametrize("extra", [{}, {"camera": "cam-0"}, {"camera": "cam-1", "line": "line-0"}])
def test_csv_holds_exactly_what_the_panel_shows(client: TestClient, extra: dict[str, str]) -> None:
    headers = login(client, "vic")
    params = _controls(client, headers, **extra)
    panel = _panel(client, headers, params)
    r = client.get("/api/history/download", params={**params, "format": "csv"}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == f'attachment; filename="{file_name(panel, "csv")}"'
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(row["bucket_start"], int(row["inbound"]), int(row["outbound"])) for row in rows] == [
        (p["bucket_start"], p["inbound"], p["outbound"]) for p in panel["points"]]
    assert {(row["camera"], row["line"]) for row in rows} == {(extra.get("camera", ""), extra.get("line", ""))}


def test_parquet_holds_the_same_rows_typed(client: TestClient) -> None:
    headers = login(client, "vic")
    params = _controls(client, headers, camera="cam-0")
    panel = _panel(client, headers, params)
    r = client.get("/api/history/download", params={**params, "format": "parquet"}, headers=headers)
    assert r.status_code == 200 and r.headers["content-type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(r.content))
    assert str(table.schema.field("bucket_start").type) == "timestamp[us, tz=UTC]"
    assert [(t.isoformat(), i, o) for t, i, o in zip(*(table.column(c).to_pylist() for c in ("bucket_start", "inbound",
                                                                                            "outbound")))] == [
        (p["bucket_start"], p["inbound"], p["outbound"]) for p in panel["points"]]
    assert set(table.column("camera").to_pylist()) == {"cam-0"}


def test_each_download_is_audited_before_and_after(client: TestClient, cockpit: Cockpit) -> None:
    headers = login(client, "vic")
    params = _controls(client, headers, camera="cam-0")
    panel = _panel(client, headers, params)
    for fmt in ("csv", "parquet"):
        assert client.get("/api/history/download", params={**params, "format": fmt}, headers=headers).status_code == 200
    records = _downloads(cockpit)
    assert [(r["actor"], r["details"]["phase"], r["details"].get("format")) for r in records] == [
        ("vic", "intent", "csv"), ("vic", "outcome", None), ("vic", "intent", "parquet"), ("vic", "outcome", None)]
    intent, outcome = records[0], records[1]
    assert intent["details"]["camera"] == "cam-0" and intent["details"]["bucket"] == "1 hour"
    assert outcome["details"]["intent"] == intent["seq"] and outcome["details"]["rows"] == len(panel["points"])
    assert outcome["details"]["bytes"] > 0
    assert verify(cockpit.audit.path).ok


def test_a_download_needs_a_token_and_a_known_format(client: TestClient, cockpit: Cockpit) -> None:
    params = {"start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z"}
    assert client.get("/api/history/download", params=params).status_code == 401
    headers = login(client, "vic")
    bad = client.get("/api/history/download", params={**params, "format": "xlsx"}, headers=headers)
    assert bad.status_code in (400, 422)
    assert not _downloads(cockpit), "a refused request must not be recorded as a download"


@pytest.mark.parametrize("hostile", ['x"\r\nSet-Cookie: a=b', "../../etc/passwd", "=1+1", "\u202ecam", "a;b c"])
def test_hostile_controls_make_a_harmless_file_name(client: TestClient, hostile: str) -> None:
    headers = login(client, "vic")
    params = {"start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z", "camera": hostile, "line": hostile}
    r = client.get("/api/history/download", params={**params, "format": "csv"}, headers=headers)
    assert r.status_code == 200, r.text
    name = r.headers["content-disposition"].removeprefix('attachment; filename="').removesuffix('"')
    assert name.endswith(".csv") and all(c.isascii() and (c.isalnum() or c in "_-.") for c in name), name
    assert ".." not in name and "set-cookie" not in {k.lower() for k in r.headers}

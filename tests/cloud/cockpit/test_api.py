"""The cockpit API through the real ASGI app: auth, roles, the SQL console's refusals, the audit trail."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cloud.audit.chain import verify
from cloud.cockpit.service import Cockpit
from edge.events.factory import EventFactory
from tests.cloud.cockpit.support import fire_alert, login

PROTECTED = [
    ("GET", "/api/me"), ("GET", "/api/map"), ("GET", "/api/live"), ("GET", "/api/range"), ("GET", "/api/nodes"),
    ("GET", "/api/benchmarks"), ("GET", "/api/alerts"), ("GET", "/api/audit"), ("POST", "/api/sql"),
    ("POST", "/api/alerts/a-1/ack"), ("POST", "/api/alerts/a-1/false-alarm"), ("POST", "/api/alerts/a-1/resolve"),
    ("GET", "/api/alerts/feedback"), ("POST", "/api/logout"), ("GET", "/api/stream"), ("GET", "/api/residency"),
    ("GET", "/api/state?at=2026-01-01T12:00:00Z"), ("GET", "/api/cameras"), ("GET", "/api/flows?camera=cam-0"),
    ("GET", "/api/history?start=2026-01-01T00:00:00Z&end=2026-01-02T00:00:00Z"),
]


def _alert(cockpit: Cockpit, alert_id: str = "a-1") -> None:
    fire_alert(cockpit, alert_id, "zone-0 over capacity: 9 of 5", occupancy=9, capacity=5)


def _audit(cockpit: Cockpit) -> list[dict[str, object]]:
    return [json.loads(line) for line in cockpit.audit.path.read_text().splitlines()]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_api_route_needs_a_token(client: TestClient, method: str, path: str) -> None:
    r = client.request(method, path, json={"sql": "SELECT 1"} if path == "/api/sql" else None)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "not_authenticated"
    bad = client.request(method, path, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401


def test_health_needs_no_login(client: TestClient) -> None:
    assert client.get("/api/health").json()["status"] == "ok"


def test_error_shape_is_pinned(client: TestClient) -> None:
    for r in (client.get("/api/map"), client.post("/api/login", json={"username": "x"}),
              client.post("/api/login", json={"username": "ada", "password": "wrong"})):
        body = r.json()
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
        assert body["error"]["message"]


def test_logins_are_audited_success_and_failure(client: TestClient, cockpit: Cockpit) -> None:
    assert client.post("/api/login", json={"username": "ada", "password": "bad"}).status_code == 401
    login(client, "ada")
    logins = [r for r in _audit(cockpit) if r["action"] == "cockpit.login"]
    assert [(r["actor"], r["details"]["ok"]) for r in logins] == [("ada", False), ("ada", True)]  # type: ignore[index]


def test_logout_ends_the_session(client: TestClient) -> None:
    headers = login(client, "vic")
    assert client.post("/api/logout", headers=headers).status_code == 200
    assert client.get("/api/me", headers=headers).status_code == 401


def test_viewer_cannot_acknowledge_but_operator_can(client: TestClient, cockpit: Cockpit) -> None:
    _alert(cockpit)
    r = client.post("/api/alerts/a-1/ack", headers=login(client, "vic"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert client.get("/api/alerts", headers=login(client, "vic")).json()[0]["acknowledged_by"] is None
    r = client.post("/api/alerts/a-1/ack", headers=login(client, "olga"))
    assert r.status_code == 200 and r.json()["acknowledged_by"] == "olga"
    assert client.post("/api/alerts/zzz/ack", headers=login(client, "olga")).status_code == 404
    acks = [r for r in _audit(cockpit) if r["action"] == "alert.ack" and r["details"]["phase"] == "intent"]  # type: ignore[index]
    assert [(a["actor"], a["details"]["alert"]) for a in acks] == [("olga", "a-1"), ("olga", "zzz")]  # type: ignore[index]


def test_only_auditor_and_admin_read_the_audit_log(client: TestClient) -> None:
    assert client.get("/api/audit", headers=login(client, "olga")).status_code == 403
    assert client.get("/api/audit", headers=login(client, "vic")).status_code == 403
    records = client.get("/api/audit", headers=login(client, "aud")).json()
    assert records[0]["action"] == "cockpit.login" and records[0]["actor"] == "aud"
    assert client.get("/api/audit", headers=login(client, "ada")).status_code == 200


def test_sql_runs_and_is_audited(client: TestClient, cockpit: Cockpit) -> None:
    r = client.post("/api/sql", json={"sql": "SELECT camera, count(*) AS n FROM crossings GROUP BY 1 ORDER BY 1"},
                    headers=login(client, "vic"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["columns"] == ["camera", "n"] and body["row_count"] == 3 and body["rows"][0][0] == "cam-0"
    intent, outcome = _audit(cockpit)[-2:]
    assert (intent["actor"], intent["action"], outcome["actor"], outcome["action"]) == ("vic", "sql.query", "vic", "sql.query")
    assert intent["details"] == {"phase": "intent", "sql": "SELECT camera, count(*) AS n FROM crossings GROUP BY 1 ORDER BY 1"}
    assert outcome["details"] == {"phase": "outcome", "intent": intent["seq"], "refused": False, "rows": 3, "truncated": False,
                                  "elapsed_ms": outcome["details"]["elapsed_ms"]}  # type: ignore[index]
    assert verify(cockpit.audit.path).ok


@pytest.mark.parametrize(
    ("sql", "says"),
    [
        ("COPY (SELECT * FROM events) TO '/tmp/out.csv'", "COPY"),
        ("SELECT * FROM read_csv('/etc/passwd')", "sandbox"),
        ("ATTACH '/tmp/x.db' AS x", "ATTACH"),
        ("INSTALL httpfs", "not allowed"),  # DuckDB files INSTALL under LOAD
        ("LOAD httpfs", "LOAD"),
        ("CREATE TABLE t AS SELECT 1", "CREATE"),
        ("DELETE FROM sites", "DELETE"),
        ("SET lock_configuration = false", "SET"),
        ("SELECT 1; SELECT 2", "exactly one"),
    ],
)
def test_sql_refusals_are_clear_and_audited(client: TestClient, cockpit: Cockpit, sql: str, says: str) -> None:
    r = client.post("/api/sql", json={"sql": sql}, headers=login(client, "ada"))
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "query_refused" and says in error["message"]
    intent, outcome = _audit(cockpit)[-2:]
    assert intent["details"] == {"phase": "intent", "sql": sql}
    assert outcome["details"]["refused"] is True and outcome["details"]["intent"] == intent["seq"]  # type: ignore[index]


def test_sql_errors_and_odd_values_are_not_500(client: TestClient) -> None:
    headers = login(client, "ada")
    r = client.post("/api/sql", json={"sql": "SELECT * FROM no_such_table"}, headers=headers)
    assert r.status_code == 400 and r.json()["error"]["code"] == "query_error"
    r = client.post("/api/sql", json={"sql": "SELECT 'nan'::DOUBLE AS x, INTERVAL 1 HOUR AS i, 'ab'::BLOB AS b, 1 AS x"},
                    headers=headers)
    assert r.status_code == 200 and r.json()["rows"] == [[None, 3600.0, "6162", 1]]


def test_map_live_history_state(client: TestClient, cockpit: Cockpit) -> None:
    headers = login(client, "vic")
    m = client.get("/api/map", headers=headers).json()
    assert [c["camera"] for c in m["cameras"]] == ["cam-0", "cam-1", "cam-2"] and m["site"]["width_m"] == 200
    span = client.get("/api/range", headers=headers).json()
    assert span["events"] == 3000
    h = client.get("/api/history", params={"start": span["first"], "end": span["last"], "bucket": "1 hour",
                                           "camera": "cam-0"}, headers=headers).json()
    assert 20 <= len(h["points"]) <= 24 and sum(p["inbound"] + p["outbound"] for p in h["points"]) > 0
    bad = client.get("/api/history", params={"start": span["first"], "end": span["last"], "bucket": "fortnight"},
                     headers=headers)
    assert bad.status_code == 400 and "bucket" in bad.json()["error"]["message"]
    s = client.get("/api/state", params={"at": "2026-01-01T12:00:00Z"}, headers=headers).json()
    assert s["zones"] and s["flow"] and s["nodes"]


def test_live_counts_follow_the_tail(client: TestClient, cockpit: Cockpit) -> None:
    headers = login(client, "vic")
    before = cockpit.refresh()
    assert before["stale"] is True  # the synthetic lake is in the past
    factory = EventFactory(site="city", camera="cam-0", node="city-cam-0", sequence=iter(range(10**6, 10**7)).__next__)
    now = datetime.now(timezone.utc)
    cockpit.twin.tail.add(factory.make("zone_occupancy", now, {"zone": "zone-0", "total": 9, "by_class": {"person": 7, "car": 2}}))
    cockpit.twin.tail.add(factory.make("line_crossing", now - timedelta(seconds=5),
                                       {"line": "line-0", "direction": "in", "object_class": "person", "track_id": 1}))
    cockpit.refresh()
    after = client.get("/api/live", headers=headers).json()
    zone = next(z for z in after["zones"] if z["camera"] == "cam-0" and z["zone"] == "zone-0")
    assert zone["total"] == 9 and zone["over_capacity"] and not zone["stale"]
    assert before["people_now"] == 0 and after["vehicles_now"] == 2
    assert after["stale"] is False and after["people_now"] == 7 and after["zones_over_capacity"] == 1
    assert after["flow"] == [{"site": "city", "camera": "cam-0", "line": "line-0", "inbound": 1, "outbound": 0, "total": 1}]


def test_nodes_show_the_scene_quality_flags_of_their_newest_report(client: TestClient, cockpit: Cockpit) -> None:
    headers = login(client, "vic")
    now = datetime.now(timezone.utc)
    health = {"fps": 9.0, "stage_ms": {"infer": 30.0}, "frames": 10, "dropped_frames": 0, "cpu_percent": 50.0,
              "rss_mb": 200.0, "uptime_s": 10.0}
    scene = {"brightness": 20.0, "colour": 1.5, "contrast": 30.0, "sharpness": 0.5, "confidence": 0.4,
             "confidence_baseline": 0.7, "flags": ["dark", "infrared", "confidence_drift"], "reliable": False}
    for camera, body in (("cam-1", {**health, "scene": scene}), ("cam-2", health)):
        factory = EventFactory(site="city", camera=camera, node=f"city-{camera}", sequence=iter(range(10**6, 10**7)).__next__)
        cockpit.twin.tail.add(factory.make("node_health", now - timedelta(seconds=2), {**body, "scene": None}))
        cockpit.twin.tail.add(factory.make("node_health", now, body))
    cockpit.refresh()
    nodes = {n["node"]: n for n in client.get("/api/nodes", headers=headers).json()}
    assert nodes["city-cam-1"]["scene_flags"] == ["dark", "infrared", "confidence_drift"]
    assert nodes["city-cam-1"]["scene"] == "flagged"
    assert nodes["city-cam-2"]["scene_flags"] is None and nodes["city-cam-2"]["scene"] == "not_judged"


def test_stream_sends_live_events(client: TestClient, cockpit: Cockpit) -> None:
    cockpit.refresh()
    with client.stream("GET", "/api/stream?max_events=1", headers=login(client, "vic")) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        text = "".join(r.iter_text())
    assert text.startswith("event: live\n") and '"people_now"' in text


def test_benchmarks_table_reads_result_files(client: TestClient, cockpit: Cockpit) -> None:
    headers = login(client, "vic")
    assert client.get("/api/benchmarks", headers=headers).json() == []
    folder = cockpit.results_dir / "pi5"
    folder.mkdir(parents=True)
    (folder / "r.json").write_text(json.dumps({"device": {"name": "pi5"}, "configs": [{
        "config": {"model": "nanodet", "input_size": 416, "threads": 4, "provider": "CPUExecutionProvider"},
        "pipeline_fps": 9.5, "inference_fps": 12.0, "frame_latency": {"p50_ms": 80.0, "p95_ms": 95.0}}]}))
    (folder / "broken.json").write_text("{")
    rows = client.get("/api/benchmarks", headers=headers).json()
    assert rows == [{"device": "pi5", "model": "nanodet", "input_size": 416, "threads": 4, "provider": "CPU",
                     "pipeline_fps": 9.5, "inference_fps": 12.0, "p50_ms": 80.0, "p95_ms": 95.0, "file": "pi5/r.json"}]


def test_static_screen_is_served_without_a_cdn(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "<svg" in page.text or "cockpit" in page.text
    for asset in ("app.js", "app.css"):
        text = client.get(f"/static/{asset}").text
        assert "http://" not in text and "https://" not in text


def test_audit_log_survives_unicode_line_separators(client: TestClient) -> None:
    headers = login(client, "ada")
    client.post("/api/sql", json={"sql": "SELECT 1 \u2028\x1c\x85"}, headers=headers)
    records = client.get("/api/audit", headers=headers).json()
    outcome, intent = records[:2]  # newest first
    assert intent["action"] == "sql.query" and "\u2028" in intent["details"]["sql"]
    assert outcome["details"]["intent"] == intent["seq"]


def test_operator_decisions_are_logged_for_the_rules_audited_and_counted(client: TestClient, cockpit: Cockpit) -> None:
    fire_alert(cockpit, "a-2", "dispatch steward to zone-0", rule="plaza-full")
    fire_alert(cockpit, "a-3", "dispatch steward to zone-0", rule="plaza-full")
    olga = login(client, "olga")
    assert client.post("/api/alerts/a-2/false-alarm", headers=olga).json()["false_alarm"] is True
    assert client.post("/api/alerts/a-2/false-alarm", headers=olga).status_code == 200  # repeating changes nothing
    r = client.post("/api/alerts/a-3/resolve", headers=olga).json()
    assert (r["state"], r["resolved_by"]) == ("resolved", "olga")
    feedback = client.get("/api/alerts/feedback", headers=login(client, "vic")).json()
    assert [f for f in feedback if f["rule"] == "plaza-full"] == [
        {"rule": "plaza-full", "fired": 2, "false_alarms": 1, "false_alarm_rate": 0.5}]
    # The rule service reads the decisions log beside the alert log: one record per decision, with who made it.
    def kinds(path: Path) -> list[tuple[str, str, str | None]]:
        records = [json.loads(line) for line in path.read_text().splitlines()]
        return [(r["kind"], r["alert_id"], r.get("by")) for r in records if r["alert_id"] in ("a-2", "a-3")]

    assert kinds(cockpit.twin.lake / "alerts" / "alerts.jsonl") == [("fired", "a-2", None), ("fired", "a-3", None)]
    assert kinds(cockpit.alerts.decisions.path) == [("false_alarm", "a-2", "olga"), ("resolve", "a-3", "olga")]
    assert not cockpit.alerts.decisions.path.is_relative_to(cockpit.twin.lake)
    actions = [(r["action"], r["details"]["alert"]) for r in _audit(cockpit)  # type: ignore[index]
               if str(r["action"]).startswith("alert.") and r["details"]["phase"] == "intent"  # type: ignore[index]
               and r["details"]["alert"] in ("a-2", "a-3")]  # type: ignore[index]
    assert actions == [("alert.false_alarm", "a-2"), ("alert.false_alarm", "a-2"), ("alert.resolve", "a-3")]
    # The twin's alerts view holds the same history.
    cockpit.twin.refresh()
    assert cockpit.twin.query("SELECT count(*) FROM alerts WHERE alert_id = 'a-2'").rows[0][0] == 2


def test_residency_manifest_is_served_to_every_role(client: TestClient, cockpit: Cockpit) -> None:
    for user in ("vic", "olga", "aud", "ada"):
        r = client.get("/api/residency", headers=login(client, user))
        assert r.status_code == 200, r.text
    body = r.json()
    by_name = {d["name"]: d for d in body["datasets"]}
    assert by_name["lake"]["location"] == str(cockpit.twin.lake.resolve())
    assert by_name["lake"]["partitions"]["count"] >= 1
    assert by_name["audit"]["location"] == str(cockpit.audit.path.resolve())
    assert by_name["audit"]["readers"] == ["admin", "auditor"]
    assert "did not answer" in body["kafka"] and by_name["kafka:events"]["topic"]["reachable"] is False
    assert not [e for e in body["exports"] if e["leaves_city"]]


def test_residency_without_a_deployment_is_not_found(client: TestClient, cockpit: Cockpit) -> None:
    cockpit.deployment = None
    r = client.get("/api/residency", headers=login(client, "vic"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"

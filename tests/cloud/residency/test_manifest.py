"""The residency manifest built from deployment files, without brokers."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from citytwin.cli import main
from citytwin.deployment import Deployment, load
from cloud.cockpit.users import PERMISSIONS
from cloud.residency import cli
from cloud.residency.datasets import EDGE_SPOOL_DEFAULT
from cloud.residency.manifest import build
from cloud.residency.model import Manifest
from edge.publish.settings import MqttPublisherConfig


def deployment(tmp: Path, **extra: Any) -> Deployment:
    doc: dict[str, Any] = {
        "site": {"id": "campus", "name": "Campus", "width_m": 10, "height_m": 10},
        "lake": {"path": str(tmp / "data" / "lake")},
        "mqtt": {"spool_dir": str(tmp / "data" / "spool")},
        "cameras": [{"id": "cam-1", "map": {"x_m": 1, "y_m": 1}}, {"id": "cam-2", "node": "gate", "map": {"x_m": 2, "y_m": 2}}],
        **extra,
    }
    return Deployment.model_validate(doc)


def manifest(tmp: Path, **extra: Any) -> Manifest:
    return build(deployment(tmp, **extra), probe_kafka=False)


def test_lists_every_kind_of_place(tmp_path: Path) -> None:
    m = manifest(tmp_path)
    assert [d.name for d in m.datasets] == [
        "lake", "alerts", "decisions", "audit", "audit:anchors", "audit:config", "kafka:events", "kafka:dlq", "kafka:status",
        "kafka:audit-anchors", "kafka:alerts",
        "spool:campus-cam-1", "spool:gate", "mqtt",
    ]
    assert {d.kind for d in m.datasets} == {"parquet", "jsonl", "audit_log", "kafka_topic", "edge_spool", "mqtt_queue"}
    assert m.dataset("audit").location == str(tmp_path / "data" / "audit" / "audit.jsonl")
    assert m.dataset("alerts").location == str(tmp_path / "data" / "lake" / "alerts" / "alerts.jsonl")
    assert m.dataset("decisions").location == str(tmp_path / "data" / "decisions" / "decisions.jsonl")
    assert not any(d.leaves_city for d in m.datasets) and not any(e.leaves_city for e in m.exports)


def test_readers_come_from_the_permission_table(tmp_path: Path) -> None:
    m = manifest(tmp_path)
    assert m.dataset("lake").readers == sorted(r for r, p in PERMISSIONS.items() if "read" in p)
    assert m.dataset("audit").readers == sorted(r for r, p in PERMISSIONS.items() if "audit" in p)
    assert m.dataset("kafka:dlq").readers == [] and m.dataset("spool:gate").readers == []


@pytest.mark.parametrize(("retention", "name", "seconds"), [
    ({}, "lake", 30 * 86400.0),
    ({"lake_days": 7}, "lake", 7 * 86400.0),
    ({"events_topic_hours": 24}, "kafka:events", 86400.0),
    ({"dlq_topic_days": 2}, "kafka:dlq", 2 * 86400.0),
    ({"alerts_topic_days": 1}, "kafka:alerts", 86400.0),
    ({}, "kafka:status", None),
    ({}, "audit", None),
])
def test_retention_follows_the_policy(tmp_path: Path, retention: dict[str, Any], name: str, seconds: float | None) -> None:
    assert manifest(tmp_path, retention=retention).dataset(name).retention.seconds == seconds


def test_lake_partitions_are_counted(tmp_path: Path) -> None:
    lake = tmp_path / "data" / "lake"
    for day, size in [("2026-01-02", 5), ("2026-01-01", 3)]:
        (lake / f"date={day}" / "hour=08").mkdir(parents=True)
        (lake / f"date={day}" / "hour=08" / "x.parquet").write_bytes(b"x" * size)
    (lake / "date=junk").mkdir()
    p = manifest(tmp_path).dataset("lake").partitions
    assert p is not None
    assert (p.count, p.files, p.bytes, str(p.oldest), str(p.newest)) == (2, 2, 8, "2026-01-01", "2026-01-02")


def test_edge_spools_sit_on_each_node(tmp_path: Path) -> None:
    m = manifest(tmp_path, residency={"edge_host": "{node}.edge.city"})
    spool = m.dataset("spool:gate")
    assert spool.host == "gate.edge.city" and spool.location == str(tmp_path / "data" / "spool")
    assert {"gate.sqlite", "gate.sqlite-wal", "gate.seq"} <= set(spool.files)


def test_the_default_spool_folder_is_the_edge_publishers(tmp_path: Path) -> None:
    cfg = deployment(tmp_path, mqtt={})
    assert MqttPublisherConfig.model_fields["spool_dir"].default == EDGE_SPOOL_DEFAULT
    assert build(cfg, probe_kafka=False).dataset("spool:campus-cam-1").location == str(EDGE_SPOOL_DEFAULT)


def test_only_the_federation_link_leaves_the_city(tmp_path: Path) -> None:
    m = manifest(tmp_path, federation={"bootstrap": "region:9092", "k": 7, "bucket_s": 600})
    fed = next(e for e in m.exports if e.kind == "federation")
    assert fed.leaves_city and fed.k == 7 and fed.bucket_s == 600
    assert fed.destination == "kafka://region:9092/citytwin.region.counts"
    assert {"event ids", "track ids", "snapshots"} <= set(fed.never)
    assert [d.name for d in m.datasets if d.leaves_city] == ["kafka:federation"]
    assert [e.name for e in m.exports if e.leaves_city] == ["federation"]


@pytest.mark.parametrize(("rules", "edge", "names"), [
    ({}, None, ["alerts:mqtt", "alerts:kafka"]),
    ({"mqtt": False, "kafka": False}, None, []),
    ({"kafka": False}, {"snapshots": {"enabled": True}}, ["alerts:mqtt", "snapshots"]),
])
def test_exports_follow_the_config(tmp_path: Path, rules: dict[str, Any], edge: dict[str, Any] | None, names: list[str]) -> None:
    m = manifest(tmp_path, rules=rules, edge=edge)
    assert [e.name for e in m.exports] == names
    assert ("kafka:alerts" in [d.name for d in m.datasets]) == rules.get("kafka", True)


def test_brokers_that_do_not_answer_are_reported(tmp_path: Path) -> None:
    cfg = deployment(tmp_path, kafka={"bootstrap": "127.0.0.1:1"})
    m = build(cfg, kafka_timeout_s=1.0)
    assert "did not answer" in m.kafka
    state = m.dataset("kafka:events").topic
    assert state is not None and not state.reachable and state.policy_ms == 604_800_000


def _args(config: Path, *, as_json: bool) -> argparse.Namespace:
    return argparse.Namespace(config=config, deployment=load(config, lake=True), json=as_json, no_kafka=True)


def test_cli_prints_json_and_a_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "site.yaml"
    config.write_text(json.dumps(deployment(tmp_path).model_dump(mode="json", exclude_none=True)))
    assert cli.run(_args(config, as_json=True)) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["site"] == "campus" and doc["datasets"][0]["name"] == "lake"
    assert cli.run(_args(config, as_json=False)) == 0
    out = capsys.readouterr().out
    assert "DATASET" in out and "spool:gate" in out and "LEAVES CITY" in out


def test_cli_names_the_bad_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "site.yaml"
    config.write_text("site: {id: c, name: C, width_m: 1, height_m: 1}\nlake: {path: /x}\nretention: {lake_dayz: 3}\n")
    assert main(["residency", "-c", str(config), "--no-kafka"]) == 2
    assert "lake_dayz" in capsys.readouterr().err


def test_each_exporter_says_what_it_sends_and_where(tmp_path: Path) -> None:
    origin = {"lat": 53.55, "lon": 9.99}
    m = manifest(tmp_path, cloud={"exporters": {
        "hamburg": {"type": "sensorthings", "url": "https://iot.hamburg.de/v1.1", "origin": origin, "k": 8},
        "fiware": {"type": "ngsild", "url": "http://broker.city.local:1026", "origin": origin, "leaves_city": False},
        "quiet": {"type": "ngsild", "url": "http://portal.example:1026", "origin": origin, "health": False},
    }}, rules={"mqtt": False, "kafka": False})
    st, ld, quiet = m.exports
    assert (st.name, st.kind, st.leaves_city, st.k) == ("exporter:hamburg", "exporter", True, 8)
    assert "host iot.hamburg.de" in st.destination and st.datasets == ["crossings", "occupancy"]
    assert "k=8 suppressed" in st.crosses and "node ids" in st.never
    assert "host broker.city.local:1026" in ld.destination and not ld.leaves_city
    assert ld.datasets == ["crossings", "occupancy", "health"] and "node ids" not in ld.never and "Device" in ld.crosses
    assert quiet.datasets == ["crossings", "occupancy"] and "node ids" in quiet.never
    assert [e.name for e in m.exports if e.leaves_city] == ["exporter:hamburg", "exporter:quiet"]
    assert "citytwin export" in m.dataset("audit").services

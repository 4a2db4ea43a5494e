"""The audit log's head is anchored by the running services, and ``citytwin audit verify`` holds the log to it.

The real cockpit process anchors to a file and to the live Kafka test broker;
then the newest records are cut off, or the whole chain is rewritten so that
every link still fits, and the real CLI must report it with the seq and both
hashes. Kafka being away must never hold the cockpit up.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin._config import ConfigResource  # re-exported without __all__
from confluent_kafka.admin._resource import ResourceType

from cloud.audit.chain import AuditLog
from tests.security.audit_support import audit_lake, cockpits, site_users  # noqa: F401 (fixtures)
from tests.security.audit_support import CockpitProcess, Site, citytwin, make_site, newest, read_topic, rehash, wait_for
from tests.support.brokers import KafkaBroker, unique_name

pytestmark = pytest.mark.kafka


LiveSite = Callable[[float], Site]


@pytest.fixture
def live_sites(
    tmp_path: Path, audit_lake: Path, kafka_broker: KafkaBroker, request: pytest.FixtureRequest
) -> Iterator[LiveSite]:
    """Makes deployments on the live Kafka, each with an anchors topic of its own (deleted afterwards)."""
    made: list[Site] = []

    def make(interval_s: float) -> Site:
        name = unique_name(request.node.name, "anchors")
        made.append(make_site(tmp_path / name, audit_lake, kafka_broker.bootstrap, name, anchor_interval_s=interval_s))
        return made[-1]

    yield make
    admin = AdminClient({"bootstrap.servers": kafka_broker.bootstrap})
    for future in admin.delete_topics([site.topic for site in made], operation_timeout=30).values():
        try:
            future.result()
        except Exception:  # never created, or the broker is gone: not this test's result
            pass


@pytest.fixture
def live_site(live_sites: LiveSite) -> Site:
    """A deployment on the live Kafka whose services anchor only when they start and when they stop."""
    return live_sites(3600)


def _kafka_anchors(site: Site) -> list[dict[str, Any]]:
    found = read_topic(site.bootstrap, site.topic)
    assert all(key == f"city:{site.log.resolve()}".encode() for key, _ in found), found  # keyed by site and log
    return [json.loads(value) for _, value in found]


def _use(cockpit: CockpitProcess) -> None:
    headers = cockpit.token()
    for n in range(3):
        assert cockpit.http.post("/api/sql", json={"sql": f"SELECT {n} AS n"}, headers=headers).status_code == 200


@pytest.fixture
def anchored(live_site: Site, site_users: Path, tmp_path: Path, cockpits: list[CockpitProcess]) -> Site:
    """A cockpit ran, was used, and was stopped; it anchored its log when it started and when it stopped."""
    cockpit = CockpitProcess(live_site, site_users, tmp_path / "logs")
    cockpits.append(cockpit)
    _use(cockpit)
    assert cockpit.stop() < 15, cockpit.output()
    return live_site


def _head(site: Site) -> dict[str, Any]:
    seq, digest = newest(site.log)
    return {"seq": seq, "hash": digest, "log": str(site.log.resolve()), "site": "city"}


def test_the_cockpit_anchors_its_head_to_a_private_file_and_to_kafka_when_it_stops(anchored: Site) -> None:
    expected = _head(anchored)
    filed = anchored.anchor_lines()
    assert [a["seq"] for a in filed] == [0, expected["seq"]]  # at start (its config.change), and on shutdown
    assert {k: filed[-1][k] for k in expected} == expected
    assert stat.S_IMODE(anchored.anchors.stat().st_mode) == 0o600
    published = _kafka_anchors(anchored)
    assert [a["seq"] for a in published] == [0, expected["seq"]] and {k: published[-1][k] for k in expected} == expected
    # Created through the deployment's retention policy: anchors are kept as long as the audit log.
    admin = AdminClient({"bootstrap.servers": anchored.bootstrap})
    resource = ConfigResource(ResourceType.TOPIC, anchored.topic)
    config = admin.describe_configs([resource])[resource].result()
    assert config["retention.ms"].value == "-1"


def test_the_cockpit_anchors_at_its_interval_while_it_runs(
    live_sites: LiveSite, tmp_path: Path, site_users: Path, cockpits: list[CockpitProcess]
) -> None:
    site = live_sites(0.5)
    cockpit = CockpitProcess(site, site_users, tmp_path / "logs")
    cockpits.append(cockpit)
    _use(cockpit)
    expected = _head(site)
    wait_for(lambda: bool(site.anchor_lines()) and site.anchor_lines()[-1]["seq"] == expected["seq"], 30, "a file anchor")
    wait_for(lambda: any(a["seq"] == expected["seq"] for a in _kafka_anchors(site)), 60, "a Kafka anchor")
    cockpit.kill()  # no shutdown: what was anchored so far is what counts
    filed = site.anchor_lines()
    assert {k: filed[-1][k] for k in expected} == expected
    assert [a["seq"] for a in filed] == sorted({a["seq"] for a in filed}), "an unchanged head was anchored again"


def test_verify_reports_records_cut_off_the_end(anchored: Site) -> None:
    lines = anchored.log.read_bytes().split(b"\n")[:-1]
    anchored_seq, anchored_hash = newest(anchored.log)
    kept = lines[:-2]
    anchored.log.write_bytes(b"\n".join(kept) + b"\n")
    last = json.loads(kept[-1])
    for how in (["--log", str(anchored.log)], ["-c", str(anchored.config)], ["-c", str(anchored.config), "--no-kafka"]):
        done = citytwin("audit", "verify", *how)
        assert done.returncode == 1, (how, done.stdout, done.stderr)
        assert "cut off" in done.stderr and f"seq {anchored_seq}" in done.stderr and f"ends at seq {last['seq']}" in done.stderr
        assert anchored_hash in done.stderr and last["hash"] in done.stderr


def test_verify_reports_a_chain_rewritten_consistently_even_without_the_anchor_file(anchored: Site) -> None:
    records = anchored.records()
    original = {r["seq"]: r["hash"] for r in records}
    forged = [{**r, "actor": "someone-else"} if r["actor"] == "ada" else r for r in records]
    anchored.log.write_bytes(rehash(forged))
    anchored.anchors.unlink()  # whoever can rewrite the log can remove the file next to it; not the Kafka topic
    assert citytwin("audit", "verify", "--log", str(anchored.log)).returncode == 0  # the chain itself fits
    done = citytwin("audit", "verify", "-c", str(anchored.config))
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "rewritten" in done.stderr and "kafka://" in done.stderr
    seq = int(done.stderr.split("record seq ")[1].split(")")[0])
    assert original[seq] in done.stderr  # the anchored hash
    assert json.loads(rehash(forged).split(b"\n")[seq])["hash"] in done.stderr  # and the one the log has now


def test_verify_of_an_intact_log_names_the_anchor_it_matched(anchored: Site) -> None:
    AuditLog(anchored.log).append("ada", "sql.query", {"phase": "intent", "sql": "SELECT 1"})  # written after the last anchor
    done = citytwin("audit", "verify", "-c", str(anchored.config))
    assert done.returncode == 0, done.stderr
    assert "matches the newest anchor" in done.stdout and "1 records were written after it" in done.stdout


def test_without_kafka_the_cockpit_serves_anchors_to_the_file_and_stops_promptly(
    tmp_path: Path, audit_lake: Path, site_users: Path, cockpits: list[CockpitProcess]
) -> None:
    site = make_site(tmp_path / "site", audit_lake, "127.0.0.1:1", "nowhere.audit-anchors",  # nothing listens there
                     anchor_interval_s=0.5)
    cockpit = CockpitProcess(site, site_users, tmp_path / "logs")
    cockpits.append(cockpit)
    headers = cockpit.token()
    assert cockpit.http.post("/api/sql", json={"sql": "SELECT 1"}, headers=headers).status_code == 200
    wait_for(lambda: any(a["seq"] == newest(site.log)[0] for a in site.anchor_lines()), 30, "a file anchor")
    assert cockpit.stop() < 15, cockpit.output()
    assert site.anchor_lines()[-1]["seq"] == newest(site.log)[0]
    assert "cannot anchor to Kafka" in cockpit.output() and "reached the file" in cockpit.output()


def test_every_audited_service_anchors_not_only_the_cockpit(live_site: Site) -> None:
    done = citytwin("retention", "-c", str(live_site.config), "--days", "36500")
    assert done.returncode == 0, done.stderr
    seq, digest = newest(live_site.log)
    assert [r["action"] for r in live_site.records()] == ["config.change"]
    assert (live_site.anchor_lines()[-1]["seq"], live_site.anchor_lines()[-1]["hash"]) == (seq, digest)


def test_verify_says_plainly_when_there_is_no_anchor(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    AuditLog(log).append("ada", "sql.query", {"sql": "SELECT 1"})
    done = citytwin("audit", "verify", "--log", str(log))
    assert done.returncode == 0 and "intact: 1 records" in done.stdout
    assert "no anchor of this log was found" in done.stderr and "audit.anchors.jsonl (absent)" in done.stderr


def test_an_anchor_file_inside_the_lake_is_refused(tmp_path: Path, audit_lake: Path) -> None:
    site = make_site(tmp_path, audit_lake, "127.0.0.1:1", "x", anchor_path=str(audit_lake / "anchors.jsonl"))
    done = citytwin("audit", "verify", "-c", str(site.config))
    assert done.returncode == 2 and "audit.anchor_path" in done.stderr and "inside the lake" in done.stderr

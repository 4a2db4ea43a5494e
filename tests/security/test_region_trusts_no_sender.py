"""The regional twin trusts no sender: forged, replayed and out-of-range cells over the live Kafka.

Two cities federate with the real ``citytwin federate``; then anyone who can
write to the regional topic sends what an attacker would: cells with no
signature, a guessed one, another city's key, far-future or replayed times,
a k below the region's, values past any column, and records that are not
cells at all. The real ``citytwin region`` must keep every city's own
values, send each hostile record to the regional dead-letter topic with the
reason, and never crash on one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from cloud.twin.synth import CityShape, generate
from tests.cloud.federation.support import (SECRETS, cell, federation_doc, heat_cell, key_env, key_environ, key_id, region_doc,
                                            sign, signed_by)
from tests.support.brokers import KafkaBroker, unique_name
from tests.support.region import read_all

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

FAR_FUTURE = "2999-01-01T00:00:00+00:00"


def citytwin(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, **(key_environ() if env is None else env)}
    return subprocess.run([sys.executable, "-m", "citytwin.cli", *args], capture_output=True, text=True, timeout=240, env=environ)


def hostile(target: dict[str, Any]) -> dict[str, tuple[bytes, str]]:
    """What an attacker sends, by name: the record and the dead-letter error the region must give it."""
    now = datetime.now(timezone.utc)
    old_wire = dict(target) | {"schema_version": 1, "value": 999_999, "exported_at": FAR_FUTURE}
    forged = target | {"value": 999_999, "exported_at": FAR_FUTURE}
    hour = datetime.fromisoformat(cell()["bucket_start"])
    return {
        # The finding itself: a cell in the old, unsigned wire format claiming a city, exported "in 2999".
        "unsigned_far_future": (json.dumps(old_wire).encode(), "unsigned"),
        "unsigned_value_2_63": (json.dumps(old_wire | {"value": 2**63, "exported_at": now.isoformat()}).encode(), "unsigned"),
        "guessed_signature": (sign(forged, key_id("ghent"), "0" * 64), "bad_signature"),
        "altered_after_signing": (signed_by("ghent", target).replace(b'"value": ', b'"value": 1', 1), "bad_signature"),
        "unknown_key": (signed_by("mallory", forged | {"city": "mallory"}), "unknown_key"),
        "other_citys_key": (signed_by("bruges", forged | {"exported_at": now.isoformat()}), "city_mismatch"),
        # Signed by the city itself (a stolen key, a broken clock or a bad config): the region's own limits still hold.
        "signed_far_future": (signed_by("ghent", forged), "future"),
        "signed_value_2_63": (signed_by("ghent", cell(value=2**63)), "schema"),
        "signed_value_above_max": (signed_by("ghent", cell(value=5_000_000)), "out_of_range"),
        "signed_k_2": (signed_by("ghent", cell(k=2, value=12)), "k_below_minimum"),
        "signed_value_below_k": (signed_by("ghent", cell(value=3)), "schema"),
        "signed_negative": (signed_by("ghent", cell(value=-40)), "schema"),
        "signed_float_value": (signed_by("ghent", cell(value=40.0)), "schema"),
        "signed_bool_value": (signed_by("ghent", cell(value=True, k=True)), "schema"),
        "signed_bucket_s_odd": (signed_by("ghent", cell(bucket_s=3599)), "bucket_s"),
        "signed_bucket_s_2_40": (signed_by("ghent", cell(bucket_s=2**40)), "schema"),
        "signed_bucket_unaligned": (signed_by("ghent", cell(bucket_start=(hour + timedelta(minutes=7)).isoformat())), "bucket_start"),
        "signed_bucket_open": (signed_by("ghent", cell(bucket_start=(hour + timedelta(hours=1)).isoformat())), "future"),
        "signed_bucket_tomorrow": (signed_by("ghent", cell(bucket_start=(hour + timedelta(days=1)).isoformat())), "future"),
        "signed_bucket_year_1": (signed_by("ghent", cell(bucket_start="0001-01-01T00:00:00+01:00")), "schema"),
        "signed_bucket_too_old": (signed_by("ghent", cell(bucket_start=(hour - timedelta(days=400)).isoformat())), "too_old"),
        "signed_naive_exported_at": (signed_by("ghent", cell(exported_at=now.replace(tzinfo=None).isoformat())), "schema"),
        "replayed_two_hours_later": (signed_by("ghent", cell(bucket_start=(hour - timedelta(hours=3)).isoformat(),
                                                             exported_at=(now - timedelta(hours=2)).isoformat())), "stale"),
        "signed_event_id": (signed_by("ghent", cell(event_id="ghent-cam-1:7")), "schema"),
        # Heatmap cells: finer than the contract's floor, off the globe, a precise position, a grid index, too many objects.
        "heatmap_finer_than_floor": (signed_by("ghent", heat_cell(cell_m=1.0)), "schema"),
        "heatmap_off_the_globe": (signed_by("ghent", heat_cell(lat=95.0)), "schema"),
        "heatmap_not_rounded": (signed_by("ghent", heat_cell(lon=3.7200721)), "schema"),
        "heatmap_grid_index": (signed_by("ghent", heat_cell(east=3, north=4, node="ghent-cam-1")), "schema"),
        "heatmap_value_above_max": (signed_by("ghent", heat_cell(value=5_000_000)), "out_of_range"),
        "heatmap_value_2_63": (signed_by("ghent", heat_cell(value=2**63)), "schema"),
        "heatmap_as_version_2": (signed_by("ghent", heat_cell(schema_version=2)), "schema"),
        "envelope_extra_field": (json.dumps(json.loads(signed_by("ghent", cell())) | {"city": "ghent"}).encode(), "invalid_envelope"),
        "not_json": (b"\xff\xfe not json", "invalid_json"),
        "nan": (signed_by("ghent", cell()).replace(b'"value": 40', b'"value": NaN'), "invalid_json"),
        "deep_nesting": (b"[" * 10_000 + b"]" * 10_000, "too_large"),
        "deep_but_small": (b'{"hmac_sha256": ' + b"[" * 3000 + b"]" * 3000 + b"}", "invalid_json"),
        "huge": (b'{"hmac_sha256": "' + b"a" * 200_000 + b'"}', "too_large"),
        "empty": (b"", "empty"),
    }


@dataclass
class Run:
    """What happened: records sent by name with (partition, offset), the region's runs, its dead letters and cells."""

    tmp: Path
    topic: str
    target: dict[str, Any]
    sent: dict[str, tuple[int, int]]
    expected: dict[str, str]
    runs: list[subprocess.CompletedProcess[str]]
    dead: dict[tuple[int, int], dict[str, str]]
    dead_raw: dict[tuple[int, int], bytes]
    query: Callable[..., list[tuple[Any, ...]]]


def _cities(tmp: Path, bootstrap: str, topic: str) -> None:
    start = (datetime.now(timezone.utc) - timedelta(hours=30)).replace(minute=0, second=0, microsecond=0)
    for city in ("ghent", "bruges"):
        lake = tmp / city / "lake"
        generate(lake, CityShape(site=city, cameras=2, days=1, events=3000, start=start))
        doc = {"site": {"id": city, "name": city.title(), "width_m": 10, "height_m": 10}, "lake": {"path": str(lake)},
               "kafka": {"bootstrap": bootstrap}, "federation": federation_doc(bootstrap, topic, city)}
        (tmp / f"{city}.yaml").write_text(yaml.safe_dump(doc))
    (tmp / "region.yaml").write_text(yaml.safe_dump(region_doc(bootstrap, topic, tmp / "region-lake")))


def _where(future: Any) -> tuple[int, int]:
    """Partition and offset of a sent record; (-1, -1) if the broker refused it."""
    try:
        meta = future.get(30)
    except Exception:  # the tests then say which record is missing
        return (-1, -1)
    return (meta.partition, meta.offset)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, kafka_broker: KafkaBroker, kafka_admin: Any) -> Iterator[Run]:
    from kafka import KafkaProducer

    from cloud.federation.regional import RegionalTwin

    tmp = tmp_path_factory.mktemp("untrusted")
    topic = unique_name("region")
    bootstrap = kafka_broker.bootstrap
    _cities(tmp, bootstrap, topic)
    # The topic exists before the region first runs, as one made by hand would: the region takes it over.
    kafka_admin.create_topics({topic: {"num_partitions": 3, "replication_factor": 1}}, wait_for_metadata=True)
    runs = [citytwin("region", "-c", str(tmp / "region.yaml"), "--once")]
    for city in ("ghent", "bruges"):
        runs.append(citytwin("federate", "-c", str(tmp / f"{city}.yaml"), "--once"))
    genuine = [json.loads(m.value()) for m in read_all(bootstrap, topic)]
    target = next((g["cell"] for g in genuine if g.get("cell", {}).get("city") == "ghent"), None) or cell(subject="missing")
    records = hostile(target)
    # Sent after the genuine cell, with its Kafka key, so it lands behind it in the same partition: an older
    # exported_at that arrives later is the newer value.
    records["later_arrival_older_exported_at"] = (
        signed_by("ghent", target | {"value": target["value"] + 1000,
                                     "exported_at": (datetime.now(timezone.utc) - timedelta(seconds=60)).isoformat()}), "")
    records["good_after_the_bad"] = (signed_by("ghent", cell(subject="after-the-bad")), "")
    records["good_with_a_forged_kafka_timestamp"] = (signed_by("ghent", cell(subject="kafka-time")), "")
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=4 * 2**20)
    cell_key = "/".join([target["city"], target["camera"], target["kind"], target["subject"], target["direction"] or "-",
                         datetime.fromisoformat(target["bucket_start"]).isoformat()]).encode()
    # Two days back: a broker takes any past CreateTime, and the cell would look two days early by it.
    sender_time = {"good_with_a_forged_kafka_timestamp": int((datetime.now(timezone.utc) - timedelta(days=2)).timestamp() * 1000)}
    futures = {name: producer.send(topic, key=cell_key, value=raw, timestamp_ms=sender_time.get(name))
               for name, (raw, _) in records.items()}
    sent = {name: _where(f) for name, f in futures.items()}
    producer.close()
    runs += [citytwin("region", "-c", str(tmp / "region.yaml"), "--once") for _ in range(2)]  # the second finds nothing new
    dead = {}
    dead_raw = {}
    for m in read_all(bootstrap, f"{topic}.dlq"):
        headers = {k: v.decode() for k, v in m.headers() or []}
        where = (int(headers.get("source_partition", -1)), int(headers.get("source_offset", -1)))
        dead[where], dead_raw[where] = headers, m.value() or b""
    twin = RegionalTwin(tmp / "region-lake")
    twin.refresh()
    yield Run(tmp, topic, target, sent, {n: e for n, (_, e) in records.items()}, runs, dead, dead_raw,
              twin.query)
    twin.close()
    for name in (topic, f"{topic}.dlq"):
        try:
            kafka_admin.delete_topics([name])
        except Exception:  # the dead-letter topic may never have been made; cleaning up must not fail the tests
            pass


def test_the_region_survives_every_hostile_record(run: Run) -> None:
    for done in run.runs:
        assert done.returncode == 0, done.stderr[-3000:]
    assert "0 cells written" in run.runs[-1].stdout, "a second run read the same records again"


HOSTILE = [name for name in hostile(cell()) if name]


@pytest.mark.parametrize("name", HOSTILE)
def test_each_hostile_record_goes_to_the_dead_letter_topic_with_its_reason(run: Run, name: str) -> None:
    where = run.sent[name]
    assert where in run.dead, f"{name} at {where} is not in {run.topic}.dlq"
    headers = run.dead[where]
    assert headers["error"] == run.expected[name], headers["reason"]
    assert headers["reason"] and headers["source_topic"] == run.topic and headers["by"].startswith("region-sink-")


def test_dead_letters_keep_the_record_as_received(run: Run) -> None:
    raw, _ = hostile(run.target)["not_json"]
    assert run.dead_raw[run.sent["not_json"]] == raw
    huge = run.dead[run.sent["huge"]]
    assert huge["truncated"] == "true" and int(huge["original_size"]) > 200_000


def test_nothing_the_region_refused_is_in_its_twin(run: Run) -> None:
    stored = {(p, o) for p, o in run.query("SELECT kafka_partition, kafka_offset FROM raw_cells")}
    refused = {run.sent[name] for name in HOSTILE}
    assert stored and not stored & refused
    assert run.query("SELECT max(value) FROM raw_cells")[0][0] < 999_999
    assert {row[0] for row in run.query("SELECT DISTINCT city FROM raw_cells")} == {"ghent", "bruges"}
    assert run.query("SELECT min(k) FROM raw_cells")[0][0] >= 10


def test_a_forged_far_future_cell_does_not_replace_the_citys_value(run: Run) -> None:
    target = run.target
    key = "/".join([target["city"], target["camera"], target["kind"], target["subject"], target["direction"] or "-",
                    datetime.fromisoformat(target["bucket_start"]).isoformat()])
    ((value, exported_at),) = run.query("SELECT value, exported_at FROM cells WHERE key = ?", [key])
    assert exported_at.year < 2999
    # The newest arrival wins, though its exported_at is older than the first one's: the sender's clock decides nothing.
    assert value == target["value"] + 1000


def test_the_good_cell_after_the_bad_ones_is_kept(run: Run) -> None:
    assert run.query("SELECT city, value FROM cells WHERE subject = 'after-the-bad'") == [("ghent", 40)]
    assert run.sent["good_after_the_bad"] not in run.dead


def test_arrival_is_the_regional_kafkas_clock_not_the_senders(run: Run) -> None:
    ((arrived_at,),) = run.query("SELECT arrived_at FROM cells WHERE subject = 'kafka-time'")
    assert abs(arrived_at - datetime.now(timezone.utc)) < timedelta(minutes=10)


@pytest.mark.parametrize(("command", "config", "env", "says"), [
    ("federate", "ghent.yaml", {}, f"{key_env('ghent')}, which is not set"),
    ("federate", "ghent.yaml", {key_env("ghent"): "short"}, "use at least 32"),
    ("region", "region.yaml", {key_env("ghent"): SECRETS["ghent"]}, f"{key_env('bruges')}, which is not set"),
    ("region", "region.yaml", {**key_environ(), key_env("bruges"): SECRETS["ghent"]}, "same signing key"),
])
def test_federate_and_region_refuse_to_start_without_their_keys(
    run: Run, command: str, config: str, env: dict[str, str], says: str
) -> None:
    done = citytwin(command, "-c", str(run.tmp / config), "--once", env=env)
    assert done.returncode == 2 and says in done.stderr, done.stderr

"""Two city twins federate into a regional twin over the live Kafka: sums add up, nothing identifying crosses."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from confluent_kafka.admin import AdminClient

from cloud.audit.chain import AuditLog, verify
from cloud.federation.countcell import CountCell
from cloud.federation.export import aggregate, publish, signing_key, window
from cloud.federation.region_config import RegionDeployment, keyring
from cloud.federation.regional import RegionalSink, RegionalTwin
from cloud.federation.screen import region_state
from cloud.federation.settings import FederationSettings
from cloud.kafka.clients import admin_config
from cloud.kafka.settings import KafkaSettings
from cloud.kafka.topics import topic_configs
from cloud.twin.synth import CityShape, generate
from cloud.twin.twin import Twin
from contract.site import SiteSpec
from tests.cloud.federation.heat_support import expected_centre, heat_body, heat_event_ts
from tests.cloud.federation.support import CITIES as PLACES
from tests.cloud.federation.support import heat_cell, key_env, key_environ, key_id, region_doc, signed_by
from tests.support.counts import deliver
from tests.support.region import read_all
from tests.support.brokers import KafkaBroker

pytestmark = [pytest.mark.kafka]

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
CITIES = {"ghent": 7, "bruges": 11}  # city -> synthetic seed-ish size factor
K = 5


def region_sink(tmp: Path, bootstrap: str, topic: str) -> RegionalSink:
    """The regional sink of ghent and bruges, with k=5 and room for buckets of START."""
    cfg = RegionDeployment.model_validate(region_doc(bootstrap, topic, tmp / "region", min_k=K, max_bucket_age_days=3650))
    return RegionalSink(cfg, keyring(cfg, key_environ()))


def city_twin(tmp: Path, city: str, factor: int) -> Twin:
    lake = tmp / city / "lake"
    generate(lake, CityShape(site=city, cameras=3, days=1, events=400 * factor, start=START))
    return Twin(lake, SiteSpec(id=city, name=city, width_m=10, height_m=10), [])


def add_heatmaps(twin: Twin, city: str, factor: int) -> dict[tuple[Any, ...], tuple[int, int]]:
    """Heatmap count events of two cameras every three hours of START's day; per cell and hour: (objects, busiest interval)."""
    origin = (PLACES[city][1], PLACES[city][0])
    sums: Counter[tuple[Any, ...]] = Counter()
    peaks: Counter[tuple[Any, ...]] = Counter()
    seq = 0
    for camera in ("cam-0", "cam-1"):
        for hour in range(0, 24, 3):
            for minute in (0, 30):
                begins = START + timedelta(hours=hour, minutes=minute)
                cells = [(0, 0, factor // 2 + hour % 4), (1, 2, 3), (-3, 1, factor), (4, 4, 1)]
                seq += 1
                deliver(twin, camera, seq, heat_event_ts(begins), heat_body(begins, cells, origin=origin), site=city)
                for east, north, objects in cells:
                    place = (camera, *expected_centre(east, north, origin=origin), START + timedelta(hours=hour))
                    sums[place] += objects
                    peaks[place] = max(peaks[place], objects)
    return {place: (n, peaks[place]) for place, n in sums.items()}


def expected_cells(twin: Twin, bucket_s: int, start: datetime, end: datetime) -> tuple[Counter[tuple[Any, ...]], Counter[tuple[Any, ...]]]:
    """Crossing counts and zone peaks per cell, computed here in Python from the raw rows."""
    def bucket(ts: datetime) -> int:
        return int(ts.timestamp()) // bucket_s

    lines: Counter[tuple[Any, ...]] = Counter()
    for camera, line, direction, ts in twin.query("SELECT camera, line, direction, ts FROM crossings WHERE ts >= ? AND ts < ?",
                                                  [start, end]).rows:
        lines[(camera, line, direction, bucket(ts))] += 1
    zones: Counter[tuple[Any, ...]] = Counter()
    for camera, zone, total, ts in twin.query("SELECT camera, zone, total, ts FROM occupancy WHERE ts >= ? AND ts < ?",
                                              [start, end]).rows:
        key = (camera, zone, bucket(ts))
        zones[key] = max(zones[key], total)
    return lines, zones


def test_two_cities_federate_into_a_regional_twin(tmp_path: Path, kafka_broker: KafkaBroker, kafka_topic: str) -> None:
    from kafka import KafkaProducer

    settings = FederationSettings(bootstrap=kafka_broker.bootstrap, topic=kafka_topic, bucket_s=3600, k=K,
                                  grace_s=0, lookback_buckets=24)
    start, end = window(settings, START + timedelta(days=1))
    assert (start, end) == (START, START + timedelta(days=1))
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap, acks="all")
    audit = AuditLog(tmp_path / "audit.jsonl")
    expected_lines: dict[str, int] = {}
    expected_peaks: dict[str, int] = {}
    suppressed: dict[str, int] = {}
    expected_heat: dict[tuple[Any, ...], int] = {}
    identifiers: set[str] = set()
    for city, factor in CITIES.items():
        twin = city_twin(tmp_path, city, factor)
        heat = add_heatmaps(twin, city, factor)
        twin.refresh()
        lines, zones = expected_cells(twin, settings.bucket_s, start, end)
        expected_lines[city] = sum(n for n in lines.values() if n >= K)
        expected_peaks[city] = max(n for n in zones.values() if n >= K)
        expected_heat |= {(city, *place): n for place, (n, peak) in heat.items() if peak >= K}
        assert any(n >= K > peak for n, peak in heat.values()), "the heatmaps should hold cells summing past k, never at k"
        peaks = [peak for _, peak in heat.values()]
        suppressed[city] = sum(1 for n in [*lines.values(), *zones.values(), *peaks] if n < K)
        identifiers |= {str(v) for row in twin.query("SELECT event_id, track_id FROM crossings").rows for v in row}
        identifiers |= {str(r[0]) for r in twin.query("SELECT event_id FROM events").rows}
        export = aggregate(twin, settings, city, start, end)
        key = signing_key(settings.model_copy(update={"key_env": key_env(city), "key_id": key_id(city)}), city, key_environ())
        assert export.suppressed == suppressed[city] > 0, "the data should hold cells below k"
        assert len(export.cells) == sum(1 for n in [*lines.values(), *zones.values(), *peaks] if n >= K)
        for _ in range(2):  # a repeated export must not count twice in the region
            publish(export, settings, key, lambda cell_key, value: producer.send(kafka_topic, key=cell_key.encode(), value=value),
                    audit, actor="federation")
        twin.close()
    producer.flush(30)

    sink = region_sink(tmp_path, kafka_broker.bootstrap, kafka_topic)
    # The topic existed before the region (with the senders' CreateTime); the region switched it to its own clock.
    admin = AdminClient(admin_config(KafkaSettings(bootstrap=kafka_broker.bootstrap), "citytwin-tests"))
    assert topic_configs(admin, [kafka_topic])[kafka_topic]["message.timestamp.type"] == "LogAppendTime"
    region = RegionalTwin(tmp_path / "region")
    for _ in range(30):
        sink.step(1000)
        region.refresh()
        both = region.query("SELECT count(*) FROM raw_cells")[0][0] == 2 * region.query("SELECT count(*) FROM cells")[0][0]
        if both and dict(region.query("SELECT city, sum(value) FROM cells WHERE kind = 'line' GROUP BY city")) == expected_lines:
            break
    sink.close()

    # Totals: each city's sum of crossings, minus the suppressed cells; the region's total is their sum.
    got_lines = dict(region.query("SELECT city, sum(value) FROM cells WHERE kind = 'line' GROUP BY city"))
    assert got_lines == expected_lines
    assert region.query("SELECT sum(value) FROM cells WHERE kind = 'line'")[0][0] == sum(expected_lines.values())
    got_peaks = dict(region.query("SELECT city, max(value) FROM cells WHERE kind = 'zone' GROUP BY city"))
    assert got_peaks == expected_peaks
    assert region.query("SELECT min(value) FROM cells")[0][0] >= K
    # Heatmap cells arrive placed by their centre and size, never below k, and nothing of the grid's own numbering.
    got_heat = {(city, camera, lat, lon, b): n for city, camera, cell_m, lat, lon, b, n in region.query(
        "SELECT city, camera, cell_m, lat, lon, bucket_start, objects FROM heatmap") if cell_m == 10.0}
    assert got_heat == expected_heat and expected_heat
    assert region.query("SELECT count(*) FROM heatmap")[0][0] == len(expected_heat)
    assert region.query("SELECT count(*) FROM raw_cells")[0][0] == 2 * region.query("SELECT count(*) FROM cells")[0][0]

    # Nothing identifying is in the regional lake: no such columns, and no value equal to any event or track id.
    files = sorted((tmp_path / "region").rglob("*.parquet"))
    assert files
    for path in files:
        table = pq.read_table(path)
        assert not {"event_id", "track_id", "node", "seq", "body", "snapshot", "east", "north", "origin_lon", "origin_lat"} \
            & set(table.column_names)
        # The region's own columns (where and when a cell arrived, which key signed it) come from no city.
        sent = [n for n in table.column_names if n not in {"key_id", "arrived_at", "kafka_partition", "kafka_offset"}]
        values = {str(v) for name in sent for v in table.column(name).to_pylist()}
        assert not values & identifiers, f"{path} holds an event or track id"

    # Every export is in the audit log, with what crossed and what was held back.
    exports = [json.loads(line) for line in audit.path.read_text().splitlines()]
    assert [(r["action"], r["details"]["city"]) for r in exports] == [("federation.export", c) for c in CITIES for _ in range(2)]
    assert [r["details"]["suppressed"] for r in exports[::2]] == [suppressed[c] for c in CITIES]
    assert verify(audit.path).ok
    region.close()


def test_the_region_refuses_records_that_are_not_count_cells(tmp_path: Path, kafka_broker: KafkaBroker, kafka_topic: str) -> None:
    from kafka import KafkaProducer

    good = CountCell(city="ghent", camera="cam-1", kind="line", subject="gate", direction="in", bucket_start=START,
                     bucket_s=900, value=9, k=K, exported_at=datetime.now(timezone.utc)).model_dump(mode="json")
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap, acks="all")
    for bad in ({**good, "event_id": "ghent-cam-1:7"}, {**good, "track_id": 3}, {**good, "value": 2}, {**good, "direction": None}):
        producer.send(kafka_topic, signed_by("ghent", bad))  # signed by the city, and still not a count cell
    producer.send(kafka_topic, b"not json")
    for bad in ({"cell_m": 1.0}, {"lat": 95.0}, {"east": 3, "north": 4}, {"value": 10**12}, {"lat": 51.0500451}):
        producer.send(kafka_topic, signed_by("ghent", heat_cell(**bad)))  # finer, off the globe, a grid index, huge, precise
    producer.send(kafka_topic, signed_by("ghent", good))
    producer.send(kafka_topic, signed_by("ghent", heat_cell()))
    producer.flush(30)
    sink = region_sink(tmp_path, kafka_broker.bootstrap, kafka_topic)
    written = 0
    for _ in range(20):
        written += sink.step(500)
        if written + sink.refused >= 12:
            break
    sink.close()
    assert (written, sink.refused) == (2, 10)
    dead = [{k: v.decode() for k, v in m.headers() or []} for m in read_all(kafka_broker.bootstrap, f"{kafka_topic}.dlq")]
    assert sorted(h["error"] for h in dead) == ["invalid_json", *["schema"] * 9]
    assert all(h["reason"] for h in dead)
    region = RegionalTwin(tmp_path / "region")
    region.refresh()
    assert region.query("SELECT city, subject, value FROM cells WHERE kind = 'line'") == [("ghent", "gate", 9)]
    assert region.query("SELECT city, cell_m, lat, lon, objects FROM heatmap") == [("ghent", 10.0, 51.050045, 3.720072, 40)]
    cfg = RegionDeployment.model_validate(region_doc(kafka_broker.bootstrap, kafka_topic, tmp_path / "region"))
    shown = {c["id"]: (c["cells"], c["heatmap_cells"], c["crossings"]) for c in region_state(cfg, region)["cities"]}
    assert shown == {"ghent": (2, 1, 9), "bruges": (0, 0, 0)}
    region.close()


def test_an_empty_regional_twin_answers_with_no_rows(tmp_path: Path) -> None:
    region = RegionalTwin(tmp_path / "region")
    region.refresh()
    assert region.query("SELECT city, sum(value) FROM cells WHERE kind = 'line' GROUP BY city") == []
    assert region.query("SELECT count(*) FROM city_totals") == [(0,)]


def test_rows_from_before_signing_stay_in_raw_cells_and_count_nowhere(tmp_path: Path) -> None:
    import pyarrow as pa

    from cloud.federation.regional import Received, table
    from cloud.sink.writer import write_atomic

    now = datetime.now(timezone.utc)
    signed = CountCell(city="ghent", camera="cam-1", kind="zone", subject="plaza", bucket_start=START, bucket_s=900,
                       value=12, k=K, exported_at=now)
    rows, _ = table([Received(signed, "ghent-test", now, 0, 0, b"")])
    write_atomic(rows, tmp_path / "region" / "counts" / "new.parquet", zstd_level=3)
    unsigned = {c: signed.model_dump()[c] for c in ["schema_version", "city", "camera", "kind", "subject", "direction",
                                                     "bucket_start", "bucket_s", "k", "exported_at"]}
    old = pa.Table.from_pylist([{"key": signed.key, **unsigned, "value": 999_999}])  # the lake's columns before signing
    write_atomic(old, tmp_path / "region" / "counts" / "old.parquet", zstd_level=3)
    region = RegionalTwin(tmp_path / "region")
    region.refresh()
    assert region.query("SELECT value, key_id FROM raw_cells ORDER BY value") == [(12, "ghent-test"), (999_999, None)]
    assert region.query("SELECT value FROM cells") == [(12,)]
    region.close()

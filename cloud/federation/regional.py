"""The region side: signed count cells from Kafka into a Parquet lake, and a DuckDB twin over it.

``RegionalSink`` consumes the regional topic in a consumer group and lets in
only what ``Admission`` accepts: a cell signed by a city's key, within the
region's own limits. Everything else, and anything the lake cannot store,
goes to the regional dead-letter topic with the reason in its headers (the
city's ``DeadLetter`` format), and the sink moves on. Each batch of a
partition becomes one Parquet file named by partition and offsets (written
atomically, so a re-run after a crash rewrites the same file); offsets are
committed only after the file and the batch's dead letters are durable.

The region owns its topic and creates it with ``message.timestamp.type=
LogAppendTime`` (an existing one is switched), so each record carries the
time the region's Kafka appended it: ``arrived_at``, the region's own clock,
which no sender can set. A record without such a timestamp (written before
the switch) is stamped with the sink's clock when read.

``RegionalTwin`` reads those files (``heatmap`` holds the heatmap cells with
their size and centre). A cell exported again replaces the
earlier one: the newest *arrival* wins (``arrived_at``, then partition and
offset), never the sender's ``exported_at``. A copy of a cell already
received (same key and ``exported_at``, which only the city's key can sign)
counts as of its first arrival: a replay cannot bring an earlier export's
value back. Rows written before cells were
signed (they have no ``key_id``) stay in ``raw_cells`` but count nowhere;
the cities' next exports (their look-back) bring those buckets back.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from confluent_kafka import TIMESTAMP_LOG_APPEND_TIME, Consumer, KafkaException, Message, TopicPartition
from confluent_kafka.cimpl import NewTopic

from citytwin.memory import DUCKDB
from cloud.dlq.publish import DeadLetterPublisher
from cloud.dlq.records import DeadLetter
from cloud.federation.admission import MAX_RECORD_BYTES, Admission, Refused
from cloud.federation.countcell import CountCell
from cloud.federation.region_config import RegionDeployment, RegionKafka
from cloud.federation.signing import CellKey
from cloud.kafka.clients import consumer_config, default_instance
from cloud.kafka.topics import create_and_align
from cloud.sink.writer import write_atomic

log = logging.getLogger(__name__)

SCHEMA = pa.schema([
    ("key", pa.string()), ("schema_version", pa.int16()), ("city", pa.string()), ("camera", pa.string()),
    ("kind", pa.string()), ("subject", pa.string()), ("direction", pa.string()),
    ("bucket_start", pa.timestamp("us", tz="UTC")), ("bucket_s", pa.int32()), ("value", pa.int64()),
    ("k", pa.int32()), ("exported_at", pa.timestamp("us", tz="UTC")),
    ("cell_m", pa.float64()), ("lat", pa.float64()), ("lon", pa.float64()),
    ("key_id", pa.string()), ("arrived_at", pa.timestamp("us", tz="UTC")), ("kafka_partition", pa.int32()),
    ("kafka_offset", pa.int64()),
])
TIMESTAMP_TYPE = "message.timestamp.type"
PARTITIONS = 3
CONSUME_MAX = 50_000


@dataclass(frozen=True)
class Received:
    """One admitted cell with who signed it and where and when it arrived."""

    cell: CountCell
    key_id: str
    arrived_at: datetime
    partition: int
    offset: int
    raw: bytes

    def row(self) -> dict[str, Any]:
        return {"key": self.cell.key, **self.cell.model_dump(), "key_id": self.key_id, "arrived_at": self.arrived_at,
                "kafka_partition": self.partition, "kafka_offset": self.offset}


def table(received: list[Received]) -> tuple[pa.Table, list[tuple[Received, str]]]:
    """The rows the lake can store, and those it cannot with the reason; one bad row never sinks the batch."""
    try:
        return pa.Table.from_pylist([r.row() for r in received], schema=SCHEMA), []
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        pass  # find the rows at fault
    good: list[dict[str, Any]] = []
    bad: list[tuple[Received, str]] = []
    for r in received:
        try:
            pa.Table.from_pylist([r.row()], schema=SCHEMA)
        except (pa.ArrowException, OverflowError, TypeError, ValueError) as exc:
            bad.append((r, f"the regional lake cannot store this cell: {exc}"))
        else:
            good.append(r.row())
    return pa.Table.from_pylist(good, schema=SCHEMA), bad


def ensure_topics(kafka: RegionKafka, client_id: str = "citytwin-region-admin") -> list[str]:
    """Create the regional topic and its dead-letter topic if missing; the region owns them, cities only publish."""
    wanted = [
        NewTopic(kafka.topic, num_partitions=PARTITIONS, replication_factor=1, config={TIMESTAMP_TYPE: "LogAppendTime"}),
        NewTopic(kafka.dead_letters, num_partitions=1, replication_factor=1),
    ]
    return create_and_align(kafka.cluster(), wanted, client_id, align=(TIMESTAMP_TYPE,))


def arrival(msg: Message) -> datetime:
    """When the region's Kafka appended ``msg``, or now where the record carries only the sender's time."""
    kind, ms = msg.timestamp()
    if kind == TIMESTAMP_LOG_APPEND_TIME:
        return datetime.fromtimestamp(ms / 1000, timezone.utc)
    return datetime.now(timezone.utc)


class RegionalSink:
    """Regional topic -> ``<lake>/counts/*.parquet``; refused records -> the regional DLQ; then offsets."""

    def __init__(self, cfg: RegionDeployment, keys: Mapping[str, CellKey], instance: str | None = None) -> None:
        self.topic = cfg.kafka.topic
        self.folder = cfg.lake.path / "counts"
        self.name = f"region-sink-{instance or default_instance()}"
        self.admission = Admission(cfg.region, keys)
        self.refused = 0
        ensure_topics(cfg.kafka, f"citytwin-{self.name}-admin")
        self.dead = DeadLetterPublisher(cfg.kafka.cluster(), f"citytwin-{self.name}-dlq")
        self.consumer = Consumer(consumer_config(cfg.kafka.cluster(), cfg.kafka.group, f"citytwin-{self.name}"))
        self.consumer.subscribe([self.topic])

    def step(self, timeout_ms: int = 1000) -> int:
        """Consume what is there, write it, make its dead letters durable, commit; returns the number of cells written."""
        by_partition: dict[int, list[Message]] = {}
        for msg in self.consumer.consume(CONSUME_MAX, timeout_ms / 1000):
            error = msg.error()
            if error is not None:
                log.warning("region: Kafka consumer: %s", error.str())
                continue
            partition = msg.partition()
            assert partition is not None
            by_partition.setdefault(partition, []).append(msg)
        written = sum(self._write(partition, messages) for partition, messages in by_partition.items())
        if by_partition:
            self.dead.flush()  # raises when a dead letter is not in Kafka: then nothing is committed
            self._commit({p: _offset(m[-1]) + 1 for p, m in by_partition.items()})
        return written

    def _commit(self, next_offsets: dict[int, int]) -> None:
        try:
            self.consumer.commit(offsets=[TopicPartition(self.topic, p, o) for p, o in sorted(next_offsets.items())],
                                 asynchronous=False)
        except KafkaException as exc:
            # What was read is durable; the next commit covers it, and cells read twice count once.
            log.warning("region: could not commit offsets of %s (%s); the next batch commits them", self.topic, exc.args[0])

    def _write(self, partition: int, messages: list[Message]) -> int:
        received: list[Received] = []
        for msg in messages:
            raw = msg.value()
            arrived_at = arrival(msg)
            try:
                cell, key_id = self.admission.admit(raw, arrived_at)
            except Refused as why:
                self._refuse(raw or b"", partition, _offset(msg), why.error, why.reason)
                continue
            assert raw is not None
            received.append(Received(cell, key_id, arrived_at, partition, _offset(msg), raw))
        if not received:
            return 0
        rows, unstorable = table(received)
        for r, reason in unstorable:
            self._refuse(r.raw, partition, r.offset, "unstorable", reason)
        stored: int = rows.num_rows
        if stored:
            first, last = _offset(messages[0]), _offset(messages[-1])
            write_atomic(rows, self.folder / f"{self.topic}-{partition}-{first:020d}-{last:020d}.parquet", zstd_level=3)
        return stored

    def _refuse(self, raw: bytes, partition: int, offset: int, error: str, reason: str) -> None:
        self.refused += 1
        log.warning("region: refused record %d:%d of %s (%s): %s", partition, offset, self.topic, error, reason)
        self.dead.send(DeadLetter.of(raw, error, reason, "kafka", self.topic, self.name, max_raw_bytes=MAX_RECORD_BYTES,
                                     source_partition=partition, source_offset=offset))

    def caught_up(self) -> bool:
        """Whether this sink has an assignment and has read every partition of it to the end."""
        assigned = self.consumer.assignment()
        if not assigned:
            return False
        committed = {tp.partition: tp.offset for tp in self.consumer.committed(assigned, timeout=10)}
        for tp in self.consumer.position(assigned):
            low, high = self.consumer.get_watermark_offsets(tp, timeout=10)
            at = tp.offset if tp.offset >= 0 else max(committed.get(tp.partition, -1), low)
            if at < high:
                return False
        return True

    def close(self) -> None:
        self.consumer.close()
        self.dead.producer.flush(5.0)


def _offset(msg: Message) -> int:
    offset = msg.offset()
    assert offset is not None
    return offset


class RegionalTwin:
    """DuckDB over the regional lake: ``cells`` (one row per cell key, newest arrival), ``city_totals`` and ``heatmap``."""

    def __init__(self, lake: Path) -> None:
        self.folder = lake / "counts"
        self.con = duckdb.connect(":memory:", config=DUCKDB)

    def refresh(self) -> int:
        files = sorted(self.folder.glob("*.parquet"))
        # Every column, even over files from before a column was added; such a file's rows read NULL there.
        self.con.register("no_cells", SCHEMA.empty_table())
        if files:
            listing = ", ".join("'" + str(p).replace("'", "''") + "'" for p in files)
            self.con.execute("CREATE OR REPLACE VIEW raw_cells AS SELECT * FROM no_cells UNION ALL BY NAME "
                             f"SELECT * FROM read_parquet([{listing}], union_by_name = true)")
        else:
            self.con.execute("CREATE OR REPLACE VIEW raw_cells AS SELECT * FROM no_cells")
        # Only verified cells count (a row without key_id predates signing), in arrival order: the sender's
        # exported_at decides nothing. A copy of a signed cell (same key, same exported_at) counts as it first
        # arrived, so sending an earlier export again never makes it the newest.
        self.con.execute("CREATE OR REPLACE VIEW cells AS SELECT * FROM (SELECT * FROM raw_cells WHERE key_id IS NOT NULL "
                         "QUALIFY row_number() OVER (PARTITION BY key, exported_at ORDER BY arrived_at, kafka_partition, "
                         "kafka_offset) = 1) QUALIFY row_number() OVER (PARTITION BY key ORDER BY arrived_at DESC, "
                         "kafka_partition DESC, kafka_offset DESC) = 1")
        self.con.execute("CREATE OR REPLACE VIEW city_totals AS SELECT city, sum(value) FILTER (WHERE kind = 'line') AS "
                         "crossings, max(value) FILTER (WHERE kind = 'zone') AS peak_occupancy, count(*) AS cells, "
                         "min(bucket_start) AS first_bucket, max(bucket_start) AS last_bucket FROM cells GROUP BY city")
        self.con.execute("CREATE OR REPLACE VIEW heatmap AS SELECT city, camera, cell_m, lat, lon, bucket_start, bucket_s, "
                         "value AS objects, k FROM cells WHERE kind = 'heatmap'")
        return len(files)

    def query(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, params).fetchall()

    def close(self) -> None:
        self.con.close()

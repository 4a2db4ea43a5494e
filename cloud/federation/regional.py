"""The region side: count cells from Kafka into a Parquet lake, and a DuckDB twin over it.

``RegionalSink`` consumes the regional topic in a consumer group, checks each
record against ``CountCell`` (anything else, such as a record with an event
id, is refused and logged), writes each batch as one Parquet file named by
partition and offsets (atomically, so a re-run after a crash rewrites the
same file), and commits offsets only after the file is durable.
``RegionalTwin`` reads those files; a cell exported twice counts once, with
its newest value.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from pydantic import ValidationError

from cloud.federation.cells import CountCell
from cloud.sink.writer import write_atomic

log = logging.getLogger(__name__)

SCHEMA = pa.schema([
    ("key", pa.string()), ("schema_version", pa.int16()), ("city", pa.string()), ("camera", pa.string()),
    ("kind", pa.string()), ("subject", pa.string()), ("direction", pa.string()),
    ("bucket_start", pa.timestamp("us", tz="UTC")), ("bucket_s", pa.int32()), ("value", pa.int64()),
    ("k", pa.int32()), ("exported_at", pa.timestamp("us", tz="UTC")),
])


def table(cells: list[CountCell]) -> pa.Table:
    rows = [{"key": c.key, **c.model_dump()} for c in cells]
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def ensure_topic(bootstrap: str, topic: str, partitions: int = 3, **kafka: Any) -> None:
    """Create the regional topic if it is missing: the region owns it, the cities only publish to it."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="citytwin-region-admin", **kafka)
    try:
        if topic not in admin.list_topics():
            admin.create_topics([NewTopic(topic, partitions, 1)])
            log.info("region: created Kafka topic %s", topic)
    except TopicAlreadyExistsError:
        pass  # another regional sink created it meanwhile
    finally:
        admin.close()


@dataclass
class Batch:
    """Cells of one partition since the last write, with their offset range."""

    partition: int
    first: int
    last: int = -1
    cells: list[CountCell] = field(default_factory=list)


class RegionalSink:
    """Regional topic -> ``<lake>/counts/*.parquet``, offsets committed after each durable file."""

    def __init__(self, bootstrap: str, topic: str, lake: Path, group: str = "citytwin-region", **kafka: Any) -> None:
        from kafka import KafkaConsumer

        ensure_topic(bootstrap, topic, **kafka)
        self.topic = topic
        self.folder = lake / "counts"
        self.refused = 0
        self.consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                                      auto_offset_reset="earliest", client_id="citytwin-region-sink", **kafka)

    def step(self, timeout_ms: int = 1000) -> int:
        """Poll once, write what arrived, commit; returns the number of cells written."""
        polled = self.consumer.poll(timeout_ms=timeout_ms, max_records=50_000)
        written = 0
        for tp, records in polled.items():
            batch = Batch(tp.partition, records[0].offset)
            for record in records:
                batch.last = record.offset
                try:
                    batch.cells.append(CountCell.model_validate_json(record.value))
                except ValidationError as exc:
                    self.refused += 1
                    log.warning("region: refused record %d:%d of %s: %s", tp.partition, record.offset, self.topic,
                                exc.errors()[0]["msg"] if exc.errors() else exc)
            if batch.cells:
                name = f"{self.topic}-{batch.partition}-{batch.first:020d}-{batch.last:020d}.parquet"
                write_atomic(table(batch.cells), self.folder / name, zstd_level=3)
                written += len(batch.cells)
        if polled:
            self.consumer.commit()
        return written

    def close(self) -> None:
        self.consumer.close()


class RegionalTwin:
    """DuckDB over the regional lake: ``cells`` (one row per cell key, newest export) and ``city_totals``."""

    def __init__(self, lake: Path) -> None:
        self.folder = lake / "counts"
        self.con = duckdb.connect(":memory:")

    def refresh(self) -> int:
        files = sorted(self.folder.glob("*.parquet"))
        if files:
            listing = ", ".join("'" + str(p).replace("'", "''") + "'" for p in files)
            self.con.execute(f"CREATE OR REPLACE VIEW raw_cells AS SELECT * FROM read_parquet([{listing}])")
        else:  # nothing received yet: the same columns, no rows
            self.con.register("no_cells", SCHEMA.empty_table())
            self.con.execute("CREATE OR REPLACE VIEW raw_cells AS SELECT * FROM no_cells")
        self.con.execute("CREATE OR REPLACE VIEW cells AS SELECT * FROM raw_cells QUALIFY "
                         "row_number() OVER (PARTITION BY key ORDER BY exported_at DESC) = 1")
        self.con.execute("CREATE OR REPLACE VIEW city_totals AS SELECT city, sum(value) FILTER (WHERE kind = 'line') AS "
                         "crossings, max(value) FILTER (WHERE kind = 'zone') AS peak_occupancy, count(*) AS cells, "
                         "min(bucket_start) AS first_bucket, max(bucket_start) AS last_bucket FROM cells GROUP BY city")
        return len(files)

    def query(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, params).fetchall()

    def close(self) -> None:
        self.con.close()

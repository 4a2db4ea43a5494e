"""Rollups made by the sink on live Kafka: redelivery, a spool flushed hours late and a compaction change no count.

Each case compares three answers: the rollup tables' totals, the twin's
named query (rollups where exact, raw elsewhere) and a brute-force count of
the distinct events in the raw files.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from confluent_kafka import Producer

from citytwin.deployment import Deployment
from cloud.kafka.clients import producer_config
from cloud.kafka.topics import ensure_topics
from cloud.rollup.reconcile import Reconciler
from cloud.sink.compact import compact
from cloud.sink.service import Sink
from cloud.sink.settings import CompactionSettings
from cloud.twin.listing import LakeFiles
from cloud.twin.twin import Twin
from tests.cloud.ingest_support import Ingest, MakeIngest, lake_ids, make_ingest  # noqa: F401 (fixtures)
from tests.cloud.rollup.support import brute, totals
from tests.cloud.sink.lakefiles import START, values
from tests.support.services import Running

pytestmark = pytest.mark.kafka

ROLLUPS = {"enabled": True, "interval_s": 0.3}
T1, T2 = START - timedelta(hours=3), START + timedelta(hours=3)


def _produce(cfg: Deployment, payloads: list[bytes]) -> None:
    ensure_topics(cfg.kafka)
    producer = Producer(producer_config(cfg.kafka, "citytwin-tests"))
    for payload in payloads:
        producer.produce(cfg.kafka.topics.events, payload, b"campus/cam-1")
    assert producer.flush(30) == 0


def _settled(lake: Path) -> bool:
    reconciler = Reconciler(lake, LakeFiles(lake))
    try:
        return any(lake.glob("date=*")) and reconciler.settled()
    finally:
        reconciler.close()


def _wait_settled(running: Running[Sink], lake: Path, events: int) -> None:
    """Until the lake holds ``events`` distinct events and the sink's reconciler has rolled them all up."""
    running.until(lambda _sink: len(lake_ids(lake)[1]) >= events, f"the lake holds {len(lake_ids(lake)[1])} of {events}")
    running.until(lambda _sink: _settled(lake), "the sink's reconciler did not bring the rollups up to date")


def _answers(ingest: Ingest) -> tuple[int, int, int]:
    """(rollup total, the twin's named answer, brute-force distinct events) of crossings."""
    twin = Twin(ingest.lake, ingest.cfg.site, ingest.cfg.cameras)
    try:
        assert twin.exact("crossings_hour", T1, T2)  # the rollups answer part of it
        named = sum(row[-1] for row in twin.named("flow_per_line_per_hour", t1=T1, t2=T2).rows)
    finally:
        twin.close()
    raw = brute(ingest.lake, "SELECT count(*) FROM raw WHERE type = 'line_crossing'")[0][0]
    return int(totals(ingest.lake)["crossings"][0]), int(named), int(raw)


def test_a_redelivered_batch_changes_no_count(make_ingest: MakeIngest) -> None:  # noqa: F811
    ingest = make_ingest(rollups=ROLLUPS)
    payloads = values(400)
    _produce(ingest.cfg, payloads)
    _produce(ingest.cfg, payloads[100:300])  # the bridge produced those events again
    running = Running(Sink(ingest.cfg, "redelivery"))
    _wait_settled(running, ingest.lake, 400)
    assert running.stop() == 0
    assert lake_ids(ingest.lake)[0] == 600  # the duplicates are in the raw files
    assert _answers(ingest) == (400, 400, 400)
    again = ingest.cfg.model_copy(deep=True)
    again.cloud.sink.group = f"{ingest.cfg.cloud.sink.group}-again"  # the same records consumed once more
    running = Running(Sink(again, "reread"))
    running.until(lambda sink: sink.meter.consumed >= 600, "the records were not consumed again")
    _wait_settled(running, ingest.lake, 400)
    assert running.stop() == 0
    assert _answers(ingest) == (400, 400, 400)


def test_a_spool_flushed_hours_late_recomputes_its_hour(make_ingest: MakeIngest) -> None:  # noqa: F811
    ingest = make_ingest(rollups=ROLLUPS)
    _produce(ingest.cfg, values(300))
    running = Running(Sink(ingest.cfg, "late"))
    _wait_settled(running, ingest.lake, 300)
    assert _answers(ingest) == (300, 300, 300)
    late = values(150, START + timedelta(seconds=5), node="campus-cam-1-spool")  # captured then, arriving now
    _produce(ingest.cfg, late)
    _wait_settled(running, ingest.lake, 450)
    assert running.stop() == 0
    assert _answers(ingest) == (450, 450, 450)


def test_a_compaction_changes_no_count(make_ingest: MakeIngest) -> None:  # noqa: F811
    ingest = make_ingest(rollups=ROLLUPS, sink={"batch_max_records": 40})
    _produce(ingest.cfg, values(400))
    running = Running(Sink(ingest.cfg, "before"))
    _wait_settled(running, ingest.lake, 400)
    assert running.service.committer is not None
    committer = running.service.committer
    running.until(lambda _sink: sum(committer.committed().values()) >= 400, "offsets not committed")
    committed = committer.committed()
    assert running.stop() == 0
    before = _answers(ingest)
    files = len(list(ingest.lake.glob("date=*/hour=*/*.parquet")))
    stats = compact(ingest.lake, ingest.cfg.kafka.topics.events, committed,
                    CompactionSettings(min_age_s=0, min_files=2), zstd_level=3)
    assert stats.merged_files > 2 and len(list(ingest.lake.glob("date=*/hour=*/*.parquet"))) < files
    assert not _settled(ingest.lake)  # the listing changed under the rollups
    running = Running(Sink(ingest.cfg, "after"))
    running.until(lambda _sink: _settled(ingest.lake), "the sink's reconciler did not catch up with the compaction")
    assert running.stop() == 0
    assert _answers(ingest) == before == (400, 400, 400)

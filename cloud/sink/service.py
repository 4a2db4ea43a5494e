"""``citytwin sink``: consume the events topic in a group and write it into the Parquet lake.

Start order: topics, dead-letter producer, consumer (joins the group),
compaction schedule, rollup schedule (``cloud.rollup.reconcile``: the rollups
of every closed hour whose files changed are made again, every ``cloud.rollups.interval_s``; the open hour
every ``cloud.rollups.open_hour_every_s``).
Stop order is the reverse: the rollups and compaction finish their runs,
held records are written and committed, the consumer leaves the group, the
dead-letter producer is flushed. A write error stops the sink without
committing; after a restart it re-reads from the last commit.
"""

from __future__ import annotations

import argparse
import logging
import threading
import time

from confluent_kafka import Consumer, Message, TopicPartition

from citytwin.deployment import Deployment
from citytwin.service import serve
from cloud.dlq.publish import DeadLetterPublisher
from cloud.dlq.records import DeadLetter
from cloud.kafka.clients import consumer_config, default_instance
from cloud.kafka.ready import until_ready
from cloud.kafka.topics import create_topics
from cloud.sink.batch import Batcher, Chunk
from cloud.sink.commit import OffsetCommitter
from cloud.sink.compact import CompactionSchedule
from cloud.sink.metrics import SinkSeries
from cloud.sink.recover import planned_ranges
from cloud.sink.schedule import Schedule
from cloud.sink.report import SinkMeter
from cloud.sink.schema import to_table
from cloud.sink.writer import write_chunk

log = logging.getLogger(__name__)

CONSUME_MAX = 10_000
CONSUME_TIMEOUT_S = 0.1


def rollup_schedule(cfg: Deployment) -> Schedule:
    """The reconciler of the lake's rollups, every ``cloud.rollups.interval_s`` when enabled."""
    from cloud.rollup.reconcile import Reconciler  # DuckDB, only where rollups are made
    from cloud.twin.listing import LakeFiles, Verdicts, verdict_file

    settings = cfg.cloud.rollups
    if not settings.enabled:
        return Schedule("sink-rollups", settings.interval_s, False, lambda: None)
    files = LakeFiles(cfg.lake_dir, Verdicts(verdict_file(cfg.cloud.twin.state_dir, cfg.lake_dir)))
    reconciler = Reconciler(cfg.lake_dir, files, cfg.cloud.twin)
    return Schedule("sink-rollups", settings.interval_s, True, lambda: reconciler.run(
        max_hours=settings.max_hours_per_pass, open_every_s=settings.open_hour_every_s))


class Sink:
    """One sink instance: a member of the consumer group writing the partitions it is assigned."""

    def __init__(self, cfg: Deployment, instance: str) -> None:
        self.cfg = cfg
        self.settings = cfg.cloud.sink
        self.topic = cfg.kafka.topics.events
        self.root = cfg.lake_dir
        self.name = f"sink-{instance}"
        self.stopping = threading.Event()
        self.batcher = Batcher(self.settings.batch_max_records, self.settings.batch_max_bytes, self.settings.batch_max_wait_s)
        self.meter = SinkMeter(self.settings.report_interval_s)
        self.series = SinkSeries(cfg.metrics, self.meter)
        self.metrics = self.series.exposition
        self._unplanned: set[int] = set()
        self.owned: set[int] = set()  # partitions assigned to this sink now
        self._healthy = True  # false after a failure: nothing more may be written or committed
        self.consumer: Consumer | None = None
        self.committer: OffsetCommitter | None = None
        self.dead: DeadLetterPublisher | None = None
        self.compaction: CompactionSchedule | None = None
        self.rollups: Schedule | None = None

    def start(self) -> None:
        """Create topics, then the dead-letter producer, the consumer and the compaction schedule."""
        until_ready(lambda: create_topics(self.cfg, f"citytwin-{self.name}-admin"), self.cfg.kafka.bootstrap,
                    self.stopping, self.name)
        self.root.mkdir(parents=True, exist_ok=True)
        self.dead = DeadLetterPublisher(self.cfg.kafka, f"citytwin-{self.name}-dlq")
        self.consumer = Consumer(consumer_config(self.cfg.kafka, self.settings.group, f"citytwin-{self.name}"))
        self.committer = OffsetCommitter(self.consumer, self.topic)
        self.consumer.subscribe([self.topic], on_assign=self._on_assign, on_revoke=self._on_revoke, on_lost=self._on_lost)
        self.compaction = CompactionSchedule(
            self.root, self.topic, self.cfg.cloud.compaction, self.settings.zstd_level, self.committer.committed
        )
        self.compaction.start()
        self.rollups = rollup_schedule(self.cfg)
        self.rollups.start()

    # Rebalance callbacks run inside consume(), on the main thread.
    def _on_assign(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log.info("assigned %s partitions %s", self.topic, sorted(tp.partition for tp in partitions))
        self._unplanned.update(tp.partition for tp in partitions)
        self.owned.update(tp.partition for tp in partitions)

    def _on_revoke(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        gone = sorted(tp.partition for tp in partitions)
        log.info("partitions %s of %s revoked; writing what is held for them", gone, self.topic)
        if self._healthy:
            self._write()
        self._release(gone)

    def _on_lost(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        gone = sorted(tp.partition for tp in partitions)
        log.warning("partitions %s of %s lost; dropping what is held for them, another sink re-reads it", gone, self.topic)
        self._release(gone)

    def _release(self, partitions: list[int]) -> None:
        self.batcher.drop(partitions)
        self._unplanned.difference_update(partitions)
        self.owned.difference_update(partitions)
        if self.committer is not None:
            self.committer.forget(partitions)

    def _take(self, messages: list[Message]) -> None:
        for msg in messages:
            error = msg.error()
            if error is not None:
                log.warning("Kafka consumer: %s", error.str())
                continue
            partition, offset = msg.partition(), msg.offset()
            assert partition is not None and offset is not None
            if partition in self._unplanned:
                self._unplanned.discard(partition)
                self.batcher.plan(partition, planned_ranges(self.root, self.topic, partition, offset))
            self.batcher.add(partition, offset, msg.value() or b"", msg.timestamp()[1])
            self.meter.consumed += 1

    def _write_chunk(self, chunk: Chunk) -> None:
        assert self.dead is not None
        started = time.monotonic()
        table, bad = to_table(chunk.partition, chunk.offsets, chunk.values, chunk.kafka_ts)
        paths = write_chunk(self.root, self.topic, chunk.partition, chunk.name_range, table, self.settings.zstd_level)
        for record in bad:
            letter = DeadLetter.of(
                record.value, record.error, record.reason, "kafka", self.topic, self.name,
                source_partition=chunk.partition, source_offset=record.offset,
            )
            self.dead.send(letter)
            self.meter.dead_letters += 1
            self.series.dead_letters.labels(record.error).inc()
        seconds = time.monotonic() - started
        oldest_ms = min(chunk.kafka_ts)
        self.meter.wrote(table.num_rows, len(paths), seconds, oldest_ms)
        self.series.write_seconds.observe(seconds)
        self.series.age_at_write.observe(max(0.0, time.time() - oldest_ms / 1000))

    def _write(self) -> None:
        """Write every writable chunk, make its dead letters durable, then commit its offsets."""
        assert self.committer is not None and self.dead is not None
        chunks = self.batcher.take()
        if not chunks:
            return
        next_offsets: dict[int, int] = {}
        for chunk in chunks:
            self._write_chunk(chunk)
            next_offsets[chunk.partition] = max(chunk.last + 1, next_offsets.get(chunk.partition, 0))
        self.dead.flush()
        self.committer.commit(next_offsets)

    def step(self) -> bool:
        """Consume a batch, write and commit what is due; False after a failure, which ``stop`` then reports."""
        assert self.consumer is not None and self.committer is not None
        try:
            self._take(self.consumer.consume(min(CONSUME_MAX, self.settings.batch_max_records), CONSUME_TIMEOUT_S))
            if self.batcher.due():
                self._write()
            elif self.committer.pending:
                self.committer.retry()
            if self.meter.due(time.monotonic()):
                self._report()
        except Exception:
            log.exception("the sink failed; stopping without committing what is held")
            self._healthy = False
            return False
        return True

    def _behind(self) -> int:
        assert self.consumer is not None
        assigned = self.consumer.assignment()
        behind = 0
        for tp in self.consumer.position(assigned) if assigned else []:
            _low, high = self.consumer.get_watermark_offsets(tp, cached=True)
            if tp.offset >= 0 and high >= 0:
                behind += high - tp.offset
        return behind

    def _report(self) -> None:
        assert self.committer is not None
        behind, held, pending = self._behind(), self.batcher.held, self.committer.pending
        self.series.behind.set(behind)
        self.series.held.set(held)
        self.series.uncommitted.set(pending)
        log.info("%s", self.meter.line(behind, held, pending))

    def stop(self) -> int:
        """Stop in reverse start order; returns 0, or 1 after a failure or when held records could not be written."""
        self.stopping.set()
        status = 0 if self._healthy else 1
        if self.rollups is not None:
            self.rollups.stop()
        if self.compaction is not None:
            self.compaction.stop()
        if self.consumer is not None:
            if self._healthy:
                try:
                    self._write()
                except Exception:
                    log.exception("could not write held records at shutdown; they will be read again")
                    status = 1
                    self._healthy = False
            self._report()
            self.consumer.close()
            self.consumer = None
        if self.dead is not None:
            self.dead.producer.flush(5.0)
        return status


def run(args: argparse.Namespace) -> int:
    """Entry point of ``citytwin sink``."""
    return serve(args, lambda cfg, args: Sink(cfg, getattr(args, "instance", None) or default_instance()),
                 "writing what is held and stopping")

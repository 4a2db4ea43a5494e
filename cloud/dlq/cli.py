"""``citytwin dlq``: list, show and replay dead-lettered records.

``list`` prints one line per record (position, time, error code, source and
reason); ``show P:O ...`` prints records in full with what the current schema
says about them now; ``replay P:O ...`` (or ``--all``) validates records again
with the current code and sends those that pass to the topic they were meant
for, keyed as the bridge would. Records that still fail, or whose payload was
cut, are reported and left alone. The dead-letter topic itself is never
changed, so replaying twice sends an event twice; the twin keeps one row per
event (``cloud.twin.store.KEY``).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from typing import TextIO

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from pydantic import ValidationError

from citytwin.configfile import ConfigError
from cloud.bridge.validate import Accepted, Rejected, Validator
from cloud.config import CloudDeployment, load
from cloud.dlq.records import DeadLetter, describe_errors
from cloud.kafka.settings import producer_config, reader_config
from edge.events.model import parse_event

READ_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Stored:
    """A dead letter and where it sits in the DLQ topic."""

    partition: int
    offset: int
    letter: DeadLetter

    @property
    def position(self) -> str:
        return f"{self.partition}:{self.offset}"


def parse_positions(items: list[str]) -> list[tuple[int, int]]:
    """``['0:12', '1:3']`` -> ``[(0, 12), (1, 3)]``; raises ``ValueError`` naming the bad item."""
    out = []
    for item in items:
        partition, sep, offset = item.partition(":")
        if not sep or not partition.isdigit() or not offset.isdigit():
            raise ValueError(f"{item!r} is not PARTITION:OFFSET, e.g. 0:42")
        out.append((int(partition), int(offset)))
    return out


def read(cfg: CloudDeployment, positions: list[tuple[int, int]] | None = None) -> list[Stored]:
    """Every record of the DLQ topic, or only those at ``positions``, in partition and offset order."""
    topic = cfg.kafka.topics.dlq
    consumer = Consumer(reader_config(cfg.kafka, "citytwin-dlq-tool"))
    try:
        metadata = consumer.list_topics(topic, timeout=READ_TIMEOUT_S).topics.get(topic)
        if metadata is None or metadata.error is not None:
            return []
        ends: dict[int, tuple[int, int]] = {}
        for partition in metadata.partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=READ_TIMEOUT_S)
            if high > low:
                ends[partition] = (low, high)
        wanted = None if positions is None else set(positions)
        if wanted is not None:
            ends = {p: (min(o for q, o in wanted if q == p), e[1]) for p, e in ends.items() if any(q == p for q, _ in wanted)}
        return _read_ranges(consumer, topic, ends, wanted)
    finally:
        consumer.close()


def _read_ranges(
    consumer: Consumer, topic: str, ends: dict[int, tuple[int, int]], wanted: set[tuple[int, int]] | None
) -> list[Stored]:
    consumer.assign([TopicPartition(topic, p, low) for p, (low, _) in ends.items()])
    found: list[Stored] = []
    open_partitions = set(ends)
    deadline = time.monotonic() + READ_TIMEOUT_S
    while open_partitions and time.monotonic() < deadline:
        for msg in consumer.consume(1000, 0.5):
            partition, offset = msg.partition(), msg.offset()
            if msg.error() is not None or partition is None or offset is None:
                continue
            if offset >= ends[partition][1] - 1:
                open_partitions.discard(partition)
            if wanted is None or (partition, offset) in wanted:
                letter = DeadLetter.from_headers(msg.value() or b"", msg.headers())
                found.append(Stored(partition, offset, letter))
    return sorted(found, key=lambda s: (s.partition, s.offset))


def verdict(cfg: CloudDeployment, letter: DeadLetter) -> Accepted | Rejected:
    """What the current code says about a dead letter's payload: every check the bridge makes."""
    if letter.truncated:
        return Rejected("truncated", f"only {len(letter.raw)} of {letter.original_size} bytes were kept")
    topic = letter.source_topic
    if letter.source != "mqtt":  # rejected by the sink: judged as if it came on its own event topic
        try:
            event = parse_event(letter.raw)
        except ValidationError as exc:
            return Rejected("schema", describe_errors(exc))
        topic = f"{cfg.cloud.bridge.topic_prefix}/{event.site}/{event.camera}/events/{event.type}"
    return Validator.of(cfg).check(topic, letter.raw)


def list_records(records: list[Stored], limit: int, out: TextIO) -> None:
    shown = records[-limit:] if limit > 0 else records
    for stored in shown:
        dl = stored.letter
        reason = dl.reason if len(dl.reason) <= 100 else dl.reason[:97] + "..."
        out.write(
            f"{stored.position:>10}  {dl.received_at:%Y-%m-%d %H:%M:%S}  {dl.error:<14} {dl.source}:{dl.source_topic}  "
            f"{dl.original_size}B  {reason}\n"
        )
    out.write(f"{len(shown)} of {len(records)} dead letters shown\n")


def show_records(cfg: CloudDeployment, records: list[Stored], max_bytes: int, out: TextIO) -> None:
    for stored in records:
        dl = stored.letter
        now = verdict(cfg, dl)
        out.write(f"--- {cfg.kafka.topics.dlq} {stored.position}\n")
        for name, value in dl.headers():
            out.write(f"{name}: {value.decode('utf-8', 'replace') if isinstance(value, bytes) else value}\n")
        status = "valid now (can be replayed)" if isinstance(now, Accepted) else f"still invalid: {now.error}: {now.reason}"
        out.write(f"now: {status}\n")
        payload = dl.raw[:max_bytes].decode("utf-8", "backslashreplace")
        more = f" ... ({len(dl.raw) - max_bytes} more bytes)" if len(dl.raw) > max_bytes else ""
        out.write(f"payload: {payload}{more}\n")


def replay(cfg: CloudDeployment, records: list[Stored], out: TextIO) -> int:
    """Send every record that is valid now; returns how many were not replayed."""
    producer = Producer(producer_config(cfg.kafka, "citytwin-dlq-replay"))
    failures: list[str] = []
    skipped = 0
    for stored in records:
        now = verdict(cfg, stored.letter)
        if isinstance(now, Rejected):
            out.write(f"{stored.position}: not replayed, still invalid: {now.error}: {now.reason}\n")
            skipped += 1
            continue

        def report(error: object, _msg: object, position: str = stored.position) -> None:
            if error is not None:
                failures.append(f"{position}: {error}")

        producer.produce(now.topic, now.value, now.key, on_delivery=report)
    left = producer.flush(READ_TIMEOUT_S)
    for failure in failures:
        out.write(f"{failure}: Kafka did not accept the replay\n")
    sent = len(records) - skipped - len(failures) - left
    out.write(f"replayed {sent} of {len(records)} dead letters\n")
    return len(records) - sent


def run(args: argparse.Namespace) -> int:
    """Entry point of ``citytwin dlq``."""
    try:
        cfg = load(args.config)
        positions = parse_positions(args.offsets)
    except (ConfigError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.action in ("show", "replay") and not positions and not (args.action == "replay" and args.all):
        print(f"citytwin dlq {args.action}: name records as PARTITION:OFFSET (see 'citytwin dlq list')"
              + (" or use --all" if args.action == "replay" else ""), file=sys.stderr)
        return 2
    try:
        records = read(cfg, positions or None)
    except KafkaException as exc:
        print(f"cannot read {cfg.kafka.topics.dlq} from {cfg.kafka.bootstrap}: {exc.args[0]}", file=sys.stderr)
        return 1
    if args.error:
        records = [r for r in records if r.letter.error == args.error]
    missing = sorted(set(positions) - {(r.partition, r.offset) for r in records})
    for partition, offset in missing:
        print(f"no dead letter at {partition}:{offset}" + (f" with error {args.error}" if args.error else ""), file=sys.stderr)
    if args.action == "list":
        list_records(records, args.limit, sys.stdout)
    elif args.action == "show":
        show_records(cfg, records, args.max_bytes, sys.stdout)
    else:
        return 1 if replay(cfg, records, sys.stdout) or missing else 0
    return 1 if missing else 0

"""``citytwin dlq``: list, show and replay dead-lettered records.

``list`` prints one line per record (position, time, error code, source and
reason); ``show P:O ...`` prints records in full with what the current schema
says about them now; ``replay P:O ...`` (or ``--all``) validates records again
with the current code and sends those that pass to the topic they were meant
for, keyed as the bridge would. Records that still fail, or whose payload was
cut, are reported and left alone. The dead-letter topic itself is never
changed, so replaying twice sends an event twice; the twin keeps one row per
event (``cloud.twin.columns.KEY``). A replay is recorded in the audit log
before anything is sent (who ran it, which records) and its outcome after; if
the log cannot be written nothing is sent and the command exits with status 3.
Dead letters hold whatever reached the broker, so everything printed from them
is made safe for a terminal first (control and bidi characters shown escaped).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import TextIO

from confluent_kafka import Consumer, KafkaException, Producer

from citytwin.deployment import Deployment, load
from citytwin.errors import Failed, UsageError
from citytwin.terminal import safe
from cloud.audit.chain import AuditLog, AuditWriteError
from cloud.audit.writeahead import begin, command_line_user
from cloud.bridge.validate import Accepted, Validator
from cloud.dlq.records import DeadLetter
from cloud.kafka.clients import producer_config, reader_config
from cloud.kafka.reading import ranges, read_ranges
from contract.wire import Decoded, Rejected, decode

READ_TIMEOUT_S = 30.0
MAX_AUDITED_POSITIONS = 1000  # a replay of everything names its first records; the count says how many


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
    """``['0:12', '1:3']`` -> ``[(0, 12), (1, 3)]``; raises ``UsageError`` naming the bad item."""
    out = []
    for item in items:
        partition, sep, offset = item.partition(":")
        if not sep or not partition.isdigit() or not offset.isdigit():
            raise UsageError(f"{item!r} is not PARTITION:OFFSET, e.g. 0:42")
        out.append((int(partition), int(offset)))
    return out


def read(cfg: Deployment, positions: list[tuple[int, int]] | None = None) -> list[Stored]:
    """Every record of the DLQ topic, or only those at ``positions``, in partition and offset order."""
    topic = cfg.kafka.topics.dlq
    consumer = Consumer(reader_config(cfg.kafka, "citytwin-dlq-tool"))
    try:
        ends = ranges(consumer, topic, READ_TIMEOUT_S)
        wanted = None if positions is None else set(positions)
        if wanted is not None:
            ends = {p: (min(o for q, o in wanted if q == p), e[1]) for p, e in ends.items() if any(q == p for q, _ in wanted)}
        found = [
            Stored(msg.partition() or 0, msg.offset() or 0, DeadLetter.from_headers(msg.value() or b"", msg.headers()))
            for msg in read_ranges(consumer, topic, ends, READ_TIMEOUT_S)
            if wanted is None or (msg.partition(), msg.offset()) in wanted
        ]
        return sorted(found, key=lambda s: (s.partition, s.offset))
    finally:
        consumer.close()


def verdict(cfg: Deployment, letter: DeadLetter) -> Accepted | Rejected:
    """What the current code says about a dead letter's payload: every check the bridge makes."""
    if letter.truncated:
        return Rejected("truncated", f"only {len(letter.raw)} of {letter.original_size} bytes were kept")
    topic = letter.source_topic
    if letter.source != "mqtt":  # rejected by the sink: judged as if it came on its own event topic
        decoded = decode(letter.raw)
        if not isinstance(decoded, Decoded):
            return Rejected("schema", decoded.reason)
        event = decoded.event
        topic = f"{cfg.cloud.bridge.topic_prefix}/{event.site}/{event.camera}/events/{event.type}"
    return Validator.of(cfg).check(topic, letter.raw)


def list_records(records: list[Stored], limit: int, out: TextIO) -> None:
    shown = records[-limit:] if limit > 0 else records
    for stored in shown:
        dl = stored.letter
        reason = dl.reason if len(dl.reason) <= 100 else dl.reason[:97] + "..."
        out.write(
            f"{stored.position:>10}  {dl.received_at:%Y-%m-%d %H:%M:%S}  {safe(dl.error):<14} "
            f"{safe(dl.source)}:{safe(dl.source_topic)}  {dl.original_size}B  {safe(reason)}\n"
        )
    out.write(f"{len(shown)} of {len(records)} dead letters shown\n")


def show_records(cfg: Deployment, records: list[Stored], max_bytes: int, out: TextIO) -> None:
    for stored in records:
        dl = stored.letter
        now = verdict(cfg, dl)
        out.write(f"--- {cfg.kafka.topics.dlq} {stored.position}\n")
        for name, value in dl.headers():
            text = value.decode("utf-8", "backslashreplace") if isinstance(value, bytes) else str(value)
            out.write(f"{safe(name)}: {safe(text)}\n")
        status = "valid now (can be replayed)" if isinstance(now, Accepted) else f"still invalid: {now.error}: {now.reason}"
        out.write(f"now: {safe(status)}\n")
        payload = dl.raw[:max_bytes].decode("utf-8", "backslashreplace")
        more = f" ... ({len(dl.raw) - max_bytes} more bytes)" if len(dl.raw) > max_bytes else ""
        out.write(f"payload: {safe(payload)}{more}\n")


def replay(cfg: Deployment, records: list[Stored], out: TextIO) -> int:
    """Send every record that is valid now; returns how many were not replayed."""
    producer = Producer(producer_config(cfg.kafka, "citytwin-dlq-replay"))
    failures: list[str] = []
    skipped = 0
    for stored in records:
        now = verdict(cfg, stored.letter)
        if isinstance(now, Rejected):
            out.write(f"{stored.position}: not replayed, still invalid: {safe(now.error)}: {safe(now.reason)}\n")
            skipped += 1
            continue

        def report(error: object, _msg: object, position: str = stored.position) -> None:
            if error is not None:
                failures.append(f"{position}: {error}")

        producer.produce(now.topic, now.value, now.key, on_delivery=report)
    left = producer.flush(READ_TIMEOUT_S)
    for failure in failures:
        out.write(f"{safe(failure)}: Kafka did not accept the replay\n")
    sent = len(records) - skipped - len(failures) - left
    out.write(f"replayed {sent} of {len(records)} dead letters\n")
    return len(records) - sent


def run(args: argparse.Namespace) -> int:
    """Entry point of ``citytwin dlq``."""
    cfg: Deployment = args.deployment
    positions = parse_positions(args.offsets)
    if args.action in ("show", "replay") and not positions and not (args.action == "replay" and args.all):
        raise UsageError(f"{args.action}: name records as PARTITION:OFFSET (see 'citytwin dlq list')"
                         + (" or use --all" if args.action == "replay" else ""))
    try:
        records = read(cfg, positions or None)
    except KafkaException as exc:
        raise Failed(f"cannot read {cfg.kafka.topics.dlq} from {cfg.kafka.bootstrap}: {exc.args[0]}") from exc
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
        return _audited_replay(cfg, records, sys.stdout) or (1 if missing else 0)
    return 1 if missing else 0


def _audited_replay(cfg: Deployment, records: list[Stored], out: TextIO) -> int:
    """Replay, recorded write-ahead in the audit log: 0 when all were sent, 1 when some were not.

    Raises ``AuditWriteError`` (exit status 3) and replays nothing when the intent cannot be recorded.
    """
    actor, what = command_line_user("citytwin dlq replay")
    positions = [r.position for r in records]
    what.update(topic=cfg.kafka.topics.dlq, records=len(records), positions=positions[:MAX_AUDITED_POSITIONS])
    try:
        step = begin(AuditLog(cfg.audit.log_path(cfg.lake_dir)), actor, "dlq.replay", what)
    except AuditWriteError as exc:
        raise AuditWriteError(f"replay: nothing replayed, because it could not be audited: {exc}") from exc
    with step:
        left = replay(cfg, records, out)
        step.note(replayed=len(records) - left, not_replayed=left)
    return 1 if left else 0

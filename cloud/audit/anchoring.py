"""Anchoring the audit log's head while a service runs: at once, every ``audit.anchor_interval_s``, and on shutdown.

Every long-running process that writes the audit log (the cockpit, the
bridge, the sink, the rules, ``citytwin retention --every``, ``citytwin
federate``) anchors it, through ``citytwin.cli``: its head goes to the anchor
file (``audit.anchor_path``) and, unless ``audit.anchor_kafka`` is off, to the
Kafka topic ``kafka.topics.audit_anchors`` (``cloud.audit.anchor_kafka``). A
head already anchored is not written again, so an idle log does not grow its
anchors. Kafka never holds the service up: the file is written first, Kafka
is tried from a background thread, and on shutdown it gets a few seconds to
acknowledge the last anchor, and none if it never answered.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from citytwin.deployment import Deployment
from cloud.audit.anchor import Anchor, AnchorFile
from cloud.audit.anchor_kafka import KafkaAnchors
from cloud.audit.chain import head

log = logging.getLogger(__name__)

SHUTDOWN_KAFKA_S = 5.0


class Anchorer:
    """Anchors one audit log to a file and, optionally, to Kafka, from a background thread."""

    def __init__(self, log_path: Path, site: str, file: AnchorFile, kafka: KafkaAnchors | None, interval_s: float) -> None:
        self.log_path = log_path.resolve()
        self.site = site
        self.file = file
        self.kafka = kafka
        self.interval_s = interval_s
        self._filed: tuple[int, str] | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._file_failing = False
        # When the anchor file last held the log's head (written then or before); None until it first did. Its age
        # grows only while anchoring fails: an idle log whose head is anchored stays young.
        self.held_at: float | None = None

    @classmethod
    def of(cls, cfg: Deployment, service: str, log_path: Path | None = None) -> Anchorer:
        """The anchorer of a deployment's audit log (or ``log_path``, a log given on the command line)."""
        audit = cfg.audit
        kafka = KafkaAnchors(cfg.kafka, cfg.retention, f"citytwin-audit-anchor-{service}") if audit.anchor_kafka else None
        return cls(log_path or audit.log_path(cfg.lake_dir), cfg.site.id, AnchorFile(audit.anchor_file(cfg.lake_dir)),
                   kafka, audit.anchor_interval_s)

    def _file(self, anchor: Anchor) -> None:
        head_now = (anchor.seq, anchor.hash)
        if head_now == self._filed:
            self.held_at = time.time()
            return
        try:
            self.file.append(anchor)
        except OSError as exc:
            if not self._file_failing:
                log.error("audit: cannot write the anchor file %s (%s); fix its folder or audit.anchor_path", self.file.path, exc)
            self._file_failing = True
            return
        self._filed, self._file_failing = head_now, False
        self.held_at = time.time()

    def anchor(self, kafka: bool = True) -> Anchor | None:
        """Anchor the head now (to Kafka too, unless ``kafka`` is False); None while the log holds no record."""
        try:
            seq, digest = head(self.log_path)
        except OSError:
            return None  # no log yet: nothing to anchor
        if seq < 0:
            return None
        anchor = Anchor.now(seq, digest, str(self.log_path), self.site)
        self._file(anchor)
        if kafka and self.kafka is not None:
            self.kafka.offer(anchor)
        return anchor

    def _run(self) -> None:
        while True:
            try:
                self.anchor()
            except Exception:  # anchoring must never take the service down
                log.exception("audit: anchoring %s failed; trying again in %g s", self.log_path, self.interval_s)
            if self._stopping.wait(self.interval_s):
                return

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="audit-anchor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Anchor once more and stop; Kafka gets ``SHUTDOWN_KAFKA_S`` if it ever answered, else nothing."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)  # it may be waiting on Kafka; the final anchor does not need it
        kafka = self.kafka is not None and self.kafka.ready
        anchor = self.anchor(kafka=kafka)
        if self.kafka is None or anchor is None:
            return
        if not kafka or not self.kafka.close(SHUTDOWN_KAFKA_S):
            log.warning("audit: the last anchor (seq %d) reached the file %s only; Kafka did not take it",
                        anchor.seq, self.file.path)


@contextlib.contextmanager
def anchoring(deployment: Deployment, service: str, log_path: Path | None = None) -> Iterator[Anchorer]:
    """Anchor the deployment's audit log while the body runs."""
    anchorer = Anchorer.of(deployment, service, log_path)
    anchorer.start()
    try:
        yield anchorer
    finally:
        anchorer.stop()

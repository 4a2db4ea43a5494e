"""``citytwin federate`` as a service: every ``federation.interval_s``, export the closed buckets, audited first."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone

from kafka import KafkaProducer
from kafka.errors import KafkaTimeoutError

from citytwin.deployment import Deployment
from citytwin.errors import ConfigError
from citytwin.metrics import Exposition, PassSeries
from citytwin.service import Pace
from cloud.audit.chain import AuditLog
from cloud.federation.export import aggregate, publish, signing_key, window
from cloud.federation.settings import FederationSettings
from cloud.federation.signing import SigningKeyError
from cloud.kafka.security import kafka_python_security
from cloud.twin.twin import Twin

log = logging.getLogger(__name__)


class Federator:
    """Publishes a city's count cells to its region; a failed export is logged and its buckets are sent again next time."""

    def __init__(self, cfg: Deployment, settings: FederationSettings, where: str) -> None:
        self.settings = settings
        self.city = settings.city or cfg.site.id
        try:
            self.key = signing_key(settings, self.city)
        except SigningKeyError as exc:
            raise ConfigError(f"{where}: {exc}") from exc
        self.audit = AuditLog(cfg.audit.log_path(cfg.lake_dir))
        self.twin = Twin(cfg.lake_dir, cfg.site, cfg.cameras, settings=cfg.cloud.twin)
        self.producer = KafkaProducer(
            bootstrap_servers=settings.bootstrap, acks="all", client_id=f"citytwin-federate-{self.city}", max_block_ms=15_000,
            **kafka_python_security(settings.tls, settings.sasl, section="federation"),
        )
        self.stopping = threading.Event()
        self.pace = Pace(settings.interval_s, self.stopping)
        self.failed = False
        self.metrics = Exposition("federate", cfg.metrics)
        self.series = PassSeries(self.metrics, "export", "one export of closed buckets")

    def start(self) -> None:
        """The twin and the producer are open once made."""

    def step(self) -> bool:
        """One export, ``federation.interval_s`` after the previous began; False once stopped."""
        if not self.pace.wait():
            return False
        settings = self.settings
        started = time.monotonic()
        try:
            self._export()
            self.failed = False
        except KafkaTimeoutError:
            log.error("federation: topic %s is not available at %s; the regional twin creates it "
                      "(`citytwin region`); retrying in %.0f s", settings.topic, settings.bootstrap, settings.interval_s)
            self.failed = True
        except Exception:  # the next export covers the same buckets again
            log.exception("federation: export failed; retrying in %.0f s", settings.interval_s)
            self.failed = True
        self.series.record(started, ok=not self.failed)
        return True

    def _export(self) -> None:
        settings = self.settings
        self.twin.refresh()
        start, end = window(settings, datetime.now(timezone.utc))
        export = aggregate(self.twin, settings, self.city, start, end)

        def send(cell_key: str, value: bytes) -> None:
            self.producer.send(settings.topic, key=cell_key.encode(), value=value)

        publish(export, settings, self.key, send, self.audit, actor=f"federate:{self.city}")
        self.producer.flush(60)
        print(f"exported {len(export.cells)} cells of {start.isoformat()}..{end.isoformat()} to "
              f"{settings.bootstrap}/{settings.topic}; {export.suppressed} below k={settings.k} suppressed", flush=True)

    def stop(self) -> int:
        """Close the producer, then the twin; 1 when the last export failed."""
        self.producer.close(10)
        self.twin.close()
        return 1 if self.failed else 0

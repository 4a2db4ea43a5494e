"""``citytwin federate`` (a city publishes its counts) and ``citytwin region`` (the region receives them)."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from citytwin.configfile import ConfigError
from citytwin.lifecycle import stop_on_signals

if TYPE_CHECKING:
    from cloud.federation.region_config import RegionDeployment

log = logging.getLogger(__name__)


def federate(args: argparse.Namespace) -> int:
    """Export closed buckets every ``federation.interval_s`` (or once), each export audited first."""
    from kafka import KafkaProducer
    from kafka.errors import KafkaTimeoutError

    from cloud.audit.chain import AuditLog
    from cloud.config import load
    from cloud.federation.export import aggregate, publish, window
    from cloud.kafka.security import kafka_python_security
    from cloud.twin import Twin

    try:
        cfg = load(args.config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    settings = cfg.federation
    if settings is None:
        print(f"citytwin federate: {args.config} has no federation section, so nothing leaves the city; "
              "add federation: {bootstrap: REGION:9092, k: 5}", file=sys.stderr)
        return 2
    city = settings.city or cfg.site.id
    audit = AuditLog(cfg.audit.log_path(cfg.lake.path))
    twin = Twin(cfg.lake.path, cfg.site, cfg.cameras)
    producer = KafkaProducer(bootstrap_servers=settings.bootstrap, acks="all", client_id=f"citytwin-federate-{city}",
                             max_block_ms=15_000, **kafka_python_security(settings.tls, settings.sasl, section="federation"))
    stopping = threading.Event()
    stop_on_signals(stopping.set, "stopping after this export")
    try:
        while True:
            try:
                twin.refresh()
                start, end = window(settings, datetime.now(timezone.utc))
                export = aggregate(twin, settings, city, start, end)

                def send(key: str, value: bytes) -> None:
                    producer.send(settings.topic, key=key.encode(), value=value)

                publish(export, settings, city, send, audit, actor=f"federate:{city}")
                producer.flush(60)
                print(f"exported {len(export.cells)} cells of {start.isoformat()}..{end.isoformat()} to "
                      f"{settings.bootstrap}/{settings.topic}; {export.suppressed} below k={settings.k} suppressed", flush=True)
            except KafkaTimeoutError:
                log.error("federation: topic %s is not available at %s; the regional twin creates it "
                          "(`citytwin region`); retrying in %.0f s", settings.topic, settings.bootstrap, settings.interval_s)
                if args.once:
                    return 1
            except Exception:  # the next export covers the same buckets again
                log.exception("federation: export failed; retrying in %.0f s", settings.interval_s)
                if args.once:
                    return 1
            if args.once or stopping.wait(settings.interval_s):
                return 0
    finally:
        producer.close(10)
        twin.close()


def region(args: argparse.Namespace) -> int:
    """Receive count cells into the regional lake until stopped (or once); with --serve, show the regional screen."""
    from cloud.federation.region_config import load
    from cloud.federation.regional import RegionalSink
    from cloud.kafka.security import kafka_python_security

    try:
        cfg = load(args.config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    kafka = kafka_python_security(cfg.kafka.tls, cfg.kafka.sasl)
    sink = RegionalSink(cfg.kafka.bootstrap, cfg.kafka.topic, cfg.lake.path, cfg.kafka.group, **kafka)
    stopping = threading.Event()
    counts = {"written": 0}

    def receive() -> None:
        while not stopping.is_set():
            n = sink.step(1000)
            counts["written"] += n
            if n:
                log.info("region: %d cells written (%d in all, %d refused)", n, counts["written"], sink.refused)
            elif args.once:
                break

    try:
        if args.serve:
            _serve(cfg, args, stopping, receive)
        else:
            stop_on_signals(stopping.set, "stopping after this batch")
            receive()
    finally:
        sink.close()
    print(f"{counts['written']} cells written to {cfg.lake.path}; {sink.refused} records refused")
    return 0


def _serve(cfg: RegionDeployment, args: argparse.Namespace, stopping: threading.Event, receive: Callable[[], None]) -> None:
    import uvicorn

    from cloud.federation.regional import RegionalTwin
    from cloud.federation.screen import create_region_app

    worker = threading.Thread(target=receive, name="region-sink", daemon=True)
    worker.start()
    twin = RegionalTwin(cfg.lake.path)
    log.info("regional screen: http://%s:%d/", args.host, args.port)
    try:
        uvicorn.run(create_region_app(cfg, twin), host=args.host, port=args.port, log_level="info")
    finally:
        stopping.set()
        worker.join(timeout=5)
        twin.close()

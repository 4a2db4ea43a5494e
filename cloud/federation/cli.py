"""``citytwin federate`` (a city publishes its counts) and ``citytwin region`` (the region receives them)."""

from __future__ import annotations

import argparse
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from citytwin.deployment import Deployment
from citytwin.errors import ConfigError, Failed
from citytwin.lifecycle import stop_on_signals

if TYPE_CHECKING:
    from cloud.federation.region_config import RegionDeployment

log = logging.getLogger(__name__)

# How long `citytwin region --once` waits to join its group and read to the end of the topic.
ONCE_DEADLINE_S = 120.0


def federate(args: argparse.Namespace) -> int:
    """Export closed buckets every ``federation.interval_s`` (or once), each export audited first."""
    from kafka import KafkaProducer
    from kafka.errors import KafkaTimeoutError

    from cloud.audit.chain import AuditLog
    from cloud.federation.export import aggregate, publish, signing_key, window
    from cloud.federation.signing import SigningKeyError
    from cloud.kafka.security import kafka_python_security
    from cloud.twin.twin import Twin

    cfg: Deployment = args.deployment
    settings = cfg.federation
    if settings is None:
        raise ConfigError(f"{args.config} has no federation section, so nothing leaves the city; "
                          "add federation: {bootstrap: REGION:9092, k: 10, key_env: CITYTWIN_FEDERATION_KEY}")
    city = settings.city or cfg.site.id
    try:
        key = signing_key(settings, city)
    except SigningKeyError as exc:
        raise ConfigError(f"{args.config}: {exc}") from exc
    audit = AuditLog(cfg.audit.log_path(cfg.lake_dir))
    twin = Twin(cfg.lake_dir, cfg.site, cfg.cameras)
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

                def send(cell_key: str, value: bytes) -> None:
                    producer.send(settings.topic, key=cell_key.encode(), value=value)

                publish(export, settings, key, send, audit, actor=f"federate:{city}")
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
    """Receive count cells into the regional lake until stopped (or until caught up, with --once); --serve shows the screen."""
    from confluent_kafka import KafkaException

    from cloud.federation.region_config import keyring, load
    from cloud.federation.regional import RegionalSink
    from cloud.federation.signing import SigningKeyError
    from cloud.kafka.topics import TopicError

    cfg = load(args.config)
    try:
        keys = keyring(cfg)
    except SigningKeyError as exc:
        raise ConfigError(f"{args.config}: {exc}") from exc
    try:
        sink = RegionalSink(cfg, keys)
    except (KafkaException, TopicError) as exc:
        raise Failed(f"cannot set up the topics {cfg.kafka.topic} and {cfg.kafka.dead_letters} at "
                     f"{cfg.kafka.bootstrap}: {exc}; check kafka.bootstrap and that the broker is up") from exc
    stopping = threading.Event()
    state = {"written": 0, "status": 0}

    def receive() -> None:
        deadline = time.monotonic() + ONCE_DEADLINE_S
        try:
            while not stopping.is_set():
                n = sink.step(1000)
                state["written"] += n
                if n:
                    log.info("region: %d cells written (%d in all, %d refused)", n, state["written"], sink.refused)
                if args.once and sink.caught_up():
                    break
                if args.once and time.monotonic() > deadline:
                    log.error("region: not caught up with %s after %.0f s; stopping", cfg.kafka.topic, ONCE_DEADLINE_S)
                    state["status"] = 1
                    break
        except Exception:  # a lake or Kafka failure, never a bad record: those go to the dead-letter topic
            log.exception("region: receiving failed; stopping without committing, the batch is read again after a restart")
            state["status"] = 1
            stopping.set()

    try:
        if args.serve:
            _serve(cfg, args, stopping, receive)
        else:
            stop_on_signals(stopping.set, "stopping after this batch")
            receive()
    finally:
        sink.close()
    print(f"{state['written']} cells written to {cfg.lake.path}; {sink.refused} records refused to {cfg.kafka.dead_letters}")
    return state["status"]


def _serve(cfg: RegionDeployment, args: argparse.Namespace, stopping: threading.Event, receive: Callable[[], None]) -> None:
    import uvicorn

    from cloud.federation.regional import RegionalTwin
    from cloud.federation.screen import create_region_app

    worker = threading.Thread(target=receive, name="region-sink", daemon=True)
    worker.start()
    twin = RegionalTwin(cfg.lake.path)
    server = uvicorn.Server(uvicorn.Config(create_region_app(cfg, twin), host=args.host, port=args.port, log_level="info"))

    def stop_serving_when_receiving_stops() -> None:
        stopping.wait()
        server.should_exit = True

    threading.Thread(target=stop_serving_when_receiving_stops, name="region-watch", daemon=True).start()
    log.info("regional screen: http://%s:%d/", args.host, args.port)
    try:
        server.run()
    finally:
        stopping.set()
        worker.join(timeout=5)
        twin.close()

"""``citytwin federate`` (a city publishes its counts) and ``citytwin region`` (the region receives them)."""

from __future__ import annotations

import argparse
import logging
import threading
import time
from typing import TYPE_CHECKING

from citytwin.deployment import Deployment
from citytwin.errors import ConfigError, Failed
from citytwin.metrics import Counted, Exposition, MeterCollector
from citytwin.service import run_until_stopped, serve

if TYPE_CHECKING:
    from cloud.federation.region_config import RegionDeployment
    from cloud.federation.regional import RegionalSink

log = logging.getLogger(__name__)

# How long `citytwin region --once` waits to join its group and read to the end of the topic.
ONCE_DEADLINE_S = 120.0


def federate(args: argparse.Namespace) -> int:
    """Export closed buckets every ``federation.interval_s`` (or once), each export audited first."""
    from cloud.federation.federate import Federator

    cfg: Deployment = args.deployment
    settings = cfg.federation
    if settings is None:
        raise ConfigError(f"{args.config} has no federation section, so nothing leaves the city; "
                          "add federation: {bootstrap: REGION:9092, k: 10, key_env: CITYTWIN_FEDERATION_KEY}")
    return serve(args, lambda cfg, args: Federator(cfg, settings, str(args.config)), "stopping after this export")


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
    receiving = Receiving(sink, cfg, bool(args.once))
    if args.serve:
        _serve(cfg, args, receiving)
        return receiving.status
    # --once means until caught up: many steps, so the runner must not stop after the first.
    return serve(args, lambda _cfg, _args: receiving, "stopping after this batch", once=False)


class Receiving:
    """The regional sink as a service; with ``once`` it stops when caught up (or, not caught up, after a deadline)."""

    def __init__(self, sink: RegionalSink, cfg: RegionDeployment, once: bool) -> None:
        self.sink, self.cfg, self.once = sink, cfg, once
        self.stopping = threading.Event()
        self.written = 0
        self.metrics = Exposition("region", cfg.metrics)
        MeterCollector(self.metrics, self, {"written": Counted("cells_written", "count cells written to the regional lake"),
                                            "refused": Counted("cells_refused", "records refused to the dead-letter topic")})
        self.status = 0
        self.deadline = time.monotonic() + ONCE_DEADLINE_S

    @property
    def refused(self) -> int:
        return self.sink.refused

    def start(self) -> None:
        """The sink is subscribed once made."""

    def step(self) -> bool:
        """Receive one batch; False when caught up with ``once``, or after a failure (which also stops the screen)."""
        try:
            n = self.sink.step(1000)
        except Exception:  # a lake or Kafka failure, never a bad record: those go to the dead-letter topic
            log.exception("region: receiving failed; stopping without committing, the batch is read again after a restart")
            self.status = 1
            self.stopping.set()
            return False
        self.written += n
        if n:
            log.info("region: %d cells written (%d in all, %d refused)", n, self.written, self.sink.refused)
        if self.once and self.sink.caught_up():
            return False
        if self.once and time.monotonic() > self.deadline:
            log.error("region: not caught up with %s after %.0f s; stopping", self.cfg.kafka.topic, ONCE_DEADLINE_S)
            self.status = 1
            return False
        return True

    def stop(self) -> int:
        self.sink.close()
        print(f"{self.written} cells written to {self.cfg.lake.path}; {self.sink.refused} records refused to "
              f"{self.cfg.kafka.dead_letters}")
        return self.status


def _serve(cfg: RegionDeployment, args: argparse.Namespace, receiving: Receiving) -> None:
    import uvicorn

    from cloud.federation.regional import RegionalTwin
    from cloud.federation.screen import create_region_app

    stopping = receiving.stopping
    receiving.metrics.start()
    worker = threading.Thread(target=run_until_stopped, args=(receiving,), name="region-sink", daemon=True)
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
        receiving.metrics.stop()

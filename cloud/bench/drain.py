"""One subscriber process of the MQTT client benchmark: make its session, wait, then drain the backlog.

``python -m cloud.bench.drain --client NAME --mode receive|bridge --config FILE --instance ID``
runs in two phases, so that start-up never counts:

1. It makes its persistent session (connect, subscribe, disconnect) with the
   client under test; in ``bridge`` mode it first starts a real ``Bridge``,
   which creates the Kafka topics and its producer. Then it prints ``ready``.
2. On a line on standard input it connects again and drains the backlog the
   broker queued meanwhile, until nothing has arrived for ``--idle-s``. It
   prints one JSON line: events, CPU seconds of the whole process (every
   thread, librdkafka's included) and wall seconds, both up to the last event.

``receive`` measures the client alone: each message is acknowledged as soon
as it is handed over. ``bridge`` is the bridge's whole loop with this client
as its source: validation, Kafka producing, and the PUBACK only once Kafka
holds the record.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from citytwin.service import run_until_stopped
from cloud.bench.gmqtt_source import GmqttSource
from cloud.bench.paho_source import Paho311Source, PahoSource
from cloud.bridge.consume import MqttSource, OnMessage, Ticket
from cloud.bridge.service import STEP_S, Bridge
from citytwin.deployment import Deployment, load
from cloud.bridge.settings import BridgeSettings
from contract.broker import MqttConnection

SUBSCRIBE_TIMEOUT_S = 30.0
FIRST_EVENT_TIMEOUT_S = 60.0


class Source(Protocol):
    """What the bridge needs of its MQTT side (``cloud.bridge.consume.MqttSource``)."""

    subscribed: threading.Event

    def step(self, timeout_s: float) -> None: ...
    def ack_ready(self) -> int: ...
    @property
    def unacked(self) -> int: ...
    def stop(self) -> None: ...


class SourceType(Protocol):
    def __call__(self, mqtt_cfg: MqttConnection, bridge: BridgeSettings, client_id: str, on_message: OnMessage) -> Source: ...


CLIENTS: dict[str, SourceType] = {
    "mqtt5": MqttSource, "paho": PahoSource, "paho311": Paho311Source, "gmqtt": GmqttSource,
}


@dataclass
class Result:
    """What one drain measured, up to its last event."""

    events: int
    cpu_s: float
    wall_s: float


class Progress:
    """Notes the CPU and wall clock at the last change of a count, and says when it has stood still."""

    def __init__(self) -> None:
        self.count = 0
        self.start_cpu = time.process_time()
        self.start = self.last = time.monotonic()
        self.last_cpu = self.start_cpu

    def update(self, count: int) -> None:
        if count != self.count:
            self.count = count
            self.last_cpu = time.process_time()
            self.last = time.monotonic()

    def idle(self, idle_s: float) -> bool:
        """Whether the count has stood still for ``idle_s`` (or no event came at all in time)."""
        waited = time.monotonic() - self.last
        return waited > (idle_s if self.count else FIRST_EVENT_TIMEOUT_S)

    def result(self) -> Result:
        return Result(self.count, self.last_cpu - self.start_cpu, self.last - self.start)


def make_session(client: SourceType, cfg: Deployment, client_id: str) -> None:
    """Connect, subscribe and disconnect, leaving a persistent session that queues the backlog."""
    source = client(cfg.mqtt, cfg.cloud.bridge, client_id, lambda _topic, _payload, _ticket: None)
    deadline = time.monotonic() + SUBSCRIBE_TIMEOUT_S
    while not source.subscribed.is_set():
        if time.monotonic() > deadline:
            sys.exit(f"{client_id} could not subscribe within {SUBSCRIBE_TIMEOUT_S:.0f}s")
        source.step(0.05)
    source.stop()


def drain_receive(client: SourceType, cfg: Deployment, client_id: str, idle_s: float) -> Result:
    """The client alone: count each message and acknowledge it at once."""
    received = 0

    def on_message(_topic: str, _payload: bytes, ticket: Ticket) -> None:
        nonlocal received
        received += 1
        ticket.done = True

    progress = Progress()
    source = client(cfg.mqtt, cfg.cloud.bridge, client_id, on_message)
    while not progress.idle(idle_s):
        source.step(STEP_S)
        source.ack_ready()
        progress.update(received)
    source.stop()
    return progress.result()


def drain_bridge(client: SourceType, bridge: Bridge, idle_s: float) -> Result:
    """The bridge's own loop with ``client`` as its source, until the backlog is in Kafka."""
    meter = bridge.meter
    progress = Progress()
    bridge.source = client(bridge.cfg.mqtt, bridge.settings, f"citytwin-{bridge.name}", bridge._handle)  # type: ignore[assignment]
    loop = threading.Thread(target=run_until_stopped, args=(bridge,), name="bridge")
    loop.start()
    while not progress.idle(idle_s):
        time.sleep(0.01)
        progress.update(meter.to_kafka + meter.dead_letters + meter.status)
    bridge.stopping.set()
    loop.join()
    return progress.result()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cloud.bench.drain", description=__doc__.split("\n\n")[0])
    parser.add_argument("--client", choices=sorted(CLIENTS), required=True)
    parser.add_argument("--mode", choices=("receive", "bridge"), required=True)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--instance", required=True, help="bridge instance: the client id is citytwin-bridge-INSTANCE")
    parser.add_argument("--idle-s", type=float, default=5.0, help="stop after this long without an event")
    args = parser.parse_args(argv)
    cfg = load(args.config, lake=True)
    client = CLIENTS[args.client]
    client_id = f"citytwin-bridge-{args.instance}"
    bridge = None
    if args.mode == "bridge":
        bridge = Bridge(cfg, args.instance)
        bridge.start()
    make_session(client, cfg, client_id)
    print("ready", flush=True)
    sys.stdin.readline()
    if bridge is None:
        result = drain_receive(client, cfg, client_id, args.idle_s)
    else:
        result = drain_bridge(client, bridge, args.idle_s)
    print(json.dumps(asdict(result)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

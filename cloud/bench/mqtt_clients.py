"""MQTT client benchmark: the bridge's receive path on its own MQTT 5 client against paho-mqtt 2.x and gmqtt.

Run with ``make bench-mqtt-clients`` (or ``python -m cloud.bench.mqtt_clients --help``).
It starts its own Mosquitto and Kafka like ``cloud.bench.ingest`` and stops
what it started. Every trial drains a fresh backlog: the subscriber
processes (``cloud.bench.drain``) make their persistent sessions, simulated
nodes publish the backlog into them, and only then are the subscribers told
to go, so neither start-up nor a publisher counts in their CPU time.

Cases, each a client (``mqtt5`` = ``cloud.bridge.consume``, ``paho`` =
``cloud.bench.paho_source`` on MQTT 5, ``paho311`` = the same on MQTT 3.1.1,
``gmqtt`` = ``cloud.bench.gmqtt_source``) in one process or two sharing a
``$share/<group>/...`` subscription:

- ``receive``: the client alone, each message acknowledged as soon as it
  is handed over; what the client costs per message.
- ``bridge``: the real bridge loop with that client (validation, Kafka
  producing, PUBACK after Kafka's ack) while a real ``citytwin sink`` writes
  the lake: events per CPU second of bridge + sink, the figure of the
  ingest target (``cloud.bench.ingest.TARGET_PER_CORE``).

Figures are medians over the trials; the 1-minute load average before each
trial is printed, since other work on the machine slows every client alike.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path
from typing import IO

import confluent_kafka

from citytwin.errors import Failed
from cloud.bench.drain import CLIENTS, Result
from cloud.bench.ingest import (
    TARGET_PER_CORE, Brokers, LakeWatcher, Service, add_broker_arguments, add_load_arguments, deployment_file,
)
from cloud.bench.nodes import SimulatedNodes

MODES = ("receive", "bridge")
READY_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Case:
    """One way of receiving: which client, the client alone or the whole bridge, in how many processes."""

    client: str
    mode: str
    processes: int

    def __str__(self) -> str:
        return f"{self.client:7} {self.mode:8} {self.processes} proc"


@dataclass(frozen=True)
class Trial:
    """One drained backlog: the subscribers' sums (wall: the slowest), and the sink's share in bridge mode."""

    events: int
    cpu_s: float
    wall_s: float
    load: float
    sink_cpu_s: float | None = None
    lake_wall_s: float | None = None

    @property
    def us_per_event(self) -> float:
        return self.cpu_s / self.events * 1e6

    @property
    def per_cpu_s(self) -> float:
        return self.events / self.cpu_s

    @property
    def with_sink_per_cpu_s(self) -> float | None:
        return None if self.sink_cpu_s is None else self.events / (self.cpu_s + self.sink_cpu_s)


class ShortTrial(Failed):
    """A subscriber went quiet before the backlog was drained (a stall longer than its idle time)."""


class Drainer:
    """One ``cloud.bench.drain`` process: ready once its session exists, then drains on ``go``."""

    def __init__(self, case: Case, config: Path, instance: str, log: Path) -> None:
        self.log = log
        with open(log, "ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "cloud.bench.drain", "--client", case.client, "--mode", case.mode,
                 "--config", str(config), "--instance", instance],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True,
            )

    def _line(self) -> str:
        stdout: IO[str] | None = self.proc.stdout
        line = stdout.readline() if stdout is not None else ""
        if not line:
            self.proc.wait(10)
            sys.exit(f"{self.log.name} ended (exit {self.proc.returncode}):\n{self.log.read_text(errors='replace')[-3000:]}")
        return line

    def wait_ready(self) -> None:
        if self._line().strip() != "ready":
            sys.exit(f"{self.log.name}: unexpected output before ready")

    def go(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def result(self) -> Result:
        result = Result(**json.loads(self._line()))
        self.proc.wait(60)
        return result

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def _publish_backlog(brokers: Brokers, tag: str, args: argparse.Namespace) -> None:
    nodes = SimulatedNodes("127.0.0.1", brokers.mqtt_port, site="bench", count=args.nodes, prefix=tag,
                           client_prefix=tag).start()
    try:
        nodes.publish(args.events)
        if not nodes.wait_acked(300):
            sys.exit(f"Mosquitto did not acknowledge the backlog ({nodes.unacked} left)")
    finally:
        nodes.stop()


def run_trial(case: Case, brokers: Brokers, folder: Path, tag: str, args: argparse.Namespace) -> Trial:
    """Drain one backlog of ``args.events`` with ``case``; returns what it cost."""
    folder.mkdir()
    share = tag if case.processes > 1 else None
    config = deployment_file(folder, brokers, args.partitions, tag, args.nodes, share_group=share)
    drainers = [Drainer(case, config, f"{tag}-{n}", folder / f"drain-{n}.log") for n in range(case.processes)]
    sink: Service | None = None
    watcher: LakeWatcher | None = None
    try:
        for drainer in drainers:
            drainer.wait_ready()
        if case.mode == "bridge":
            sink = Service("sink", config, folder / "sink.log")
            sink.wait_for("assigned")
            watcher = LakeWatcher(folder / "lake")
        _publish_backlog(brokers, tag, args)
        load = os.getloadavg()[0]
        sink_cpu0 = sink.cpu_s() if sink is not None else 0.0
        began = time.monotonic()
        for drainer in drainers:
            drainer.go()
        results = [drainer.result() for drainer in drainers]
        events = sum(r.events for r in results)
        if events < args.events:
            raise ShortTrial(f"{case}: only {events} of {args.events} events arrived; logs in {folder}")
        lake_wall = sink_cpu = None
        if sink is not None and watcher is not None:
            lake_wall = watcher.wait_rows(args.events, timeout_s=300) - began
            sink_cpu = sink.cpu_s() - sink_cpu0
    finally:
        for drainer in drainers:
            drainer.kill()
        if watcher is not None:
            watcher.stop()
        if sink is not None:
            sink.stop()
    return Trial(events, sum(r.cpu_s for r in results), max(r.wall_s for r in results), load, sink_cpu, lake_wall)


def _trial(case: Case, brokers: Brokers, folder: Path, stamp: str, args: argparse.Namespace) -> Trial:
    """``run_trial``, once more after a short one (the machine stalled a subscriber past its idle time)."""
    for attempt in (1, 2):
        tag = f"{stamp}-{attempt}-{case.client}-{case.mode}-{case.processes}"
        try:
            return run_trial(case, brokers, folder / tag, tag, args)
        except ShortTrial as exc:
            print(f"{exc}; {'trying again' if attempt == 1 else 'giving up'}", flush=True)
    sys.exit(1)


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _row(case: Case, trials: list[Trial]) -> str:
    loads = ", ".join(f"{t.load:.1f}" for t in trials)
    text = (f"  {case}  {_median([t.us_per_event for t in trials]):6.1f} us/event  "
            f"{_median([t.per_cpu_s for t in trials]):8,.0f} events/CPU-s  "
            f"{_median([t.events / t.wall_s for t in trials]):8,.0f} events/s")
    with_sink = [t.with_sink_per_cpu_s for t in trials if t.with_sink_per_cpu_s is not None]
    if with_sink:
        sink_us = _median([t.sink_cpu_s / t.events * 1e6 for t in trials if t.sink_cpu_s is not None])
        lake = _median([t.events / t.lake_wall_s for t in trials if t.lake_wall_s])
        text += (f"  | + sink {sink_us:.1f} us: {_median(with_sink):7,.0f} events/CPU-s, "
                 f"{lake:7,.0f} events/s to the lake")
    return f"{text}  (load {loads})"


def _verdict(results: dict[Case, list[Trial]]) -> list[str]:
    lines = []
    for client in sorted({case.client for case in results}):
        best = max(
            (_median([t.with_sink_per_cpu_s or 0.0 for t in trials]), case.processes)
            for case, trials in results.items() if case.client == client and case.mode == "bridge"
        )
        met = "reaches" if best[0] >= TARGET_PER_CORE else "does not reach"
        lines.append(f"  {client}: bridge + sink {best[0]:,.0f} events per CPU second at best ({best[1]} proc): "
                     f"{met} the target of {TARGET_PER_CORE:,}")
    return lines


def run(args: argparse.Namespace) -> int:
    brokers = Brokers.of(args)
    started = brokers.start()
    folder = Path(tempfile.mkdtemp(prefix="citytwin-mqtt-bench-"))
    cases = [Case(client, mode, procs) for mode in args.modes for procs in args.processes for client in args.clients]
    results: dict[Case, list[Trial]] = {case: [] for case in cases}
    stamp = int(time.time())
    try:
        for trial in range(args.trials):
            for case in cases:  # interleaved, so that a change in load hits every case alike
                results[case].append(_trial(case, brokers, folder, f"mqb{stamp}-{trial}", args))
                print(f"trial {trial + 1}/{args.trials} {case}: {results[case][-1].us_per_event:.1f} us/event", flush=True)
    finally:
        if not args.keep_brokers:
            brokers.stop(started)
    print()
    print(f"MQTT client benchmark, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]}, paho-mqtt {version('paho-mqtt')}, librdkafka {confluent_kafka.libversion()[0]}")
    print(f"  {args.events:,} events per trial from {args.nodes} nodes, median of {args.trials} trials; "
          "CPU of every subscriber process (and of the sink where shown)")
    for case in cases:
        print(_row(case, results[case]))
    if "bridge" in args.modes:
        print("verdict:")
        print("\n".join(_verdict(results)))
    print(f"  logs: {folder}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cloud.bench.mqtt_clients", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=50_000, help="backlog per trial (default: %(default)s)")
    parser.add_argument("--trials", type=int, default=3, help="trials per case (default: %(default)s)")
    parser.add_argument("--clients", nargs="+", choices=sorted(CLIENTS), default=sorted(CLIENTS))
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--processes", nargs="+", type=int, default=[1, 2], help="subscriber processes (default: 1 2)")
    add_load_arguments(parser)
    add_broker_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

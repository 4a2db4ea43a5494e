"""Ingest benchmark: sustained events/s through bridge and sink, and publish-to-file latency.

Run with ``make bench-ingest`` (or ``python -m cloud.bench.ingest --help``).
It starts its own Mosquitto and Kafka through ``ops/brokers`` (run folder
``.run/bench`` or ``CITYTWIN_BENCH_RUN``, ports from ``CITYTWIN_BENCH_*``)
unless they already run, and stops what it started.

1. **Throughput.** The bridge subscribes once and stops; simulated nodes
   publish a backlog into its persistent session; then bridge and sink run
   until every event is in a lake file. Events / seconds is the sustained rate
   of the two services together, with no publisher competing for the CPU;
   events / (CPU seconds of bridge + sink) is the rate per core.
2. **Latency.** With both services running, the nodes publish at a fixed rate
   with ``ts`` = publish time; a watcher notes when each lake file appears.
   Latency is file-visible time minus ``ts``, per event (p50, p95).

Measured on a shared 2-core x86 VM (medians of three runs, 90,000 events):
about 28,000 events/s sustained and 28,000 events per CPU second (bridge
20 µs, sink 15 µs of CPU per event); latency p50 0.4 s, p95 0.7 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import confluent_kafka
import pyarrow.parquet as pq
import yaml

from citytwin.paths import REPO_ROOT
from cloud.bench.nodes import SimulatedNodes, camera_ids

BROKERS = REPO_ROOT / "ops" / "brokers"
TARGET_PER_CORE = 20_000


@dataclass(frozen=True)
class Brokers:
    """The benchmark's own Mosquitto and Kafka, driven by the ops scripts."""

    mqtt_port: int
    kafka_port: int
    controller_port: int
    run_dir: Path
    # Extra script settings: the logins of authenticated brokers (CITYTWIN_MQTT_AUTH_DIR, CITYTWIN_KAFKA_SCRAM_USERS).
    settings: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, args: argparse.Namespace) -> Brokers:
        """The brokers named by the options of ``add_broker_arguments``."""
        return cls(args.mqtt_port, args.kafka_port, args.controller_port, args.run_dir)

    def _script(self, name: str, action: str) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "CITYTWIN_RUN": str(self.run_dir),
            "CITYTWIN_MQTT_PORT": str(self.mqtt_port),
            "CITYTWIN_KAFKA_PORT": str(self.kafka_port),
            "CITYTWIN_KAFKA_CONTROLLER_PORT": str(self.controller_port),
            **dict(self.settings),
        }
        return subprocess.run([str(BROKERS / name), action], env=env, capture_output=True, text=True, check=False)

    def start(self) -> list[str]:
        """Start whichever broker is not running; returns the scripts of those started."""
        started = []
        for script in ("mosquitto.sh", "kafka.sh"):
            if self._script(script, "status").returncode != 0:
                done = self._script(script, "start")
                if done.returncode != 0:
                    sys.exit(f"could not start {script}: {done.stdout}{done.stderr}")
                started.append(script)
        return started

    def stop(self, scripts: list[str]) -> None:
        for script in reversed(scripts):
            self._script(script, "stop")


class Service:
    """``citytwin [OPTIONS] COMMAND --config CONFIG EXTRA...`` as a child process (default: a bridge or sink instance)."""

    def __init__(self, command: str, config: Path, log: Path, extra: Sequence[str] = ("--instance", "bench"),
                 options: Sequence[str] = (), env: Mapping[str, str] | None = None) -> None:
        self.command, self.log = command, log
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "citytwin.cli", *options, command, "--config", str(config), *extra],
                stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
            )

    def wait_for(self, needle: str, timeout_s: float = 60.0) -> float:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if needle in self.log.read_text(errors="replace"):
                return time.monotonic()
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        sys.exit(f"{self.log.name}: never logged {needle!r}:\n{self.log.read_text(errors='replace')[-3000:]}")

    def cpu_s(self) -> float:
        """User + system CPU seconds of the process so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(60)


class LakeWatcher:
    """Notes when each lake file first appears, and counts the rows seen."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.seen: dict[Path, float] = {}
        self.rows = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            now = time.time()
            for path in self.root.glob("date=*/hour=*/*.parquet"):
                if path not in self.seen:
                    self.seen[path] = now
                    self.rows += pq.read_metadata(path).num_rows
            self._stop.wait(0.02)

    def wait_rows(self, count: int, timeout_s: float) -> float:
        """Wait until ``count`` rows are visible; returns when (monotonic), or exits on timeout."""
        deadline = time.monotonic() + timeout_s
        while self.rows < count:
            if time.monotonic() > deadline:
                sys.exit(f"only {self.rows} of {count} events reached the lake within {timeout_s:.0f}s")
            time.sleep(0.01)
        return time.monotonic()

    def latencies(self, ids: set[str]) -> list[float]:
        """Seconds from ``ts`` to file visible, for the events in ``ids``."""
        out = []
        for path, seen in self.seen.items():
            table = pq.read_table(path, columns=["event_id", "ts"])
            for event_id, ts in zip(table.column("event_id").to_pylist(), table.column("ts").to_pylist()):
                if event_id in ids:
                    out.append(seen - ts.timestamp())
        return out

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def deployment_file(
    folder: Path, brokers: Brokers, partitions: int, tag: str, nodes: int, share_group: str | None = None
) -> Path:
    """A deployment file in ``folder`` whose topics, groups and cameras are the benchmark's own (named by ``tag``)."""
    doc = {
        "site": {"id": "bench", "name": "Ingest benchmark", "width_m": 100, "height_m": 100},
        "mqtt": {"host": "127.0.0.1", "port": brokers.mqtt_port},
        "kafka": {
            "bootstrap": f"127.0.0.1:{brokers.kafka_port}",
            "topics": {"events": f"{tag}.events", "dlq": f"{tag}.dlq", "status": f"{tag}.status"},
            "partitions": partitions,
        },
        "lake": {"path": str(folder / "lake")},
        "cloud": {
            "bridge": {"topic_prefix": tag, "share_group": share_group, "session_expiry_s": 600, "report_interval_s": 5},
            "sink": {"group": tag, "batch_max_wait_s": 0.5, "batch_max_records": 50_000, "report_interval_s": 5},
            "compaction": {"enabled": False},
        },
        # The bridge takes events only from listed cameras: the simulated nodes' (SimulatedNodes names them).
        "cameras": [{"id": camera, "map": {"x_m": 0, "y_m": 0}} for camera in camera_ids(nodes)],
    }
    path = folder / "bench.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def run(args: argparse.Namespace) -> int:
    brokers = Brokers.of(args)
    started = brokers.start()
    tag = f"bench-{int(time.time())}"
    folder = Path(tempfile.mkdtemp(prefix="citytwin-bench-"))
    config = deployment_file(folder, brokers, args.partitions, tag, args.nodes)
    nodes = None
    services: list[Service] = []
    try:
        # The bridge subscribes once, then stops: its session collects the backlog.
        first = Service("bridge", config, folder / "bridge-setup.log")
        first.wait_for("subscribed to")
        first.stop()
        sink = Service("sink", config, folder / "sink.log")
        services.append(sink)
        sink.wait_for("assigned")
        watcher = LakeWatcher(folder / "lake")
        nodes = SimulatedNodes("127.0.0.1", brokers.mqtt_port, site="bench", count=args.nodes, prefix=tag, client_prefix=tag).start()
        print(f"publishing a backlog of {args.events} events from {args.nodes} nodes ...", flush=True)
        nodes.publish(args.events)
        if not nodes.wait_acked(300):
            sys.exit("Mosquitto did not acknowledge the backlog")

        bridge = Service("bridge", config, folder / "bridge.log")
        services.append(bridge)
        began = bridge.wait_for("subscribed to")
        bridge0, sink0 = bridge.cpu_s(), sink.cpu_s()
        done = watcher.wait_rows(args.events, timeout_s=600)
        bridge_cpu, sink_cpu = bridge.cpu_s() - bridge0, sink.cpu_s() - sink0
        cpu = bridge_cpu + sink_cpu
        seconds = done - began

        print(f"measuring latency at {args.rate} events/s for {args.seconds} s ...", flush=True)
        ids = set(nodes.publish(int(args.rate * args.seconds), rate_per_s=args.rate))
        watcher.wait_rows(args.events + len(ids), timeout_s=120)
        time.sleep(0.1)
        latencies = watcher.latencies(ids)
        watcher.stop()
    finally:
        if nodes is not None:
            nodes.stop()
        for service in reversed(services):
            service.stop()
        if not args.keep_brokers:
            brokers.stop(started)

    rate = args.events / seconds
    per_core = args.events / cpu
    print()
    print(f"ingest benchmark, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]}, librdkafka {confluent_kafka.libversion()[0]}")
    print(f"  sustained:  {args.events} events in {seconds:.2f} s = {rate:,.0f} events/s through bridge + sink")
    print(f"  per core:   {cpu:.2f} CPU s in bridge + sink = {per_core:,.0f} events per CPU second "
          f"(target {TARGET_PER_CORE:,}: {'met' if per_core >= TARGET_PER_CORE else 'not met'})")
    print(f"              bridge {bridge_cpu / args.events * 1e6:.1f} us/event, sink {sink_cpu / args.events * 1e6:.1f} us/event")
    print(f"  latency:    publish -> file visible at {args.rate} events/s: p50 {_percentile(latencies, 50):.2f} s, "
          f"p95 {_percentile(latencies, 95):.2f} s ({len(latencies)} events)")
    print(f"  logs:       {folder}")
    return 0


def add_load_arguments(parser: argparse.ArgumentParser) -> None:
    """How many simulated nodes publish, into how many partitions of the events topic."""
    parser.add_argument("--nodes", type=int, default=20, help="simulated edge nodes (default: %(default)s)")
    parser.add_argument("--partitions", type=int, default=3, help="partitions of the events topic (default: %(default)s)")


def add_broker_arguments(parser: argparse.ArgumentParser, run_dir: bool = True) -> None:
    """Where the benchmark's own brokers listen, whether they stay up, and (``run_dir``) where they keep their state."""
    parser.add_argument("--keep-brokers", action="store_true", help="leave brokers started here running")
    parser.add_argument("--mqtt-port", type=int, default=int(os.environ.get("CITYTWIN_BENCH_MQTT_PORT", 31883)))
    parser.add_argument("--kafka-port", type=int, default=int(os.environ.get("CITYTWIN_BENCH_KAFKA_PORT", 39092)))
    parser.add_argument(
        "--controller-port", type=int, default=int(os.environ.get("CITYTWIN_BENCH_KAFKA_CONTROLLER_PORT", 39093))
    )
    if not run_dir:
        return
    parser.add_argument(
        "--run-dir", type=Path, default=Path(os.environ.get("CITYTWIN_BENCH_RUN", REPO_ROOT / ".run" / "bench")),
        help="broker state of the benchmark's own brokers (default: %(default)s)",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cloud.bench.ingest", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--events", type=int, default=90_000, help="backlog size; Mosquitto queues at most 100000 (default: %(default)s)"
    )
    add_load_arguments(parser)
    parser.add_argument("--rate", type=float, default=2000, help="events/s in the latency phase (default: %(default)s)")
    parser.add_argument("--seconds", type=float, default=10, help="length of the latency phase (default: %(default)s)")
    add_broker_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

"""``make bench-city``: a city of emulated cameras through the real, authenticated pipeline, with the rules and the cockpit.

    python -m cloud.bench.city [--cameras 1000] [--duration 600] [--burst-cameras 100] [--burst-s 3600]
    make bench-city DURATION=120

Generates a deployment of ``--cameras`` cameras (one line and one zone
each), every login with ``citytwin credentials``, and starts its own
Mosquitto (per-node passwords and ACLs) and Kafka (SASL/SCRAM) through
``ops/brokers`` in ``.run/bench-city``, then the bridge, the sink, the rule
service and the cockpit, each as ``citytwin --credentials ...``, compacting
and allocating as a busy site's deployment would (``COMPACTION``,
``SERVICE_ENV``; printed with the results). The cameras
(``cameras.py``) publish about 1.1 events per second each for ``--duration``
seconds; a third of the way in, ``--burst-cameras`` of them flush a spool of
``--burst-s`` seconds of older events at once, the first tenth of it twice
(a flush cut short and retried). An operator's screen asks the cockpit's API
a few times a second. Prints:

- events published (distinct) and events in the twin (``count(*)`` of its
  deduplicated ``events`` view), which must be equal;
- lag of live events from publish (their ``ts``) to visible in a lake file,
  p50/p95 outside the burst (from its start until the last spooled event is
  in the lake) and within it; how long the burst took to reach the lake;
- p95 per cockpit request;
- RSS of every process sampled every 5 s: first-half and second-half means,
  the second half's min and max, and their ratio (target: within 10 %); every
  sample goes to ``rss.csv`` in the run's folder.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from citytwin.deployment import load
from citytwin.secretfile import read_env
from cloud.bench.cameras import LIVE_SEQ, EmulatedCameras, Flushed, Login, spooled
from cloud.bench.ingest import Brokers, Service, add_broker_arguments
from cloud.bench.probes import CockpitProbe, LakeLags, RssSampler
from cloud.twin.twin import Twin

SITE = "city"
OPERATOR = "bench-operator"
LAG_TARGET_S = 5.0
COMPACTION = {"interval_s": 20, "min_age_s": 20}
# Arrow's default allocator (mimalloc) keeps the pages of the largest query a process has run: its RSS then follows
# the busiest question so far, not what it holds. The system allocator gives large buffers back when they are freed.
SERVICE_ENV = {"ARROW_DEFAULT_MEMORY_POOL": "system"}
FLAT_TARGET = 1.10


def camera_ids(count: int) -> list[str]:
    return [f"cam-{index:04d}" for index in range(count)]


def deployment_file(folder: Path, brokers: Brokers, cameras: int, tag: str) -> Path:
    """The benchmark city: authenticated brokers, the rules of a real site, one line and one zone per camera."""
    doc = {
        "site": {"id": SITE, "name": "Emulated city", "width_m": 5000, "height_m": 5000},
        "mqtt": {"host": "127.0.0.1", "port": brokers.mqtt_port, "password_env": "CITYTWIN_MQTT_PASSWORD",
                 "spool_dir": str(folder / "spool")},
        "kafka": {
            "bootstrap": f"127.0.0.1:{brokers.kafka_port}",
            "sasl": {"mechanism": "SCRAM-SHA-512", "username": "citytwin-ops", "password_env": "CITYTWIN_KAFKA_PASSWORD"},
            "topics": {"events": f"{tag}.events", "dlq": f"{tag}.dlq", "status": f"{tag}.status"},
            "partitions": 6,
        },
        "lake": {"path": str(folder / "lake")},
        "audit": {"path": str(folder / "audit" / "audit.jsonl")},
        "cloud": {
            "bridge": {"receive_maximum": 2000, "report_interval_s": 10, "session_expiry_s": 3600},
            "sink": {"group": tag, "batch_max_wait_s": 1, "batch_max_records": 100_000, "report_interval_s": 10},
            # A second's batches make thousands of small files an hour, and every raw read opens each one: a busy
            # site compacts often. The watcher leaves merged files out of its counts (``probes.LakeLags``).
            "compaction": COMPACTION,
        },
        "rules": {"interval_s": 5, "rules": [
            {"type": "zone_capacity", "name": "plaza-full", "severity": "critical", "for_s": 10, "clear_s": 20,
             "action": "dispatch a steward to {zone}"},
            {"type": "node_offline", "name": "node-offline", "silent_s": 60, "action": "check {node}"},
            {"type": "line_flow", "name": "gate-busy", "line": "gate", "window_s": 300, "above": 400,
             "action": "open the second gate"},
        ]},
        "cameras": [
            {"id": camera, "map": {"x_m": index % 70 * 70, "y_m": index // 70 * 70},
             "lines": [{"id": "gate", "points": [[0, 300], [768, 300]]}],
             "zones": [{"id": "plaza", "polygon": [[0, 0], [768, 0], [768, 576], [0, 576]], "capacity": 8}]}
            for index, camera in enumerate(camera_ids(cameras))
        ],
    }
    path = folder / "city.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def _citytwin(*args: str, env: dict[str, str] | None = None) -> None:
    done = subprocess.run([sys.executable, "-m", "citytwin.cli", "--log-level", "WARNING", *args],
                          capture_output=True, text=True, env={**os.environ, **(env or {})}, check=False)
    if done.returncode:
        sys.exit(f"citytwin {args[0]} failed: {done.stdout}{done.stderr}")


def _logins(secrets_dir: Path, cameras: list[str]) -> list[Login]:
    out = []
    for camera in cameras:
        env = read_env(secrets_dir / "services" / f"edge-{camera}" / "credentials.env")
        out.append(Login(camera, env["CITYTWIN_CFG__MQTT__USERNAME"], env["CITYTWIN_MQTT_PASSWORD"]))
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pid(run_dir: Path, name: str) -> int:
    return int((run_dir / name / f"{name}.pid").read_text().strip())


def _pct(values: Any, q: float) -> str:
    return f"{float(np.percentile(values, q)):.2f}" if len(values) else "-"


class City:
    """The running benchmark: brokers, services, cameras and probes, stopped in reverse order by ``close``."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.folder = Path(tempfile.mkdtemp(prefix="citytwin-bench-city-"))
        self.tag = f"city-{int(time.time())}"
        self.services: list[Service] = []
        self.started: list[str] = []
        self.secrets = self.folder / "secrets"

    def setup(self) -> None:
        # Brokers of their own in this run's folder: each run makes new logins, which brokers of an earlier run lack.
        args = self.args
        base = Brokers(args.mqtt_port, args.kafka_port, args.controller_port, self.folder / "brokers")
        self.config = deployment_file(self.folder, base, self.args.cameras, self.tag)
        _citytwin("credentials", "--config", str(self.config), "--out", str(self.secrets))
        self.brokers = Brokers(base.mqtt_port, base.kafka_port, base.controller_port, base.run_dir, settings=(
            ("CITYTWIN_MQTT_AUTH_DIR", str(self.secrets / "mosquitto")),
            ("CITYTWIN_KAFKA_SCRAM_USERS", str(self.secrets / "kafka" / "scram-users"))))
        print(f"starting authenticated brokers in {base.run_dir} ...", flush=True)
        self.started = ["mosquitto.sh", "kafka.sh"]  # stopped on close even if one of them fails to start
        self.brokers.start()
        self.password = secrets.token_urlsafe(12)
        users = self.folder / "users.yaml"
        subprocess.run([sys.executable, "-m", "cloud.cockpit.users", str(users), OPERATOR, "operator"], check=True,
                       capture_output=True, env={**os.environ, "CITYTWIN_COCKPIT_PASSWORD": self.password})
        self.cockpit_port = _free_port()
        for name, extra, ready in (
            ("sink", ("--instance", "bench"), "assigned"), ("bridge", ("--instance", "bench"), "subscribed to"),
            ("rules", (), "rule"), ("cockpit", ("--users", str(users), "--port", str(self.cockpit_port)), "Uvicorn running"),
        ):
            creds = self.secrets / "services" / name / "credentials.env"
            service = Service(name, self.config, self.folder / f"{name}.log", extra=extra,
                              options=("--credentials", str(creds)), env=SERVICE_ENV)
            self.services.append(service)
            service.wait_for(ready, timeout_s=180)

    def pids(self) -> dict[str, int]:
        run = self.brokers.run_dir
        return {"mosquitto": _pid(run, "mosquitto"), "kafka": _pid(run, "kafka"),
                **{s.command: s.proc.pid for s in self.services}, "cameras (this process)": os.getpid()}

    def close(self) -> None:
        for service in reversed(self.services):
            service.stop()
        if self.started and not self.args.keep_brokers:
            self.brokers.stop(self.started)


def _tuning() -> str:
    return (f"the deployment compacts every {COMPACTION['interval_s']} s the files at least "
            f"{COMPACTION['min_age_s']} s old; services run with "
            + ", ".join(f"{k}={v}" for k, v in SERVICE_ENV.items()))


def _spool_flush(cameras: EmulatedCameras, count: int, seconds: float, until: datetime) -> tuple[list[Flushed], int]:
    """What the first ``count`` cameras' spools hold at ``until`` after ``seconds`` offline, the first tenth twice
    (a flush cut short and retried); and the number of distinct events. Made before the run, not during it."""
    flush: list[Flushed] = []
    retried: list[Flushed] = []
    for camera in cameras.cameras[:count]:
        events = spooled(camera.spool, until, seconds)
        flush.extend((camera, kind, payload) for kind, payload in events)
        retried.extend((camera, kind, payload) for kind, payload in events[: len(events) // 10])
    return flush + retried, len(flush)


def run(args: argparse.Namespace) -> int:
    city = City(args)
    cameras: EmulatedCameras | None = None
    probes: list[Any] = []
    try:
        city.setup()
        logins = _logins(city.secrets, camera_ids(args.cameras))
        print(f"connecting {args.cameras} cameras, each with its own login ...", flush=True)
        cameras = EmulatedCameras("127.0.0.1", city.brokers.mqtt_port, SITE, logins, city.tag).connect()
        lags = LakeLags(city.folder / "lake", LIVE_SEQ)
        rss = RssSampler(city.pids())
        screen = CockpitProbe(f"http://127.0.0.1:{city.cockpit_port}", OPERATOR, city.password)
        probes = [lags, rss, screen]
        for probe in probes:
            probe.start()
        burst_at = int(args.duration / 3)
        burst: dict[str, float] = {}
        print(f"making the spools of {args.burst_cameras} cameras ...", flush=True)
        until = datetime.now(timezone.utc) + timedelta(seconds=burst_at)
        flush, distinct = _spool_flush(cameras, args.burst_cameras, args.burst_s, until)

        def on_second(second: int) -> None:
            if second == burst_at and args.burst_cameras:
                burst["start"], burst["events"] = time.time(), distinct
                cameras.queue_flush(iter(flush))
                flush.clear()
                print(f"  {second} s: {args.burst_cameras} cameras flush {burst['events']:,} spooled events", flush=True)
            elif second % 30 == 0:
                print(f"  {second} s: {cameras.sent:,} sent, {lags.rows:,} rows in the lake, "
                      f"{cameras.unacked:,} unacknowledged, load {os.getloadavg()[0]:.1f}", flush=True)

        print(f"publishing for {args.duration} s, load {os.getloadavg()[0]:.1f}; {_tuning()} ...", flush=True)
        cameras.run(args.duration, on_second)
        delivered = cameras.drain(args.drain_s)
        if not delivered:
            print(f"after {args.drain_s} s the cameras still had {cameras.unacked:,} events unacknowledged by the "
                  f"broker and {cameras.pending:,} not yet sent", flush=True)
        published = sum(c.live.made + c.spool.made for c in cameras.cameras)
        in_twin = _wait_in_twin(city, published, lags)
        for probe in probes:
            probe.stop()
        probes = []
        _report(args, published, cameras.sent, in_twin, lags, rss, screen, burst)
        print(f"  RSS samples of every process: {rss.write_csv(city.folder / 'rss.csv')}")
        if not delivered:
            print("  the cameras could not hand every event to the broker in time: the count compares what they made")
        return 0 if in_twin == published else 1
    finally:
        for probe in probes:
            probe.stop()
        try:
            if cameras is not None:
                cameras.close()
        finally:
            city.close()
        print(f"logs and lake: {city.folder}")


def _wait_in_twin(city: City, published: int, lags: LakeLags, timeout_s: float = 180.0) -> int:
    """The twin's deduplicated event count once the lake holds every published event, or when time runs out."""
    deadline = time.monotonic() + timeout_s
    cfg = load(city.config)
    while True:
        twin = Twin(city.folder / "lake", cfg.site, list(cfg.cameras))
        try:
            count = int(twin.read("SELECT count(*) FROM events").rows[0][0])
        finally:
            twin.close()
        if count >= published or time.monotonic() > deadline:
            return count
        time.sleep(5)


def _report(args: argparse.Namespace, published: int, sent: int, in_twin: int, lags: LakeLags, rss: RssSampler,
            screen: CockpitProbe, burst: dict[str, float]) -> None:
    ts, lag = lags.lags()
    start = burst.get("start", float("inf"))
    end = lags.spool_seen(int(burst["events"])) if burst else start  # the last spooled event is in the lake
    drained = f"in the lake {end - start:.1f} s after the flush began" if end < float("inf") else "never all in the lake"
    outside = lag[(ts < start) | (ts > end)]
    inside = lag[(ts >= start) & (ts <= end)]
    print()
    print(f"city benchmark, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f} / {os.getloadavg()[1]:.1f} (1 / 5 min)")
    print(f"  {args.cameras} cameras for {args.duration} s; burst: {args.burst_cameras} cameras x {args.burst_s:.0f} s of spool")
    print(f"  events published (distinct):  {published:,}   (MQTT messages sent, retried flush included: {sent:,})")
    print(f"  events in the twin (dedup):   {in_twin:,}   {'equal: none lost' if in_twin == published else 'NOT EQUAL'}")
    print(f"  rows in lake files:           {lags.rows:,}   ({lags.merged:,} files merged by compaction, not counted again)")
    print(f"  {_tuning()}")
    if burst:
        print(f"  burst: {int(burst['events']):,} spooled events (and a retried tenth) {drained}")
    print(f"  lag publish -> in a lake file, live events: outside the burst p50 {_pct(outside, 50)} s, "
          f"p95 {_pct(outside, 95)} s ({len(outside):,} events; target p95 < {LAG_TARGET_S:.0f} s); "
          f"during the burst p50 {_pct(inside, 50)} s, p95 {_pct(inside, 95)} s ({len(inside):,})")
    print("  cockpit API (operator token):")
    for name, times in screen.times.items():
        print(f"    {name:<26} {len(times):>5} ok {screen.failures.get(name, 0):>3} failed   "
              f"p50 {float(np.percentile(times, 50)):7.1f} ms  p95 {float(np.percentile(times, 95)):7.1f} ms")
    every = [t for times in screen.times.values() for t in times]
    print(f"    all requests p95 {_pct(every, 95)} ms")
    print(f"  RSS (MiB), {len(rss.samples)} samples every 5 s (the cameras' process holds the spools: not a service):")
    print(f"    {'process':<24} {'1st half':>9} {'2nd half':>9} {'2nd min':>8} {'2nd max':>8} {'max/min':>8}")
    for name, first, second, low, high, ratio in rss.table():
        flag = "" if ratio <= FLAT_TARGET else "  grows" if second > first else "  varies"
        print(f"    {name:<24} {first:>9.0f} {second:>9.0f} {low:>8.0f} {high:>8.0f} {ratio:>8.3f}{flag}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cloud.bench.city", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cameras", type=int, default=1000, help="emulated cameras (default: %(default)s)")
    parser.add_argument("--duration", type=int, default=int(os.environ.get("DURATION", 600)),
                        help="seconds of publishing (default: $DURATION or %(default)s)")
    parser.add_argument("--burst-cameras", type=int, default=100, help="cameras that flush a spool (default: %(default)s)")
    parser.add_argument("--burst-s", type=float, default=3600, help="seconds of spool each flushes (default: %(default)s)")
    parser.add_argument("--drain-s", type=float, default=600,
                        help="how long the cameras may take after the run to hand over what is left (default: %(default)s)")
    add_broker_arguments(parser, run_dir=False)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

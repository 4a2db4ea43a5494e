"""End-to-end latency to the twin: the benchmark's endpoint through the real cloud path.

Frame capture -> edge publisher -> Mosquitto -> ``citytwin bridge`` -> Kafka
-> the twin's live tail -> an event row queryable in DuckDB. The bridge runs
as its own process on a scratch config with topics of its own; the twin is
polled every 50 ms, so the figure includes up to that much polling delay.
This lives beside the CLI because it spans edge and cloud.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Literal

import yaml

from cloud.twin.twin import Twin
from cloud.twin.tail import KafkaTail, TailBuffer
from contract.site import SiteSpec
from edge.bench.e2e import Endpoint

log = logging.getLogger(__name__)


class TwinEndpoint(Endpoint):
    """Visible = the event's row is returned by a query on the twin."""

    name: Literal["mqtt", "kafka", "twin"] = "twin"

    def __init__(self, mqtt: tuple[str, int], bootstrap: str, site: str, scratch: Path) -> None:
        run = uuid.uuid4().hex[:8]
        self.run = run
        self.topic = f"bench-events-{run}"
        self.description = (
            f"frame capture -> MqttPublisher -> Mosquitto {mqtt[0]}:{mqtt[1]} -> citytwin bridge -> Kafka {bootstrap} "
            f"({self.topic}) -> twin live tail -> row in the DuckDB events view (polled every 50 ms)"
        )
        self.site, self.bootstrap, self.scratch = site, bootstrap, scratch
        scratch.mkdir(parents=True, exist_ok=True)
        self.config = scratch / "bridge.yaml"
        self.config.write_text(yaml.safe_dump({
            "site": {"id": site, "name": "benchmark", "width_m": 10, "height_m": 10},
            "mqtt": {"host": mqtt[0], "port": mqtt[1]},
            "kafka": {"bootstrap": bootstrap, "partitions": 1,
                      "topics": {"events": self.topic, "dlq": f"bench-dlq-{run}", "status": f"bench-status-{run}"}},
            "lake": {"path": str(scratch / "lake")},
            "cameras": [{"id": "bench", "map": {"x_m": 1, "y_m": 1}, "source": {"type": "file", "path": "unused.avi"}}],
        }))
        self._seen: dict[str, float] = {}
        self._stop = threading.Event()
        self._bridge: subprocess.Popen[bytes] | None = None
        self._tail: KafkaTail | None = None
        self._poller: threading.Thread | None = None
        self.buffer = TailBuffer()
        self.twin = Twin(scratch / "lake", SiteSpec(id=site, name="benchmark", width_m=10, height_m=10), [], tail=self.buffer)

    def start(self) -> None:
        log_file = (self.scratch / "bridge.log").open("wb")
        # A fresh instance name means a fresh MQTT session: nothing queued for an earlier bridge arrives here.
        command = [sys.executable, "-m", "citytwin.cli", "bridge", "--config", str(self.config), "--instance", f"bench-{self.run}"]
        self._bridge = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while self._tail is None:
            try:
                self._tail = KafkaTail(self.buffer, self.bootstrap, self.topic).start()
            except RuntimeError:  # the bridge creates its topics as it starts
                if time.monotonic() > deadline or self._bridge.poll() is not None:
                    self.stop()
                    raise TimeoutError(f"the bridge did not create {self.topic}; see {self.scratch / 'bridge.log'}") from None
                time.sleep(0.5)
        time.sleep(2.0)  # the bridge's MQTT subscription is in place once its topics exist and it reports
        self._poller = threading.Thread(target=self._poll, name="twin-endpoint", daemon=True)
        self._poller.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.twin.refresh()
            now = time.time()
            for (event_id,) in self.twin.read("SELECT event_id FROM events").rows:
                self._seen.setdefault(str(event_id), now)
            self._stop.wait(0.05)

    def seen(self) -> dict[str, float]:
        return dict(self._seen)

    def stop(self) -> None:
        self._stop.set()
        if self._poller is not None:
            self._poller.join(timeout=5)
        if self._tail is not None:
            self._tail.stop()
        if self._bridge is not None and self._bridge.poll() is None:
            self._bridge.send_signal(signal.SIGTERM)
            try:
                self._bridge.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._bridge.kill()

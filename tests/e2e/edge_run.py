"""Run ``citytwin edge`` as a real process against the live broker and record what it publishes."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

from tests.support.brokers import MqttBroker
from tests.support.mqtt import Received, Recorder

LINE = [[0, 330], [768, 330]]
ZONE = [[100, 250], [650, 250], [700, 576], [50, 576]]
# Fixed for the session, so two replays stamp the same times; recent, so the bridge's clock window takes them.
START = (datetime.now(timezone.utc) - timedelta(hours=1)).replace(minute=0, second=0, microsecond=0).isoformat()


def site_config(tmp: Path, video: Path, broker: MqttBroker, **edge: Any) -> tuple[Path, str]:
    """A one-camera deployment file replaying ``video`` as fast as possible; returns (path, site id)."""
    site = f"e2e{uuid.uuid4().hex[:8]}"
    doc = {
        "site": {"id": site, "name": "test site", "width_m": 100, "height_m": 60},
        "mqtt": {"host": broker.host, "port": broker.port, "spool_dir": str(tmp / "spool"), "keepalive_s": 5},
        "edge": {"detector": {"type": "nanodet", "threads": 2}, "count_interval_s": 10, "health_interval_s": 5, **edge},
        "cameras": [
            {
                "id": "cam-1",
                "map": {"x_m": 10, "y_m": 10},
                "source": {"type": "file", "path": str(video), "start_time": START},
                "lines": [{"id": "path", "points": LINE}],
                "zones": [{"id": "plaza", "polygon": ZONE, "capacity": 6}],
            }
        ],
    }
    path = tmp / "site.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path, site


def edge_command(config: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "citytwin.cli", "edge", "--config", str(config), *extra]


@dataclass
class EdgeRun:
    """What one replay published on the site's topics."""

    messages: list[Received]
    stdout: str
    stderr: str

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(m.payload) for m in self.messages if "/events/" in m.topic]

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind]


def replay(config: Path, site: str, broker: MqttBroker, *extra: str, timeout: float = 240) -> EdgeRun:
    """Run the edge node to the end of its input and collect every event it published."""
    rec = Recorder(broker.host, broker.port, [f"citytwin/{site}/#"]).start()
    try:
        done = subprocess.run(edge_command(config, *extra), capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, done.stderr
        # The node drained its spool before exiting; give the broker a moment to deliver.
        last = -1
        while True:
            messages = rec.wait_for(lambda m: len(m) > last, timeout=1.0)
            if len(messages) == last:
                break
            last = len(messages)
    finally:
        rec.stop()
    return EdgeRun(messages, done.stdout, done.stderr)

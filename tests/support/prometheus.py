"""A real Prometheus (Debian's ``/usr/bin/prometheus``) from a private config and data folder, and its query API.

It scrapes every second; a series becomes queryable a few seconds after the
target serves it, so ``until`` polls the query API up to a deadline instead
of sleeping a fixed time.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.http import free_port

BINARY = Path("/usr/bin/prometheus")
READY_S = 60.0


class Prometheus:
    """Prometheus scraping ``targets`` (job -> host:port) every second, until ``stop``."""

    def __init__(self, folder: Path, targets: Mapping[str, str]) -> None:
        if not BINARY.exists():
            pytest.fail(f"{BINARY} is missing; `make test` installs Debian's prometheus package")
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / "prometheus.yml"
        config.write_text(yaml.safe_dump({
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "scrape_configs": [{"job_name": job, "static_configs": [{"targets": [target]}]} for job, target in targets.items()],
        }))
        self.port = free_port()
        self.log = folder / "prometheus.log"
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(BINARY), f"--config.file={config}", f"--storage.tsdb.path={folder / 'data'}",
                 f"--web.listen-address=127.0.0.1:{self.port}", "--storage.tsdb.retention.time=1d"],
                stdout=out, stderr=subprocess.STDOUT)
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=10)
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_S
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"prometheus exited:\n{self.log.read_text(errors='replace')[-3000:]}"
            try:
                if self.http.get("/-/ready").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        pytest.fail(f"prometheus was not ready within {READY_S} s:\n{self.log.read_text(errors='replace')[-3000:]}")

    def query(self, expr: str) -> list[dict[str, Any]]:
        """The instant vector ``expr`` evaluates to now."""
        reply = self.http.get("/api/v1/query", params={"query": expr})
        body = reply.json()
        assert body.get("status") == "success", f"{expr}: {body}"
        assert body["data"]["resultType"] == "vector", f"{expr} is not an instant vector: {body}"
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def value(self, expr: str) -> float | None:
        """The single sample ``expr`` evaluates to now, or None while it has none."""
        result = self.query(expr)
        assert len(result) <= 1, f"{expr} has several series: {result}"
        return float(result[0]["value"][1]) if result else None

    def until(self, expr: str, done: Callable[[float], bool], what: str, timeout_s: float = 60.0) -> float:
        """Poll ``expr`` until its value satisfies ``done``; fails with ``what`` and the last value at the deadline."""
        deadline = time.monotonic() + timeout_s
        last = self.value(expr)
        while (last is None or not done(last)) and time.monotonic() < deadline:
            time.sleep(0.5)
            last = self.value(expr)
        assert last is not None and done(last), f"{what}: {expr} was {last} after {timeout_s} s"
        return last

    def targets(self) -> dict[str, str]:
        """Each scraped job's health (up, down, unknown)."""
        active = self.http.get("/api/v1/targets").json()["data"]["activeTargets"]
        return {t["labels"]["job"]: t["health"] for t in active}

    def stop(self) -> None:
        self.http.close()
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

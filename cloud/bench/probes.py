"""What the city benchmark watches while it runs: lake files as they land, processes' RSS, the cockpit's API.

Each probe runs on a daemon thread of its own and keeps only what its
summary needs: the watcher keeps per-event lags as arrays (not the events),
the sampler one RSS figure per process per sample, the cockpit probe one
latency per request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import numpy as np
import psutil
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cloud.sink.layout import parse_name

log = logging.getLogger(__name__)


class _Loop:
    """A daemon thread calling ``step`` every ``every_s`` until ``stop``."""

    def __init__(self, step: Callable[[], None], every_s: float) -> None:
        self._step, self._every = step, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._step()
            except Exception:  # a probe's failure must not end the run; it is counted where it matters
                log.exception("benchmark probe step failed")
            self._stop.wait(self._every)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)


class LakeLags(_Loop):
    """Notes when each raw lake file appears; keeps rows seen and, per live row, its ``ts`` and lag to visible.

    A file compaction merged from files already seen (its name starts at one's first offset and ends at one's
    last, in the same folder and partition: ``cloud.sink.compact``) holds no row that is new; it is not counted.
    """

    def __init__(self, root: Path, live_seq: int, every_s: float = 0.25) -> None:
        super().__init__(self._scan, every_s)
        self.root, self.live_seq = root, live_seq
        self.seen: set[Path] = set()
        self.merged = 0
        self._ends: dict[tuple[Path, int], tuple[set[int], set[int]]] = {}  # firsts and lasts seen per folder, partition
        self.rows = 0
        self._ts: list[np.ndarray] = []
        self._lag: list[np.ndarray] = []
        self._spool: list[tuple[float, int]] = []  # (visible, spooled rows seen so far), per file that holds some

    def _scan(self) -> None:
        for path in self.root.glob("date=*/hour=*/*.parquet"):
            if path in self.seen:
                continue
            if self._merged(path):
                self.seen.add(path)
                self.merged += 1
                continue
            visible = time.time()
            table = pq.read_table(path, columns=["seq", "ts"])
            self.seen.add(path)
            self.rows += table.num_rows
            live = table.filter(pc.greater_equal(table.column("seq"), self.live_seq))
            if live.num_rows < table.num_rows:
                before = self._spool[-1][1] if self._spool else 0
                self._spool.append((visible, before + table.num_rows - live.num_rows))
            ts = live.column("ts").cast("int64").to_numpy() / 1e6
            self._ts.append(ts)
            self._lag.append(visible - ts)

    def _merged(self, path: Path) -> bool:
        """Whether ``path`` was merged from files seen before; notes its ends either way."""
        found = parse_name(path.name)
        if found is None:
            return False
        firsts, lasts = self._ends.setdefault((path.parent, found.partition), (set(), set()))
        merged = found.first in firsts and found.last in lasts
        firsts.add(found.first)
        lasts.add(found.last)
        return merged

    def spool_seen(self, count: int) -> float:
        """When the lake first held ``count`` spooled rows (duplicates count: a lower bound); inf if never."""
        return next((at for at, seen in self._spool if seen >= count), float("inf"))

    def lags(self) -> tuple[np.ndarray, np.ndarray]:
        """Publish time (= ``ts``) and seconds until visible in a lake file, per live row seen."""
        if not self._ts:
            return np.zeros(0), np.zeros(0)
        return np.concatenate(self._ts), np.concatenate(self._lag)


class RssSampler(_Loop):
    """RSS (MiB) of named processes every few seconds; a process that has ended is left out of later samples."""

    def __init__(self, pids: dict[str, int], every_s: float = 5.0) -> None:
        super().__init__(self._sample, every_s)
        self.pids = pids
        self.samples: list[tuple[float, dict[str, float]]] = []
        self._procs = {name: psutil.Process(pid) for name, pid in pids.items()}

    def _sample(self) -> None:
        row = {}
        for name, proc in self._procs.items():
            try:
                row[name] = proc.memory_info().rss / 2**20
            except psutil.Error:
                continue
        self.samples.append((time.monotonic(), row))

    def write_csv(self, path: Path) -> Path:
        """Every sample as ``seconds,process,rss_mib`` rows (seconds from the first sample); returns ``path``."""
        start = self.samples[0][0] if self.samples else 0.0
        lines = ["seconds,process,rss_mib"] + [f"{at - start:.1f},{name},{rss:.1f}" for at, row in self.samples
                                               for name, rss in row.items()]
        path.write_text("\n".join(lines) + "\n")
        return path

    def table(self) -> list[tuple[str, float, float, float, float, float]]:
        """Per process: first-half mean, second-half mean, second-half min and max, and max/min over the second half."""
        half = len(self.samples) // 2
        out = []
        for name in self.pids:
            first = [row[name] for _, row in self.samples[:half] if name in row]
            second = [row[name] for _, row in self.samples[half:] if name in row]
            if first and second:
                out.append((name, float(np.mean(first)), float(np.mean(second)), min(second), max(second),
                            max(second) / min(second)))
        return out


class CockpitProbe(_Loop):
    """An operator's screen: logged in, asking the cockpit's API for live state, history, a past state and nodes."""

    def __init__(self, base: str, username: str, password: str, per_s: float = 4.0) -> None:
        super().__init__(self._ask, 1.0 / per_s)
        self.http = httpx.Client(base_url=base, timeout=30.0)
        reply = self.http.post("/api/login", json={"username": username, "password": password})
        reply.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {reply.json()['token']}"
        self.times: dict[str, list[float]] = {}
        self.failures: dict[str, int] = {}
        self._turn = 0

    def _requests(self) -> list[tuple[str, str, dict[str, str]]]:
        now = datetime.now(timezone.utc)
        hour_ago, recent = (now - timedelta(hours=1)).isoformat(), (now - timedelta(minutes=2)).isoformat()
        return [
            ("live", "/api/live", {}),
            ("history (1 h, 1 minute)", "/api/history", {"start": hour_ago, "end": now.isoformat(), "bucket": "1 minute"}),
            ("state (2 min ago)", "/api/state", {"at": recent}),
            ("nodes", "/api/nodes", {}),
            ("range", "/api/range", {}),
        ]

    def _ask(self) -> None:
        requests = self._requests()
        name, path, params = requests[self._turn % len(requests)]
        self._turn += 1
        start = time.perf_counter()
        try:
            ok = self.http.get(path, params=params).status_code == 200
        except httpx.HTTPError:
            ok = False
        if ok:
            self.times.setdefault(name, []).append((time.perf_counter() - start) * 1000)
        else:
            self.failures[name] = self.failures.get(name, 0) + 1

    def stop(self) -> None:
        super().stop()
        self.http.close()

"""``Twin``: one DuckDB connection with the registry, the lake views and the live tail."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from cloud.twin import registry, store, views
from cloud.twin.alertlog import AlertLogs
from cloud.twin.lake import LakeFiles, alert_log, default_decision_log
from cloud.twin.named import QUERIES
from cloud.twin.readonly import QueryResult, lock_down, run_query
from cloud.twin.tail import TailBuffer
from edge.events.site import CameraSpec, SiteSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TwinState:
    """The twin at one instant: zone occupancy, node health and recent flow."""

    at: datetime
    zones: dict[tuple[str, str, str], int]  # (site, camera, zone) -> objects inside
    nodes: dict[str, dict[str, Any]]  # node -> {"last_seen", "fps", "online"}
    flow: dict[tuple[str, str, str, str], int]  # (site, camera, line, direction) -> crossings in the window


class Twin:
    """Queries over the lake; thread-safe through one cursor per call.

    ``offline_after_s`` is how long a node may stay silent before it counts as offline; ``decisions``
    is the operators' decisions log the ``alerts`` view shows with the alert log (default: beside the lake).
    """

    def __init__(
        self,
        lake: Path,
        site: SiteSpec,
        cameras: Sequence[CameraSpec],
        *,
        offline_after_s: float = 60.0,
        timeout_s: float = 10.0,
        max_rows: int = 10_000,
        tail: TailBuffer | None = None,
        decisions: Path | None = None,
    ) -> None:
        self.lake = lake
        self.offline_after_s = offline_after_s
        self.timeout_s = timeout_s
        self.max_rows = max_rows
        self.files = LakeFiles(lake)
        self.tail = tail if tail is not None else TailBuffer()
        self.alerts = AlertLogs([alert_log(lake), decisions or default_decision_log(lake)])
        self._lock = threading.Lock()
        lake.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET enable_progress_bar = false")
        registry.load(self.con, site, cameras)
        store.create(self.con)
        self.refresh()
        lock_down(self.con, lake)

    def refresh(self) -> int:
        """Pick up new lake files and the latest tail; returns the number of files read."""
        files = self.files.list()
        with self._lock:
            store.sync(self.con, files, self.files.signature)
            views.install(self.con, files, self.offline_after_s, self.alerts.table())
            self.tail.flush_into(self.con)
        return len(files)

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> QueryResult:
        """Run one read-only statement (see ``readonly``) with the twin's limits."""
        return run_query(self.con.cursor(), sql, params, timeout_s=self.timeout_s, max_rows=self.max_rows)

    def named(self, name: str, **params: Any) -> QueryResult:
        """Run a named query; raises ``KeyError`` naming the known ones."""
        try:
            query = QUERIES[name]
        except KeyError:
            raise KeyError(f"unknown query {name!r}; known: {', '.join(sorted(QUERIES))}") from None
        missing = [p for p in query.params if p not in params]
        if missing:
            raise ValueError(f"query {name!r} needs parameters: {', '.join(missing)}")
        return self.query(query.sql, {k: params[k] for k in query.params})

    def state_at(self, at: datetime, flow_window: timedelta = timedelta(minutes=15)) -> TwinState:
        """The twin as it was at ``at``: the newest value of everything at or before it."""
        cur = self.con.cursor()
        zones = cur.execute(
            "SELECT site, camera, zone, arg_max(total, ts) FROM occupancy WHERE ts <= $at "
            "AND date <= CAST($at AS DATE) GROUP BY ALL",
            {"at": at},
        ).fetchall()
        nodes = cur.execute(
            "SELECT node, max(ts), arg_max(fps, ts) FROM health WHERE ts <= $at AND date <= CAST($at AS DATE) GROUP BY node",
            {"at": at},
        ).fetchall()
        flow = cur.execute(
            "SELECT site, camera, line, direction, count(*) FROM crossings WHERE ts > $start AND ts <= $at "
            "AND date BETWEEN CAST($start AS DATE) AND CAST($at AS DATE) GROUP BY ALL",
            {"at": at, "start": at - flow_window},
        ).fetchall()
        horizon = timedelta(seconds=self.offline_after_s)
        return TwinState(
            at=at,
            zones={(s, c, z): int(n) for s, c, z, n in zones},
            nodes={
                node: {"last_seen": last, "fps": fps, "online": at - last <= horizon} for node, last, fps in nodes
            },
            flow={(s, c, line, d): int(n) for s, c, line, d, n in flow},
        )

    def current_state(self, now: datetime) -> TwinState:
        """``state_at(now)`` after picking up whatever arrived since the last refresh."""
        self.refresh()
        return self.state_at(now)

    def close(self) -> None:
        self.con.close()

"""``Twin``: the registry, the lake views and the live tail, on a trusted connection and in a sandbox.

The project's own SQL (named queries, the screen's tiles, ``state_at``, the
rules, federation) runs through ``read`` on the twin's trusted in-memory
connection, over its store. SQL that people type runs through ``query`` in
the sandbox (``sandbox.py``), which can change no table, no file and no
setting, under the limits of ``cloud.sql``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from cloud.twin import registry, store, views
from cloud.twin.alertlog import AlertLogs
from cloud.twin.lake import LakeFiles, alert_log
from cloud.twin.named import QUERIES
from cloud.twin.readonly import QueryResult
from cloud.twin.sandbox import Sandbox, Sources
from cloud.twin.settings import SqlSettings, default_decision_log
from cloud.twin.tail import TailBuffer
from contract.site import CameraSpec, SiteSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TwinState:
    """The twin at one instant: zone occupancy, node health and recent flow."""

    at: datetime
    zones: dict[tuple[str, str, str], int]  # (site, camera, zone) -> objects inside
    nodes: dict[str, dict[str, Any]]  # node -> {"last_seen", "fps", "online"}
    flow: dict[tuple[str, str, str, str], int]  # (site, camera, line, direction) -> crossings in the window


def _confine(con: duckdb.DuckDBPyConnection, lake: Path) -> None:
    """Limit the trusted connection to the lake folder, for good: it runs only the project's own SQL."""
    folder = str(lake.resolve()).rstrip("/") + "/"
    con.execute("SET allowed_directories = [?]", [folder])
    con.execute("SET enable_external_access = false")
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute("SET lock_configuration = true")


class Twin:
    """Queries over the lake; thread-safe through one cursor per call.

    ``offline_after_s`` is how long a node may stay silent before it counts as offline; ``sql`` holds the
    limits of typed SQL. The sandbox is made on the first ``query``, so services that never take typed SQL
    (the rules, federation) never pay for it. ``decisions`` is the operators' decisions log the ``alerts``
    view shows with the alert log (default: beside the lake).
    """

    def __init__(
        self,
        lake: Path,
        site: SiteSpec,
        cameras: Sequence[CameraSpec],
        *,
        offline_after_s: float = 60.0,
        sql: SqlSettings | None = None,
        tail: TailBuffer | None = None,
        decisions: Path | None = None,
    ) -> None:
        self.lake = lake
        self.site, self.cameras = site, list(cameras)
        self.offline_after_s = offline_after_s
        self.sql = sql if sql is not None else SqlSettings()
        self.files = LakeFiles(lake)
        self.tail = tail if tail is not None else TailBuffer()
        self.alerts = AlertLogs([alert_log(lake), decisions or default_decision_log(lake)])
        self._lock = threading.Lock()
        self._readable: list[Path] = []
        self._sandbox: Sandbox | None = None
        self._sources: Sources | None = None  # what typed SQL sees; made again after each refresh, when needed
        lake.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET enable_progress_bar = false")
        registry.load(self.con, site, cameras)
        store.create(self.con)
        self.refresh()
        _confine(self.con, lake)

    def refresh(self) -> int:
        """Pick up new lake files and the latest tail; returns the number of files read."""
        files = self.files.list()
        with self._lock:
            bad: set[Path] = set()

            def reject(path: Path, reason: str) -> None:
                bad.add(path)
                self.files.reject(path, reason)

            store.sync(self.con, files, self.files.signature, reject)
            files = [f for f in files if f not in bad]
            views.install(self.con, files, self.offline_after_s, self.alerts.table())
            self.tail.flush_into(self.con)
            self._readable, self._sources = files, None
        return len(files)

    def read(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> QueryResult:
        """Run the project's own SQL on the trusted connection: all rows, no allowlist. Never give it typed text."""
        start = time.perf_counter()
        cursor = self.con.cursor()
        try:
            result = cursor.execute(sql, params) if params is not None else cursor.execute(sql)
            rows = result.fetchall()
            columns = [d[0] for d in result.description or []]
        finally:
            cursor.close()
        return QueryResult(columns, rows, False, (time.perf_counter() - start) * 1000)

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> QueryResult:
        """Run one statement people typed, in the sandbox, within the limits of ``cloud.sql``.

        Raises ``QueryRefused`` (``QueryTooLarge`` for a limit), ``QueryTimeout`` or ``duckdb.Error``.
        """
        sandbox, sources = self._user_side()
        return sandbox.run(sql, params, sources)

    def _user_side(self) -> tuple[Sandbox, Sources]:
        with self._lock:
            if self._sandbox is None:
                self._sandbox = Sandbox(self.lake, self.site, self.cameras, self.offline_after_s, self.sql)
            if self._sources is None:
                self._sources = Sources.of(self.con, self.lake, self._readable)
            return self._sandbox, self._sources

    def named(self, name: str, **params: Any) -> QueryResult:
        """Run a named query; raises ``KeyError`` naming the known ones."""
        try:
            query = QUERIES[name]
        except KeyError:
            raise KeyError(f"unknown query {name!r}; known: {', '.join(sorted(QUERIES))}") from None
        missing = [p for p in query.params if p not in params]
        if missing:
            raise ValueError(f"query {name!r} needs parameters: {', '.join(missing)}")
        return self.read(query.sql, {k: params[k] for k in query.params})

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
        if self._sandbox is not None:
            self._sandbox.close()
        self.con.close()

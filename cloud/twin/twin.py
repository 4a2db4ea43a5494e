"""``Twin``: the registry and the lake's views, on a trusted connection and in a sandbox.

Nothing of the lake is copied: both connections read the Parquet files in
place, through the same Arrow sources and views (``views.py``), so opening a
twin costs a directory listing whatever the lake's age. The project's own SQL
(named queries, the screen's tiles, ``state_at``, the rules, federation) runs
through ``read`` on the trusted in-memory connection, bounded by
``cloud.twin``; it filters on ``date`` so that DuckDB reads only the days it
asks about. SQL that people type runs through ``query`` in the sandbox
(``sandbox.py``), which can change no table, no file and no setting, under the
limits of ``cloud.sql``.
"""

from __future__ import annotations

import heapq
import logging
import shutil
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds

from cloud.rollup.settled import floor_minute
from cloud.rollup.sources import slot_key
from cloud.twin import registry, rollups, views
from cloud.twin.alertlog import AlertLogs
from cloud.twin.daily import ZONES, Daily, Slot, Subjects
from cloud.twin.folders import Fragments
from cloud.twin.growing import GrowingHours
from cloud.twin.hourly_store import HourlyStore, store_file
from cloud.twin.lake import PARTITIONS, SCHEMA, alert_log
from cloud.twin.listing import LakeFiles, Verdicts, slot_of, verdict_file
from cloud.twin.named import MINUTES, QUERIES, RAW_HOURS, check_instant
from cloud.twin.past import NODE_LAST, ZONE_LAST, Past
from cloud.twin.readonly import QueryResult
from cloud.twin.sandbox import Sandbox, locked_config, private_folder
from cloud.twin.settings import SqlSettings, TwinSettings, default_decision_log
from cloud.twin.tail import TailBuffer
from cloud.twin.views import NO_ALERTS, Sources
from contract.site import CameraSpec, SiteSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TwinState:
    """The twin at one instant: zone occupancy, node health and recent flow."""

    at: datetime
    zones: dict[tuple[str, str, str], int]  # (site, camera, zone) -> objects inside
    nodes: dict[str, dict[str, Any]]  # node -> {"last_seen", "fps", "online"}
    flow: dict[tuple[str, str, str, str], int]  # (site, camera, line, direction) -> crossings in the window


def _trusted(settings: TwinSettings, spill: Path) -> duckdb.DuckDBPyConnection:
    """The trusted connection: in memory, reaching no file but its spill folder; the lake comes as Arrow sources."""
    con = duckdb.connect(":memory:", config=locked_config(settings.memory_limit_mb, settings.threads, spill,
                                                          settings.max_spill_mb))
    con.execute("SET enable_progress_bar = false")
    return con


# How DuckDB reports a lake file whose pages or values cannot be read as the lake's.
_DATA_ERRORS = (duckdb.InvalidInputException, duckdb.IOException, duckdb.ConversionException)
_RELISTS = 5  # times a query is run again over a new listing when files it was given have gone
_INSTANT = timedelta(microseconds=1)  # the finest step of a timestamp: an end kept is one instant before an end left out
_GROWING = 2  # the newest hours ``span`` counts per minute: the open one, and the last one while it closes
_SPAN = "SELECT date, hour, min(ts), max(ts), count(*) FROM events WHERE date BETWEEN $lo AND $hi GROUP BY ALL"


def _first_per_hour(tail: pa.Table) -> dict[Slot, datetime]:
    """The first capture time of each (date, hour) the tail holds rows of."""
    if not tail.num_rows:
        return {}
    firsts = tail.group_by(["date", "hour"]).aggregate([("ts", "min")])
    return dict(zip(zip(firsts["date"].to_pylist(), firsts["hour"].to_pylist()), firsts["ts_min"].to_pylist()))


class Twin:
    """Queries over the lake; thread-safe through one cursor per call.

    ``offline_after_s`` is how long a node may stay silent before it counts as offline; ``settings`` holds
    the memory, threads and spill folder of the trusted connection (``cloud.twin``), ``sql`` the limits of
    typed SQL. The sandbox is made on the first ``query``, so services that never take typed SQL
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
        settings: TwinSettings | None = None,
    ) -> None:
        self.lake = lake
        self.site, self.cameras = site, list(cameras)
        self.offline_after_s = offline_after_s
        self.sql = sql if sql is not None else SqlSettings()
        self.settings = settings if settings is not None else TwinSettings()
        self.files = LakeFiles(lake, Verdicts(verdict_file(self.settings.state_dir, lake)))
        self.tail = tail if tail is not None else TailBuffer()
        self.alerts = AlertLogs([alert_log(lake), decisions or default_decision_log(lake)])
        self._lock = threading.Lock()
        self._sandbox: Sandbox | None = None
        self._sources = Sources.empty(lake)
        self._listed: list[Path] = []
        self._hours: dict[Slot, Any] = {}
        self._tail_hours: set[Slot] = set()
        self._tail_first: dict[Slot, datetime] = {}  # the first capture time the tail holds of each of its hours
        self._digests: dict[str, str] = {}
        # What a refresh keeps, so that it costs what changed: fragments of the lake's files, each rollup table's
        # folders, each hour's digest.
        self._refreshing = threading.Lock()
        self._fragments = Fragments(lake, SCHEMA, ds.partitioning(PARTITIONS, flavor="hive"))
        self._rollups = rollups.Tables(lake)
        self._digest_of = rollups.Digests()
        self.coverage = rollups.Coverage(lake)
        self._duplicate_free = rollups.DuplicateFree(lake)
        self._free: set[str] = set()
        self._days: tuple[date, date] | None = None  # the first and last day holding raw rows now
        self.daily = Daily(lambda sql, params: self.read(sql, params).rows,
                           HourlyStore(store_file(self.settings.state_dir, lake)))
        self._growing = GrowingHours(lake, lambda sql, params: self.read(sql, params).rows, self.coverage.facts)
        lake.mkdir(parents=True, exist_ok=True)
        self.folder = private_folder(self.settings.spill_dir, lake, "cloud.twin.spill_dir", "citytwin-twin-")
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.folder, ignore_errors=True)
        self.con = _trusted(self.settings, self.folder)
        registry.load(self.con, site, cameras)
        views.create(self.con, lake, offline_after_s)
        self.con.execute("SET lock_configuration = true")
        self.refresh()

    def refresh(self) -> int:
        """Pick up new lake files, the latest tail and the alert log; returns the number of readable files.

        Only the partition folders that changed are listed again (``folders.FolderTree``), so a refresh costs what
        changed, not the lake's age.
        """
        with self._refreshing:
            files = self.files.list()
            with self._lock:
                same = files is self._listed
                lake, once, hours, digests = self._sources.lake, self._sources.once, self._hours, self._digests
                before, days = self._tail_hours, self._days
            if not same:
                hours = self.files.hours(files)
                digests = self._digest_of.of(hours)
            if not same:
                self.coverage.keep(hours)
            tail = self.tail.table()
            tail_first = _first_per_hour(tail)
            tail_hours = set(tail_first)
            # The tail may hold rows its hour's files hold too: such an hour is deduplicated whatever its files are.
            free = self._duplicate_free.of(digests) - {slot_key(s) for s in tail_hours}
            if not same or free != self._free:
                once, lake = self._fragments.split([(str(p), self.files.signature(p)) for p in files],
                                                   lambda path: slot_key(slot_of(Path(path).parent)) in free)
            sources = Sources(lake, tail, self._alert_table(), self._rollups.datasets(), once)
            if not same or tail_hours != before:
                held = [*hours, *tail_hours]
                days = (min(held)[0], max(held)[0]) if held else None
            with self._lock:
                self._sources, self._listed, self._free = sources, files, free
                self._hours, self._tail_hours, self._digests, self._days = hours, tail_hours, digests, days
                self._tail_first = tail_first
        return len(files)

    def _alert_table(self) -> pa.Table:
        """The alert log and the decisions; none, with a warning, when they cannot be read."""
        try:
            return self.alerts.table()
        except (OSError, pa.ArrowException) as exc:
            log.warning("the alert log under the lake cannot be read (%s); the alerts view is empty", exc)
            return NO_ALERTS

    def _recovering(self, call: Callable[[], QueryResult]) -> QueryResult:
        """``call()``; when the lake's data fails it, skip the files found bad (``LakeFiles.recheck``) and run it again.

        A file removed since the listing (compaction merged it, retention dropped its hour) fails a query too, and
        so does a file replaced since its footer was read (the reconciler makes an hour's rollup files again under
        the same names, a rewrite replaces a raw file): then the lake is listed again and, when the listing or a
        rollup table moved, the query run again, a few times, since a compaction removes its inputs one by one.
        Only a failure with every listed file still as it was judges the files' data.
        """
        relists = 0
        while True:
            with self._lock:
                files, tables = self._listed, self._sources.rollups
            try:
                return call()
            except _DATA_ERRORS:
                if relists < _RELISTS and self._moved(files, tables):
                    log.debug("lake or rollup files changed since the listing; listed again")
                    relists += 1
                    continue
                with self._refreshing:  # the listing's state is the refresh's
                    bad = self.files.recheck(files)
                if not bad:
                    raise
                self.refresh()
                return call()

    def _moved(self, files: list[Path], tables: Mapping[str, ds.Dataset] | None) -> bool:
        """Whether the lake's files or a rollup table changed since ``files`` and ``tables`` were listed; listed again."""
        with self._lock:
            moved = self._listed is not files  # another thread listed again meanwhile: the call's may be gone
        if not moved and not all(p.exists() for p in files):
            moved = True
        self.refresh()
        with self._lock:
            now_files, now_tables = self._listed, self._sources.rollups
        return moved or now_files is not files or any((now_tables or {}).get(k) is not v for k, v in (tables or {}).items())

    def read(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None,
             extra: Mapping[str, ds.Dataset] | None = None) -> QueryResult:
        """Run the project's own SQL on the trusted connection: all rows, no allowlist. Never give it typed text.

        ``extra`` are more Arrow sources, by the name the SQL reads them (``history.py``: a window's rollup files).
        """
        return self._recovering(lambda: self._read(sql, params, extra or {}))

    def _read(self, sql: str, params: Sequence[Any] | dict[str, Any] | None, extra: Mapping[str, ds.Dataset]) -> QueryResult:
        start = time.perf_counter()
        with self._lock:
            sources = self._sources
        cursor = self.con.cursor()
        try:
            sources.register(cursor, sql)
            for name, data in extra.items():
                cursor.register(name, data)
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
        # No judging of files here: a statement people type can raise the errors a damaged file does, and must not
        # set off a pass over the lake's data; the project's own next read over the same days does (``_recovering``).
        # A file replaced or removed since the listing is only listed again, and the statement run once more.
        with self._lock:
            files = self._listed
        sandbox, sources = self._user_side()
        try:
            return sandbox.run(sql, params, sources)
        except _DATA_ERRORS:
            if not self._moved(files, sources.rollups):
                raise
        sandbox, sources = self._user_side()
        return sandbox.run(sql, params, sources)

    def _user_side(self) -> tuple[Sandbox, Sources]:
        with self._lock:
            if self._sandbox is None:
                self._sandbox = Sandbox(self.lake, self.site, self.cameras, self.offline_after_s, self.sql)
            return self._sandbox, self._sources

    def since(self, subjects: Subjects, at: datetime) -> date:
        """The first day that holds the newest row, at or before ``at``, of every zone (``ZONES``) or node (``NODES``).

        Filter on ``date BETWEEN since AND CAST(at AS DATE)`` to read only those days (``daily.py``).
        """
        with self._lock:
            listing, fresh = self._hours, self._tail_hours
        return self.daily.since(subjects, at, listing, fresh)

    def hours_since(self, subjects: Subjects, at: datetime) -> str:
        """SQL on the partition columns keeping the hours a "newest value at or before ``at``" question needs.

        From the first hour that holds the newest row of every zone (``ZONES``) or node (``NODES``) to ``at``'s
        hour: a live question reads the hours it needs, not every hour of their days. Add it to the query's
        ``WHERE`` beside ``ts <= $at``.
        """
        with self._lock:
            listing, fresh = self._hours, self._tail_hours
        day, hour = self.daily.since_hour(subjects, at, listing, fresh)
        return self.hours_between(datetime.combine(day, clock(int(hour)), timezone.utc), at)

    def around_newest(self, subjects: Subjects, at: datetime) -> str:
        """SQL on the partition columns and ``ts`` keeping the minutes that hold the newest row, at or before ``at``, of
        every zone (``ZONES``) or node (``NODES``).

        For a "newest value" question about columns the rollups do not keep (a node's stage times, a zone's classes):
        the newest instants come from the rollups and the newest raw minutes (``state_at``'s way, ``past.py``), and
        the question then reads the raw rows of those minutes only, not every report of the open hour. Add it to the
        query's ``WHERE`` beside ``ts <= $at``; when the newest rows lie in too many minutes, it keeps their hours.
        """
        check_instant("at", at)
        past = self._past()
        with self._lock:
            listing, fresh = self._hours, self._tail_hours
        newest = past.newest(ZONE_LAST if subjects is ZONES else NODE_LAST, at, listing, fresh)
        kept = rollups.minute_ranges(floor_minute(ts.astimezone(timezone.utc)) for ts, _ in newest.values())
        return kept if kept is not None else self.hours_since(subjects, at)

    def hours_between(self, start: datetime, end: datetime) -> str:
        """SQL on the partition columns keeping the hours that hold an instant from ``start`` to ``end``, both kept.

        DuckDB hands it down to the lake's files, so only those hours' files are opened (``rollups.raw_filter``).
        """
        return rollups.raw_filter(start, end + _INSTANT, [], self.slots())

    def span(self) -> tuple[datetime | None, datetime | None, int]:
        """The first and last event time and the number of events, deduplicated, lake and tail together.

        Each hour's answer is kept while its files stay the same (``daily.Daily``); the hours that grow, the tail's
        and the newest two, are kept per minute and counted again only from their first new event (``growing``).
        """
        with self._lock:
            listing, tail_first = self._hours, self._tail_first
        growing = set(tail_first) | set(heapq.nlargest(_GROWING, listing))
        hours = self.daily.rows(_SPAN, {s: v for s, v in listing.items() if s not in growing})
        rows = [row for per_hour in hours.values() for row in per_hour]
        for slot in growing:
            span = self._growing.span(slot, listing.get(slot, ()), tail_first.get(slot))
            if span is not None:
                rows.append(span)
        self._growing.keep(growing)
        if not rows:
            return None, None, 0
        return min(r[0] for r in rows), max(r[1] for r in rows), sum(int(r[2]) for r in rows)

    def exact(self, table: str, start: datetime, end: datetime) -> list[datetime]:
        """Bucket starts of rollup ``table`` wholly inside [``start``, ``end``) that it holds exactly now.

        Read those buckets from the rollup and every other hour from raw (``rollups.py``).
        """
        with self._lock:
            current, fresh = self._digests, {f"{d.isoformat()}/{h}" for d, h in self._tail_hours}
            days = self._days
        if days is None:
            return []
        # Beyond the lake's first and last day nothing is held: the window's length never sets the work.
        lo = datetime.combine(days[0], clock(), timezone.utc)
        hi = datetime.combine(days[1], clock(), timezone.utc) + timedelta(days=1)
        return self.coverage.exact(table, max(start, lo), min(end, hi), current, fresh)

    def minutes(self, table: str, start: datetime, end: datetime) -> dict[datetime, datetime]:
        """For each hour wholly inside [``start``, ``end``) that minute table ``table`` holds some of exactly now, the
        end of the minutes it holds from the hour's start: the hour's end, or for an hour whose files grew since its
        minute file was made (the open one), the first minute they or the tail added (``rollups.Coverage.minutes``).
        """
        with self._lock:
            listed, tail_first = self._hours, self._tail_first
        return self.coverage.minutes(table, start, end, self.exact(table, start, end), listed, tail_first)

    def read_once(self) -> set[str]:
        """The hours (``YYYY-MM-DD/HH``) whose files the views read now without deduplicating them (``views.py``)."""
        with self._lock:
            return set(self._free)

    def slots(self) -> set[Slot]:
        """The hours that hold raw rows now: the listed files' and the live tail's."""
        with self._lock:
            return set(self._hours) | set(self._tail_hours)

    def named(self, name: str, **params: Any) -> QueryResult:
        """Run a named query; raises ``KeyError`` naming the known ones."""
        try:
            query = QUERIES[name]
        except KeyError:
            raise KeyError(f"unknown query {name!r}; known: {', '.join(sorted(QUERIES))}") from None
        missing = [p for p in query.params if p not in params]
        if missing:
            raise ValueError(f"query {name!r} needs parameters: {', '.join(missing)}")
        values = {k: params[k] for k in query.params}
        for key, value in values.items():
            check_instant(key, value)
        sql = query.sql
        if query.rollup is not None:  # the exact hours come from the rollup, the rest from raw
            start, end = query.window(values)
            aware = all(isinstance(t, datetime) and t.tzinfo is not None for t in (start, end))
            exact = self.exact(query.rollup, start, end) if aware else []  # anything else: all raw
            if query.prune is None:
                values["exact"] = held = exact
            else:
                held = query.prune(lambda sql, params: self.read(sql, params).rows, values, exact)
            spans = rollups.edge_minutes(self.minutes, query.minutes, start, end, held) if aware and query.minutes else {}
            sql = sql.replace(RAW_HOURS, rollups.raw_filter(start, end, held, self.slots(), spans) if aware else "true")
            sql = sql.replace(MINUTES, rollups.minute_filter(spans))
        return self.read(sql, values)

    def _past(self) -> Past:
        return Past(lambda sql, params: self.read(sql, params).rows, self.exact, self.minutes, self.daily)

    def state_at(self, at: datetime, flow_window: timedelta = timedelta(minutes=15)) -> TwinState:
        """The twin as it was at ``at``: the newest value of everything at or before it (``past.py``)."""
        check_instant("at", at)
        past = self._past()
        with self._lock:
            listing, fresh = self._hours, self._tail_hours
        zones = past.newest(ZONE_LAST, at, listing, fresh)
        nodes: dict[str, tuple[datetime, Any]] = {}
        for (_site, _camera, node), (last, fps) in past.newest(NODE_LAST, at, listing, fresh).items():
            if node not in nodes or last > nodes[node][0]:
                nodes[node] = (last, fps)
        horizon = timedelta(seconds=self.offline_after_s)
        return TwinState(
            at=at,
            zones={(s, c, z): int(n) for (s, c, z), (_ts, n) in zones.items()},
            nodes={node: {"last_seen": last, "fps": fps, "online": at - last <= horizon} for node, (last, fps) in nodes.items()},
            flow={(s, c, line, d): int(n) for s, c, line, d, n in past.flow(at, at - flow_window, set(listing) | fresh)},
        )

    def flow(self, start: datetime, at: datetime) -> list[tuple[Any, ...]]:
        """Crossings per (site, camera, line, direction) with ``start < ts <= at``: whole minutes from the minute
        rollups, the rest raw (``past.py``)."""
        check_instant("start", start)
        check_instant("at", at)
        past = self._past()
        return past.flow(at, start, self.slots())

    def current_state(self, now: datetime) -> TwinState:
        """``state_at(now)`` after picking up whatever arrived since the last refresh."""
        self.refresh()
        return self.state_at(now)

    def close(self) -> None:
        if self._sandbox is not None:
            self._sandbox.close()
        self.con.close()
        self._cleanup()

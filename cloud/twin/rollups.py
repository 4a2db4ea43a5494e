"""The rollup tables as the twin reads them: Arrow sources over their files, and which buckets are exact now.

Rollups are a cache, used only where it is exact: a bucket is read from a
rollup table when every raw hour under it still has the listing (names and
sizes) that the table's file records (``cloud.rollup.sources``) and the live
tail holds nothing of it; every other hour (a late or rewritten one, one the
reconciler has not reached) is read from raw, deduplicated. So no answer
waits for the reconciler. Of an hour whose files only grew since its minute
file was made (the open one; one compaction merged), the minutes before the
first new event, in files or in the tail, are still exact
(``Coverage.minutes``, ``cloud.rollup.settled``): only the rest is raw. At each refresh only the
folders whose modification time moved are listed again (``Tables``); a file's
footer is read once per (size, modification time), and only when a query asks
about its days.
"""

from __future__ import annotations

import os
import re
import time as time_module
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

from cloud.rollup import aggregate
from cloud.rollup.settled import FactsCache, floor_minute, settled_in
from cloud.rollup.sources import Recorded, RecordCache, Slot, digest, exact_hours, listing_of, parse_slot, slot_key
from cloud.rollup.tables import KEYS, PART, ROOT, TABLES, Table, table
from cloud.twin.folders import FolderTree, Fragments

# The kind whose minute file is asked whether an hour holds each event once: every kind's file records the same.
KEYS_KIND = TABLES[0].kind
# The Arrow object each rollup table's view reads, on every cursor.
SOURCE = "_rollup_{}"
_PARTITIONS = {"minute": pa.schema([("date", pa.date32()), ("hour", pa.string())]),
               "quarter": pa.schema([("date", pa.date32())]), "hour": pa.schema([("date", pa.date32())]),
               "day": pa.schema([("month", pa.string())])}


def _schema(t: Table) -> pa.Schema:
    return pa.schema(list(aggregate.schema(t.kind)) + list(_PARTITIONS[t.resolution]))


def dataset(root: Path, t: Table, files: Iterable[Path], keys_as_dictionaries: bool = False) -> ds.Dataset:
    """Table ``t``'s ``files`` with its columns and Hive partition columns; no footer is read here.

    ``keys_as_dictionaries`` reads the text columns naming a series (``KEYS``) as Arrow dictionaries, as Parquet
    stores them: a day of minutes is millions of rows of a few names, and decoding each name costs more than the sums.
    """
    schema, fmt = _schema(t), ds.ParquetFileFormat()
    if keys_as_dictionaries:
        keys = [k for k in KEYS[t.kind] if schema.field(k).type == pa.string()]
        schema = pa.schema([pa.field(f.name, pa.dictionary(pa.int32(), pa.string())) if f.name in keys else f
                            for f in schema])
        fmt = ds.ParquetFileFormat(read_options=ds.ParquetReadOptions(dictionary_columns=keys))
    return ds.dataset([str(f) for f in files], schema=schema, format=fmt,
                      partitioning=ds.partitioning(_PARTITIONS[t.resolution], flavor="hive"),
                      partition_base_dir=str(root / ROOT / t.name))


_FOLDER = {"date": re.compile(r"date=(\d{4}-\d{2}-\d{2})"), "hour": re.compile(r"hour=([01]\d|2[0-3])"),
           "month": re.compile(r"month=(\d{4}-\d{2})")}
_LEVELS: dict[str, tuple[str, ...]] = {"minute": ("date", "hour"), "quarter": ("date",), "hour": ("date",),
                                       "day": ("month",)}


def _canonical(key: str) -> Callable[[str], bool]:
    """Whether a folder name is a real ``key`` partition (a calendar date, an hour, a month)."""
    def accept(name: str) -> bool:
        match = _FOLDER[key].fullmatch(name)
        if match is None:
            return False
        if key == "hour":
            return True
        try:
            date.fromisoformat(match[1] + ("-01" if key == "month" else ""))
        except ValueError:  # date=2026-02-30
            return False
        return True
    return accept


def datasets(root: Path, listed: bool = True) -> dict[str, ds.Dataset]:
    """Every rollup table over its files now (``listed``), or over none; files in folders of other names are left out."""
    return Tables(root).datasets() if listed else {t.name: dataset(root, t, []) for t in TABLES}


class Tables:
    """Every rollup table's files, each table's folders read again only when they change (``folders.FolderTree``)."""

    def __init__(self, root: Path) -> None:
        self._trees = {t.name: FolderTree(root / ROOT / t.name, [_canonical(k) for k in _LEVELS[t.resolution]],
                                          lambda name: name == PART) for t in TABLES}
        self._fragments = {t.name: Fragments(root / ROOT / t.name, _schema(t), ds.partitioning(
            _PARTITIONS[t.resolution], flavor="hive")) for t in TABLES}
        self._datasets: dict[str, ds.Dataset] = {}

    def datasets(self) -> dict[str, ds.Dataset]:
        """Each table's dataset, made again only for the tables whose folders changed since the last call."""
        for name, tree in self._trees.items():
            leaves, changed = tree.scan()
            if changed or name not in self._datasets:
                files = [(os.path.join(folder, f), (size, mtime)) for folder in sorted(leaves)
                         for f, size, mtime in leaves[folder]]
                self._datasets[name] = self._fragments[name].dataset(files)
        return dict(self._datasets)


def views() -> dict[str, str]:
    """One view per rollup table, named like it."""
    return {t.name: f"SELECT * FROM {SOURCE.format(t.name)}" for t in TABLES}


class Digests:
    """The digest of each raw hour's current listing, computed again only for the hours whose listing changed."""

    def __init__(self) -> None:
        self._kept: dict[Slot, tuple[tuple[tuple[str, int, int], ...], str, str]] = {}  # files, key, digest

    def of(self, hours: Mapping[Slot, tuple[tuple[str, int, int], ...]]) -> dict[str, str]:
        """Of ``LakeFiles.hours``, keyed like the rollups record them; an hour's entry is kept while it is the same object."""
        kept = {}
        for slot, files in hours.items():
            known = self._kept.get(slot)
            kept[slot] = known if known is not None and known[0] is files else \
                (files, slot_key(slot), digest(listing_of(files)))
        self._kept = kept
        return {key: value for _, key, value in kept.values()}


class DuplicateFree:
    """The raw hours whose files hold each event once, as their minute rollups found them and recorded.

    An hour counts while its listing is the one its minute file records (the same rule as ``exact_hours``); a
    verdict for a listing is kept, so a refresh reads a footer only for an hour whose listing it has not judged yet
    (new, changed, or not rolled up so far).
    """

    # An hour not judged yet (no minute file records its listing) is looked at again at most this often: a refresh
    # over a year of such hours must not read a year of folders, and an hour read deduplicated a little longer is
    # only slower.
    RETRY_S = 30.0

    def __init__(self, root: Path, clock: Callable[[], float] = time_module.monotonic) -> None:
        self.root = root
        self.records = RecordCache()
        self._probe = table(f"{KEYS_KIND}_minute")
        self._clock = clock
        self._judged: dict[str, tuple[str, bool]] = {}  # slot key -> (digest judged, duplicate-free)
        self._unjudged: dict[str, tuple[str, float]] = {}  # slot key -> (digest, when to look again)

    def of(self, current: Mapping[str, str]) -> set[str]:
        """Of ``current`` (slot key -> digest of its listing, ``Digests.of``), the hours that hold each event once."""
        now = self._clock()
        judged: dict[str, tuple[str, bool]] = {}
        unjudged: dict[str, tuple[str, float]] = {}
        for key, value in current.items():
            known = self._judged.get(key)
            if known is not None and known[0] == value:
                judged[key] = known
                continue
            waiting = self._unjudged.get(key)
            if waiting is not None and waiting[0] == value and now < waiting[1]:
                unjudged[key] = waiting
                continue
            day, hour = parse_slot(key)
            recorded = self.records.get(self._probe.file(self.root, day, int(hour)))
            if recorded is not None and recorded.hours.get(key) == value:
                judged[key] = (value, recorded.duplicate_free)
            else:
                unjudged[key] = (value, now + self.RETRY_S)
        self._judged, self._unjudged = judged, unjudged
        return {key for key, (_, free) in judged.items() if free}


def _hours_of(day: date) -> list[str]:
    return [f"{day.isoformat()}/{h:02d}" for h in range(24)]


class Coverage:
    """Which buckets of a rollup table are exact for the lake as it is listed now."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.records = RecordCache()
        self.facts = FactsCache()
        # (table, hour) -> (the hour's listing, the minute file's record, what they settle): judged once per change.
        self._settled_kept: dict[tuple[str, Slot], tuple[object, Recorded, datetime]] = {}

    def exact(self, name: str, start: datetime, end: datetime, current: Mapping[str, str], fresh: set[str]) -> list[datetime]:
        """Bucket starts of table ``name`` wholly inside [``start``, ``end``) that it holds exactly.

        ``current`` is the digest of each raw hour's listing, ``fresh`` the hours the live tail touches.
        """
        t = table(name)
        unit = timedelta(days=1) if t.resolution == "day" else timedelta(hours=1)
        first = _ceil(start.astimezone(timezone.utc), unit)
        out: list[datetime] = []
        day = first.date()
        judged: dict[date, tuple[set[str], set[str]]] = {}  # a day table's file serves every day of its month
        while datetime.combine(day, time(), timezone.utc) < end:
            part = day.replace(day=1) if t.resolution == "day" else day
            if part not in judged:
                judged[part] = self._held(t, day, current)
            held = judged[part]
            keys = _hours_of(day)
            if t.resolution == "day":
                bucket = datetime.combine(day, time(), timezone.utc)
                wanted = {k for k in keys if k in current or k in held[1]}
                if bucket >= first and bucket + unit <= end and wanted <= held[0] and fresh.isdisjoint(keys):
                    out.append(bucket)
            else:
                for h, key in enumerate(keys):
                    bucket = datetime.combine(day, time(h), timezone.utc)
                    if bucket >= first and bucket + unit <= end and key in held[0] and key not in fresh:
                        out.append(bucket)
            day += timedelta(days=1)
        return out

    def minutes(self, name: str, start: datetime, end: datetime, exact: Iterable[datetime],
                listed: Mapping[Slot, tuple[tuple[str, int, int], ...]], tail_first: Mapping[Slot, datetime]) -> dict[datetime, datetime]:
        """For each hour wholly inside [``start``, ``end``) that minute table ``name`` holds some of exactly now, the end
        of the minutes it holds from the hour's start: the hour's end for the ``exact`` hours (``exact`` of ``name``).

        Another hour's file holds its minutes before the first event its hour's files (``listed``: names, sizes,
        modification times) added since it was made (``settled``), and before the first the tail holds of it
        (``tail_first``): the open hour up to the reconciler's last pass.
        """
        t = table(name)
        out = {h: h + _HOUR for h in exact}
        hour = _ceil(start.astimezone(timezone.utc), _HOUR)
        while hour + _HOUR <= end:
            slot = (hour.date(), f"{hour.hour:02d}")
            files = listed.get(slot)
            if hour not in out and files is not None:
                until = self._settled(t, hour, slot, files)
                if slot in tail_first:
                    until = min(until, floor_minute(tail_first[slot].astimezone(timezone.utc)))
                if until > hour:
                    out[hour] = until
            hour += _HOUR
        return out

    def _settled(self, t: Table, hour: datetime, slot: Slot, files: tuple[tuple[str, int, int], ...]) -> datetime:
        recorded = self.records.get(t.file(self.root, hour.date(), hour.hour))
        if recorded is None or not recorded.files:
            return hour
        known = self._settled_kept.get((t.name, slot))
        if known is not None and known[0] is files and known[1] is recorded:
            return known[2]
        until = settled_in(self.root, hour, recorded.files, listing_of(files), self.facts)
        self._settled_kept[(t.name, slot)] = (files, recorded, until)
        return until

    def keep(self, listed: Mapping[Slot, object]) -> None:
        """Forget what was judged of hours no longer ``listed``."""
        self._settled_kept = {k: v for k, v in self._settled_kept.items() if k[1] in listed}

    def _held(self, t: Table, day: date, current: Mapping[str, str]) -> tuple[set[str], set[str]]:
        """(hours held exactly, hours recorded) by the files of ``t`` covering ``day``."""
        if t.resolution == "minute":
            exact: set[str] = set()
            recorded: set[str] = set()
            for h in range(24):
                rec = self.records.get(t.file(self.root, day, h))
                exact |= exact_hours(rec, current)
                recorded |= set(rec.hours) if rec is not None else set()
            return exact, recorded
        rec = self.records.get(t.file(self.root, day))
        return exact_hours(rec, current), set(rec.hours) if rec is not None else set()


def _ceil(at: datetime, unit: timedelta) -> datetime:
    """The first instant at or after ``at`` that starts a UTC ``unit``."""
    midnight = datetime.combine(at.date(), time(), timezone.utc)
    steps = -(-(at - midnight) // unit)
    return midnight + steps * unit


# Hour start -> [first, end) of the whole minutes a minute table answers in that hour (``minute_spans``).
Spans = Mapping[datetime, tuple[datetime, datetime]]
_MINUTE = timedelta(minutes=1)
_HOUR = timedelta(hours=1)


def _instant(at: datetime) -> str:
    return f"TIMESTAMPTZ '{at.astimezone(timezone.utc).isoformat()}'"


def minute_spans(hours: Mapping[datetime, datetime], start: datetime, end: datetime) -> dict[datetime, tuple[datetime, datetime]]:
    """For each of ``hours`` (hour start -> the end of the minutes its minute file holds exactly from the hour's start,
    ``Twin.minutes``), those of its whole minutes inside [``start``, ``end``).

    A window's edge hours, and the open hour up to its newest minutes, are read from their minute rollups this way,
    and raw only before the first of those minutes and after the last: the lake's files hold their events by
    capture time in small row groups (``cloud.sink.writer.ROW_GROUP_ROWS``), so those few seconds open a row group
    or two instead of the hour.
    """
    lo, hi = _ceil(start.astimezone(timezone.utc), _MINUTE), end.astimezone(timezone.utc)
    hi = hi - (hi - datetime.combine(hi.date(), time(), timezone.utc)) % _MINUTE  # the minute ``end`` falls in
    out: dict[datetime, tuple[datetime, datetime]] = {}
    for hour, until in hours.items():
        first, last = max(hour, lo), min(hour + _HOUR, until, hi)
        if first < last:
            out[hour] = (first, last)
    return out


Minutes = Callable[[str, datetime, datetime], Mapping[datetime, datetime]]


def edge_minutes(minutes: Minutes, table: str, start: datetime, end: datetime,
                 held: Iterable[datetime] = ()) -> dict[datetime, tuple[datetime, datetime]]:
    """``minute_spans`` of [``start``, ``end``) over the hours not ``held`` whose minute file ``table`` holds some of.

    ``minutes`` is ``Twin.minutes``, asked from ``start``'s hour to one past ``end``'s so that the partial hours at
    both ends are among them.
    """
    first = start.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    skip = {h.astimezone(timezone.utc) for h in held}
    return minute_spans({h: u for h, u in minutes(table, first, end + _HOUR).items() if h not in skip}, start, end)


def minute_ranges(minutes: Iterable[datetime], most: int = 64) -> str | None:
    """SQL keeping the raw rows of ``minutes`` (minute starts): partition conditions and ``ts`` bounds, one per run of
    consecutive minutes; None when they make more than ``most`` runs (a query then reads their hours instead)."""
    runs: list[list[datetime]] = []
    for minute in sorted({m.astimezone(timezone.utc) for m in minutes}):
        if runs and runs[-1][1] == minute and minute.hour == runs[-1][0].hour and minute.date() == runs[-1][0].date():
            runs[-1][1] = minute + _MINUTE
        else:
            runs.append([minute, minute + _MINUTE])
    if len(runs) > most:
        return None
    terms = [f"(date = DATE '{lo.date().isoformat()}' AND hour = '{lo.hour:02d}' AND ts >= {_instant(lo)} "
             f"AND ts < {_instant(hi)})" for lo, hi in runs]
    return "(" + " OR ".join(terms) + ")" if terms else "false"


def minute_filter(spans: Spans) -> str:
    """SQL keeping a minute table's buckets in ``spans``: partition conditions and bucket bounds, literals made here."""
    terms = [f"(date = DATE '{hour.date().isoformat()}' AND hour = '{hour.hour:02d}' AND bucket_start >= {_instant(first)} "
             f"AND bucket_start < {_instant(last)})" for hour, (first, last) in sorted(spans.items())]
    return "(" + " OR ".join(terms) + ")" if terms else "false"


def raw_filter(start: datetime, end: datetime, held: Iterable[datetime], slots: Iterable[Slot] | None = None,
               minutes: Spans | None = None) -> str:
    """SQL keeping raw rows of the hours in [``start``, ``end``) that are not ``held`` (hour starts the rollups answer).

    Written as conditions on the partition columns alone (whole days as ``date`` ranges, other days as
    ``date = … AND hour IN (…)``), which DuckDB hands down to the dataset, so the files of held hours are never
    opened. Every literal is made here from dates and hours, never from text a caller gave. ``slots``, the hours
    that hold raw rows (the listing's and the tail's), bound the work by the lake instead of by the window: an hour
    with no rows needs no term, so a window of a century costs what the lake's hours cost. An hour in ``minutes``
    keeps only its rows outside the span the minute table answers (``minute_spans``), bounded by ``ts``.
    """
    spans = {h.astimezone(timezone.utc): span for h, span in (minutes or {}).items()}
    skip = {h.astimezone(timezone.utc) for h in held}
    first = start.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    if slots is None:
        candidates: Iterable[datetime] = (first + timedelta(hours=i) for i in range(max(0, -(-(end - first) // timedelta(hours=1)))))
    else:
        lo, hi = first.date(), end.astimezone(timezone.utc).date()
        candidates = sorted({datetime.combine(d, time(int(h)), timezone.utc) for d, h in slots if lo <= d <= hi})
    per_day: dict[date, list[str]] = {}
    terms: list[str] = []
    for hour in candidates:
        if not first <= hour < end or hour in skip:
            continue
        if hour not in spans:
            per_day.setdefault(hour.date(), []).append(f"{hour.hour:02d}")
            continue
        lo, hi = spans[hour]
        outside = [f"ts < {_instant(lo)}"] * (lo > hour) + [f"ts >= {_instant(hi)}"] * (hi < hour + _HOUR)
        if outside:
            terms.append(f"(date = DATE '{hour.date().isoformat()}' AND hour = '{hour.hour:02d}' "
                         f"AND ({' OR '.join(outside)}))")
    run: list[date] = []  # consecutive days read whole

    def close_run() -> None:
        if run:
            terms.append(f"date BETWEEN DATE '{run[0].isoformat()}' AND DATE '{run[-1].isoformat()}'")
            run.clear()

    for day, hours in sorted(per_day.items()):
        if len(hours) == 24 and (not run or run[-1] + timedelta(days=1) == day):
            run.append(day)
            continue
        close_run()
        if len(hours) == 24:
            run.append(day)
        else:
            terms.append(f"(date = DATE '{day.isoformat()}' AND hour IN ({', '.join(repr(h) for h in hours)}))")
    close_run()
    return "(" + " OR ".join(terms) + ")" if terms else "false"

"""Which lake files the twin reads: listed by folder, each judged once in its life, the verdict kept on disk.

A file is judged by its folder (a real ``date=``/``hour=``), its footer (the
columns fit the lake schema, ``lake.schema_problems``) and, unless its footer
says the sink wrote it, its data (every envelope column decodes and every body
is JSON): the checks that once made a twin fail to open. The sink writes only
events the contract decoded, so its files skip the pass over the data; should
one of them fail one of the twin's own queries after all (a page damaged on
disk, a forged file claiming to be the sink's), ``LakeFiles.recheck`` judges
the data of every such file, the bad ones are skipped from then on and the
query runs again. Typed SQL never sets that pass off: its statements can
raise the same errors on purpose.

A verdict is kept by (path, size, modification time) in a small JSON file
outside the lake (``cloud.twin.state_dir``), shared by every twin process of
the machine: the cockpit, the rules, each ``citytwin query`` open a lake whose
files were judged before and read no footer or page at all. A file that
changes is judged again. When the verdict file cannot be written, verdicts
are kept in memory only.

A listing reads again only the partition folders whose modification time
moved (``folders.FolderTree``), and judges only the files of those folders.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from citytwin.memory import DUCKDB
from cloud.sink.schema import SCHEMA as SINK_SCHEMA
from cloud.twin.folders import Entry, FolderTree, Signature
from cloud.twin.lake import ENVELOPE, ENVELOPE_SCHEMA, partition_problem, schema_problems

log = logging.getLogger(__name__)

_VERSION = 2
# What the sink's files say in their Parquet key-value metadata (``cloud.sink.schema.SCHEMA``).
_MARK = next(iter((SINK_SCHEMA.metadata or {}).items()))
# Reading every envelope column decodes every page; json_valid reads every body.
_DATA_CHECK = ("SELECT count(*) FILTER (WHERE body IS NOT NULL AND NOT json_valid(body)), "
               + ", ".join(f"count({name})" for name in ENVELOPE) + " FROM one_file")


def _data_problem(path: Path) -> str | None:
    """Why the rows of ``path`` cannot be read as the lake's; ``None`` when they can."""
    rows = pq.read_table(path, columns=list(ENVELOPE), partitioning=None).cast(ENVELOPE_SCHEMA)
    con = duckdb.connect(":memory:", config={"threads": 1, "enable_external_access": False, **DUCKDB})
    try:
        con.register("one_file", rows)
        row = con.execute(_DATA_CHECK).fetchone()
    finally:
        con.close()
    return f"{row[0]} bodies are not JSON" if row and row[0] else None


def judge(path: Path, data: bool = False) -> tuple[str | None, bool]:
    """Why ``path`` cannot join the lake (folder, footer, data), ``None`` when it can; and whether its data was read.

    The data is read when ``data`` is set or the footer does not carry the sink's mark.
    """
    problem = partition_problem(path)
    if problem:
        return problem, False
    try:
        schema = pq.read_schema(path)
        problems = schema_problems(schema)
        if problems:
            return "it does not fit the lake schema: " + "; ".join(problems), False
        if not data and (schema.metadata or {}).get(_MARK[0]) == _MARK[1]:
            return None, False
        return _data_problem(path), True
    except Exception as exc:  # pyarrow and DuckDB raise several types for damaged footers and pages
        return f"it cannot be read: {type(exc).__name__}: {exc}"[:500], True


def verdict_file(state_dir: Path, lake: Path) -> Path:
    """Where the verdicts on ``lake``'s files are kept: one file per lake under ``state_dir``."""
    digest = hashlib.sha256(str(lake.resolve()).encode()).hexdigest()[:16]
    return state_dir / "verdicts" / f"{digest}.json"


@dataclass
class Verdicts:
    """Verdicts by relative path and signature, loaded from and saved to ``path`` when one is given."""

    path: Path | None
    _known: dict[str, tuple[Signature, str | None, bool]] = field(default_factory=dict)  # problem, data read
    _loaded: bool = False
    _dirty: bool = False

    def _load(self) -> None:
        self._loaded = True
        if self.path is None:
            return
        try:
            data = json.loads(self.path.read_text())
            if data.get("version") == _VERSION:
                self._known = {name: ((int(s), int(m)), p, bool(d)) for name, (s, m, p, d) in data["files"].items()}
        except FileNotFoundError:
            pass
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("lake verdicts %s cannot be read (%s); judging the files again", self.path, exc)

    def get(self, name: str, signature: Signature) -> tuple[str | None, bool] | None:
        """(problem, data read) of file ``name`` with ``signature``; ``None`` if it was never judged so."""
        if not self._loaded:
            self._load()
        known = self._known.get(name)
        return known[1:] if known and known[0] == signature else None

    def put(self, name: str, signature: Signature, problem: str | None, data: bool) -> None:
        self._known[name] = (signature, problem, data)
        self._dirty = True

    def keep_only(self, names: set[str]) -> None:
        """Forget files no longer in the lake (retention, compaction)."""
        gone = set(self._known) - names
        for name in gone:
            del self._known[name]
        self._dirty = self._dirty or bool(gone)

    def forget(self, names: list[str]) -> None:
        """Forget these files, no longer in the lake."""
        if not self._loaded:
            self._load()
        for name in names:
            if self._known.pop(name, None) is not None:
                self._dirty = True

    def save(self) -> None:
        if not self._dirty or self.path is None:
            return
        self._dirty = False
        data = {"version": _VERSION, "files": {n: [s, m, p, d] for n, ((s, m), p, d) in self._known.items()}}
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(data))
            os.replace(tmp, self.path)  # readers see the old verdicts or the new ones, never half
        except OSError as exc:
            log.warning("lake verdicts cannot be saved to %s (%s); they are kept in memory", self.path, exc)
            tmp.unlink(missing_ok=True)


def _raw_file(name: str) -> bool:
    return name.endswith(".parquet") and not name.startswith(".")  # hidden names are files still being written


@dataclass
class _Hour:
    """One partition folder's files as last listed, and which of them are readable."""

    entries: tuple[Entry, ...]
    good: tuple[Path, ...]
    skipped: tuple[Path, ...]
    slot: tuple[date, str]
    listed: tuple[Entry, ...]  # the good ones' (name, size, mtime)


@dataclass
class LakeFiles:
    """Lists the lake's readable files: folders read again only when they change (``folders.FolderTree``), a verdict
    only for files never judged before."""

    root: Path
    verdicts: Verdicts = field(default_factory=lambda: Verdicts(None))
    # Each listed file's signature and whether it is readable: a warning once per file; forgotten with the file.
    _seen: dict[Path, tuple[Signature, bool]] = field(default_factory=dict)
    skipped: list[Path] = field(default_factory=list)
    _tree: FolderTree | None = None
    _hours: dict[str, _Hour] = field(default_factory=dict)  # by folder
    _last: list[Path] | None = None  # what ``list`` answered last, while nothing changed

    def _readable(self, path: Path, signature: Signature) -> bool:
        known = self._seen.get(path)
        if known and known[0] == signature:
            return known[1]
        name = str(path.relative_to(self.root))
        verdict = self.verdicts.get(name, signature)
        if verdict is None:
            verdict = judge(path)
            self.verdicts.put(name, signature, *verdict)
        problem = verdict[0]
        if problem:
            log.warning("skipping lake file %s: %s", path, problem)
        self._seen[path] = (signature, problem is None)
        return problem is None

    def recheck(self, files: list[Path]) -> list[Path]:
        """Read the data of those ``files`` whose data was never read; returns the ones found bad, now skipped."""
        bad = []
        for path in files:
            if not path.exists():  # removed since the listing (compaction, retention): nothing to judge
                continue
            signature, _ = self._seen[path]
            name = str(path.relative_to(self.root))
            if (self.verdicts.get(name, signature) or (None, False))[1]:
                continue
            problem, data = judge(path, data=True)
            self.verdicts.put(name, signature, problem, data)
            if problem:
                log.warning("skipping lake file %s: %s", path, problem)
                self._seen[path] = (signature, False)
                self._hours.pop(str(path.parent), None)  # its folder's verdicts are made again at the next ``list``
                self._last = None
                bad.append(path)
        self.verdicts.save()
        return bad

    def signature(self, path: Path) -> Signature:
        """The (size, modification time) ``path`` had at the last ``list``."""
        return self._seen[path][0]

    def hours(self, files: list[Path]) -> dict[tuple[date, str], tuple[tuple[str, int, int], ...]]:
        """Each partition (date, hour) of ``files`` (from the last ``list``) with its files' names, sizes, mtimes.

        For the last ``list``'s own answer, each partition's entry is the same object while its folder is unchanged.
        """
        if files is self._last:
            return {h.slot: h.listed for h in self._hours.values() if h.listed}
        out: dict[tuple[date, str], list[tuple[str, int, int]]] = {}
        for path in files:
            (size, mtime), _ = self._seen[path]
            out.setdefault(slot_of(path.parent), []).append((path.name, size, mtime))
        return {slot: tuple(listed) for slot, listed in out.items()}

    def list(self) -> list[Path]:
        """Readable ``*.parquet`` files under ``date=*/hour=*/``; hidden (temporary) names are never listed.

        While no folder changed, the answer is the same list as last time.
        """
        if self._tree is None:
            self._tree = FolderTree(self.root, (_prefix("date="), _prefix("hour=")), _raw_file)
        leaves, changed = self._tree.scan()
        if not changed and self._last is not None:
            return self._last
        hours: dict[str, _Hour] = {}
        for folder, entries in leaves.items():
            kept = self._hours.get(folder)
            hours[folder] = kept if kept is not None and kept.entries is entries else self._judge(folder, entries)
        first, before = self._last is None and not self._hours, self._hours
        self._hours = dict(sorted(hours.items()))
        good = [p for h in self._hours.values() for p in h.good]
        self.skipped = [p for h in self._hours.values() for p in h.skipped]
        if first:  # files removed while no twin ran
            self.verdicts.keep_only({str(p.relative_to(self.root)) for p in good + self.skipped})
        else:  # only the folders that changed can have lost files
            lost = _lost(before, self._hours)
            self.verdicts.forget([str(p.relative_to(self.root)) for p in lost])
            for path in lost:  # what this process knows of a file lasts as long as the file: compaction removes many
                self._seen.pop(path, None)
        self.verdicts.save()
        self._last = good
        return good

    def _judge(self, folder: str, entries: tuple[Entry, ...]) -> _Hour:
        good: list[Path] = []
        skipped: list[Path] = []
        listed: list[Entry] = []
        for name, size, mtime in entries:
            path = Path(folder, name)
            if self._readable(path, (size, mtime)):
                good.append(path)
                listed.append((name, size, mtime))
            else:
                skipped.append(path)
        return _Hour(entries, tuple(good), tuple(skipped), slot_of(Path(folder)), tuple(listed))


def _lost(before: dict[str, _Hour], now: dict[str, _Hour]) -> list[Path]:
    """The files that the folders changed between ``before`` and ``now`` no longer hold."""
    lost: list[Path] = []
    for folder, old in before.items():
        new = now.get(folder)
        if new is old:
            continue
        names = {name for name, _, _ in new.entries} if new is not None else set()
        lost.extend(p for p in (*old.good, *old.skipped) if p.name not in names)
    return lost


def _prefix(text: str) -> Callable[[str], bool]:
    return lambda name: name.startswith(text)


def slot_of(folder: Path) -> tuple[date, str]:
    """The (date, hour) of a partition folder; a folder that is no real date keeps its text (``judge`` skips its files)."""
    day = folder.parent.name.removeprefix("date=")
    try:
        return date.fromisoformat(day), folder.name.removeprefix("hour=")
    except ValueError:
        return date.min, folder.name.removeprefix("hour=")

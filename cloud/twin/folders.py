"""Partition folders read again only when they change, and datasets made from the fragments already known.

A twin refreshes every few seconds over a lake of a year of hourly
partitions; listing every file each time would cost more each hour. Adding,
renaming or removing a file changes its folder's modification time, and every
writer of the lake does one of those (the sink and the rollup maker write a
hidden temporary file and rename it into place; compaction, the reconciler and
retention remove files), so a folder whose modification time is unchanged
holds the files it held, with the sizes and times they had: ``FolderTree``
reads only the folders whose time moved, and a refresh costs one ``stat`` per
folder plus the folders that changed, the sink's late files into old hours
included. A folder modified less than ``RACY_NS`` before it was read may have
changed again within the same tick of the file system's clock, so it is read
again at every scan until it has been quiet that long.

``Fragments`` turns a listing into a pyarrow dataset from the fragments it
made before (one per file and signature), so a new file costs its own
fragment, not a new dataset over every file.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs

# Coarser than any file system's timestamps (FAT's are 2 s): a folder this quiet has no change hidden in its tick.
RACY_NS = 3_000_000_000

Signature = tuple[int, int]  # size, modification time in ns
Entry = tuple[str, int, int]  # file name, size, modification time in ns
Accept = Callable[[str], bool]


@dataclass(frozen=True)
class _Seen:
    mtime_ns: int
    quiet: bool  # modified long enough before it was read that no change can hide in its clock's tick
    names: tuple[str, ...]  # sub-folders (their paths, joined once), or, at the last level, files
    entries: tuple[Entry, ...] = ()  # the files with their signatures, at the last level


class FolderTree:
    """The files under ``root`` in folders ``len(levels)`` deep, each level's names accepted by its predicate.

    ``files`` accepts file names at the last level. ``scan`` returns the files of every folder by folder.
    """

    def __init__(self, root: Path, levels: Sequence[Accept], files: Accept) -> None:
        self.root = root
        self.levels, self.accept_file = tuple(levels), files
        self._seen: dict[str, _Seen] = {}

    def scan(self) -> tuple[dict[str, tuple[Entry, ...]], bool]:
        """Each leaf folder's files (name, size, mtime), and whether anything changed since the last scan."""
        now = time.time_ns()
        leaves: dict[str, tuple[Entry, ...]] = {}
        visited: set[str] = set()
        changed = False
        pending = [(str(self.root), 0)]
        while pending:
            folder, level = pending.pop()
            seen, fresh = self._folder(folder, level, now)
            if seen is None:
                continue
            visited.add(folder)
            changed = changed or fresh
            if level == len(self.levels):
                leaves[folder] = seen.entries
            else:
                pending.extend((path, level + 1) for path in seen.names)
        gone = set(self._seen) - visited
        for folder in gone:
            del self._seen[folder]
        return leaves, changed or bool(gone)

    def _folder(self, folder: str, level: int, now: int) -> tuple[_Seen | None, bool]:
        """What ``folder`` holds, read again only when its time moved or it was not quiet; and whether it changed."""
        try:
            mtime = os.stat(folder).st_mtime_ns
        except OSError:  # removed since its parent was read: retention
            return None, False
        seen = self._seen.get(folder)
        if seen is not None and seen.mtime_ns == mtime and seen.quiet:
            return seen, False
        try:
            fresh = self._read(folder, level, mtime, now)
        except OSError:
            return None, False
        self._seen[folder] = fresh
        return fresh, seen is None or (fresh.names, fresh.entries) != (seen.names, seen.entries)

    def _read(self, folder: str, level: int, mtime: int, now: int) -> _Seen:
        quiet = now - mtime >= RACY_NS
        if level < len(self.levels):
            with os.scandir(folder) as it:
                names = sorted(e.path for e in it if self.levels[level](e.name) and e.is_dir())
            return _Seen(mtime, quiet, tuple(names))
        entries = []
        with os.scandir(folder) as it:
            for e in it:
                if not self.accept_file(e.name):
                    continue
                try:
                    stat = e.stat()
                except FileNotFoundError:  # removed since the folder was read: compaction or retention
                    continue
                entries.append((e.name, stat.st_size, stat.st_mtime_ns))
        entries.sort()
        return _Seen(mtime, quiet, tuple(name for name, _, _ in entries), tuple(entries))


class Fragments:
    """Datasets over a folder's files with one schema and Hive partitioning, made from the fragments made before."""

    def __init__(self, root: Path, schema: pa.Schema, partitioning: ds.Partitioning) -> None:
        self.root, self.schema, self.partitioning = root, schema, partitioning
        self.format = ds.ParquetFileFormat()
        self.filesystem = pafs.LocalFileSystem()
        self._made: dict[tuple[str, Signature], ds.Fragment] = {}

    def dataset(self, files: Sequence[tuple[str, Signature]]) -> ds.Dataset:
        """The dataset of ``files`` (path, signature); no footer is read until a query's filters keep a file."""
        new = [path for path, sig in files if (path, sig) not in self._made]
        if new:
            by_path = {f.path: f for f in self._fragments(new)}
            self._made.update(((path, sig), by_path[path]) for path, sig in files if path in by_path)
        # Forget the files gone or changed; a file removed since it was listed is left out.
        self._made = {key: self._made[key] for key in files if key in self._made}
        return ds.FileSystemDataset(list(self._made.values()), self.schema, self.format, self.filesystem)

    def split(self, files: Sequence[tuple[str, Signature]], first: Callable[[str], bool]) -> tuple[ds.Dataset, ds.Dataset]:
        """Two datasets of ``files``: those whose path ``first`` keeps, and the others."""
        fragments = self.dataset(files).get_fragments()
        kept: list[ds.Fragment] = []
        rest: list[ds.Fragment] = []
        for fragment in fragments:
            (kept if first(fragment.path) else rest).append(fragment)
        return (ds.FileSystemDataset(kept, self.schema, self.format, self.filesystem),
                ds.FileSystemDataset(rest, self.schema, self.format, self.filesystem))

    def _fragments(self, paths: list[str]) -> list[ds.Fragment]:
        def made(kept: list[str]) -> list[ds.Fragment]:
            return list(ds.dataset(kept, schema=self.schema, format=self.format, filesystem=self.filesystem,
                                   partitioning=self.partitioning, partition_base_dir=str(self.root)).get_fragments())
        try:
            return made(paths)
        except FileNotFoundError:  # one was removed since the listing (compaction, retention): the others still count
            return made([p for p in paths if os.path.exists(p)])

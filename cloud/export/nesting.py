"""Suppression that survives subtraction: no published count minus the finer counts inside it is below k.

A series (one line, direction and class) is published per 15 minutes, hour
and day. Each bucket below ``k`` is held back, but an hour minus its three
published quarters is the fourth: the held-back count, recomputed. For a
published bucket, what subtraction reveals is its count minus the counts of
the largest published buckets inside it (the finer ones it is made of, or
theirs where those are held back): the count of the part of it that nothing
finer covers. That must be 0 or at least ``k``, else the bucket is held back
too. Working from the finest length up settles each bucket once, since a
bucket's remainder depends only on what lies inside it. Buckets nest (each
length divides the next, as the config requires), so this is the whole of
what subtraction can find.

Example:
    >>> from datetime import datetime, timezone
    >>> from cloud.export.aggregates import Crossing
    >>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> quarters = [Crossing("c", "l", "in", "car", t.replace(minute=m), 900, n) for m, n in ((0, 12), (15, 11), (30, 10))]
    >>> kept, held = nested(quarters + [Crossing("c", "l", "in", "car", t, 3600, 35)], 10)
    >>> [c.bucket_s for c in kept], held   # 35 - 33: the held-back quarter counted 2
    ([900, 900, 900], 1)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from cloud.twin.buckets import bucket_start


class Cell(Protocol):
    """What nesting reads of a published count (``cloud.export.aggregates.Crossing`` is one)."""

    @property
    def camera(self) -> str: ...
    @property
    def line(self) -> str: ...
    @property
    def direction(self) -> str: ...
    @property
    def object_class(self) -> str: ...
    @property
    def start(self) -> datetime: ...
    @property
    def bucket_s(self) -> int: ...
    @property
    def count(self) -> int: ...


Crossing = TypeVar("Crossing", bound=Cell)

Series = tuple[str, str, str, str]


def nested(kept: Sequence[Crossing], k: int) -> tuple[list[Crossing], int]:
    """``kept`` (already at or above ``k``) without the buckets whose uncovered remainder is above 0 and below ``k``."""
    by_series: dict[Series, dict[int, dict[datetime, Crossing]]] = defaultdict(lambda: defaultdict(dict))
    for c in kept:
        by_series[(c.camera, c.line, c.direction, c.object_class)][c.bucket_s][c.start] = c
    held: set[Crossing] = set()
    for levels in by_series.values():
        held |= _series(levels, k)
    return [c for c in kept if c not in held], len(held)


def _series(levels: dict[int, dict[datetime, Crossing]], k: int) -> set[Crossing]:
    held: set[Crossing] = set()
    # Per bucket of the length below: what the published buckets in it add up to (its count where it is published).
    visible: dict[datetime, int] = {}
    for bucket_s in sorted(levels):
        covered: dict[datetime, int] = defaultdict(int)
        for start, count in visible.items():
            covered[bucket_start(start, bucket_s)] += count
        visible = dict(covered)
        for start, cell in levels[bucket_s].items():
            if 0 < cell.count - covered.get(start, 0) < k:
                held.add(cell)
            else:
                visible[start] = cell.count
    return held

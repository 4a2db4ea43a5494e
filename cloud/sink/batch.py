"""Hold consumed records per partition until a size, a time or a planned boundary says write.

Records of one partition gather in a ``Chunk``; each chunk becomes one set of
lake files (one per hour) named after its offset range. A chunk is written
when the batch is full (records or bytes), when its oldest record has waited
``max_wait_s``, or when it reaches a planned boundary.

Planned boundaries make re-runs idempotent: after a crash or a rebalance the
sink resumes from the last committed offset, and files written after that
commit may already be in the lake. ``plan`` gives the batcher their ranges; a
chunk that starts inside such a range is *bound* to it: it ends exactly at the
range's last offset and takes the range's name, so the same files are written
again rather than overlapping ones. A bound chunk is never cut early by size
or time, and one still open at shutdown is dropped, not written (its files
are already in the lake and its offsets are not committed).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass
class Chunk:
    """Consecutive records of one partition that go into the same files."""

    partition: int
    born: float
    bound: tuple[int, int] | None = None
    offsets: list[int] = field(default_factory=list)
    values: list[bytes] = field(default_factory=list)
    kafka_ts: list[int] = field(default_factory=list)
    nbytes: int = 0
    sealed: bool = False

    @property
    def first(self) -> int:
        return self.offsets[0]

    @property
    def last(self) -> int:
        return self.offsets[-1]

    @property
    def name_range(self) -> tuple[int, int]:
        """The offset range the files are named after: the planned one, else the records'."""
        return self.bound if self.bound is not None else (self.first, self.last)

    def append(self, offset: int, value: bytes, kafka_ts: int) -> None:
        self.offsets.append(offset)
        self.values.append(value)
        self.kafka_ts.append(kafka_ts)
        self.nbytes += len(value)


class Batcher:
    """Per-partition chunks with size, time and planned-range boundaries."""

    def __init__(
        self, max_records: int, max_bytes: int, max_wait_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_records = max_records
        self.max_bytes = max_bytes
        self.max_wait_s = max_wait_s
        self.clock = clock
        self._open: dict[int, Chunk] = {}
        self._sealed: list[Chunk] = []
        self._plans: dict[int, deque[tuple[int, int]]] = {}

    def plan(self, partition: int, ranges: Iterable[tuple[int, int]]) -> None:
        """Offset ranges of ``partition`` that already have files; chunks will match them."""
        self._plans[partition] = deque(sorted(ranges))

    def add(self, partition: int, offset: int, value: bytes, kafka_ts: int) -> None:
        """Hold one record; records of a partition must come in offset order."""
        chunk = self._open.get(partition)
        plans = self._plans.get(partition)
        if chunk is not None:
            crossed_end = chunk.bound is not None and offset > chunk.bound[1]
            crossed_start = chunk.bound is None and plans is not None and len(plans) > 0 and plans[0][0] <= offset
            if crossed_end or crossed_start:
                self._seal(partition)
                chunk = None
        while plans and plans[0][1] < offset:
            plans.popleft()
        if chunk is None:
            chunk = Chunk(partition, self.clock())
            if plans and plans[0][0] <= offset:
                chunk.bound = plans.popleft()
            self._open[partition] = chunk
        chunk.append(offset, value, kafka_ts)
        if chunk.bound is not None and offset >= chunk.bound[1]:
            self._seal(partition)

    def _seal(self, partition: int) -> None:
        chunk = self._open.pop(partition)
        chunk.sealed = True
        self._sealed.append(chunk)

    def _writable(self) -> list[Chunk]:
        return self._sealed + [c for c in self._open.values() if c.bound is None]

    @property
    def held(self) -> int:
        """Records held, bound or not."""
        return sum(len(c.offsets) for c in self._sealed) + sum(len(c.offsets) for c in self._open.values())

    def due(self) -> bool:
        """Whether a write should happen now."""
        if self._sealed:
            return True
        chunks = self._writable()
        if not chunks:
            return False
        if sum(len(c.offsets) for c in chunks) >= self.max_records or sum(c.nbytes for c in chunks) >= self.max_bytes:
            return True
        return self.clock() - min(c.born for c in chunks) >= self.max_wait_s

    def take(self) -> list[Chunk]:
        """Remove and return every chunk that may be written now, in partition and offset order."""
        chunks = self._writable()
        self._sealed = []
        for chunk in chunks:
            if not chunk.sealed:
                del self._open[chunk.partition]
        return sorted(chunks, key=lambda c: (c.partition, c.first))

    def drop(self, partitions: Iterable[int]) -> int:
        """Forget everything held for ``partitions`` (revoked or lost); returns the records dropped."""
        gone = set(partitions)
        dropped = sum(len(c.offsets) for c in self._sealed if c.partition in gone)
        self._sealed = [c for c in self._sealed if c.partition not in gone]
        for partition in gone:
            chunk = self._open.pop(partition, None)
            dropped += len(chunk.offsets) if chunk else 0
            self._plans.pop(partition, None)
        return dropped

"""Where a node's next sequence number comes from.

Replays of a recorded file restart at 0, so a replay produces the same event
ids and deduplicates downstream. A live camera must never reuse an id after a
restart, so its numbers continue from blocks reserved on disk: the file
records the end of the block in use, and a restart (even after a crash)
begins after it, leaving at most one block of unused numbers. A node without
a reservation file (a first start, or a wiped disk) starts from the clock in
microseconds, so even then it cannot reuse an id an earlier life published.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def clock_start() -> int:
    """Microseconds since the epoch: above any number an earlier run could have reached at under 10^6 events/s."""
    return time.time_ns() // 1000


class SequenceBlocks:
    """Hands out increasing numbers, persisting a reservation every ``block`` numbers.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "node.seq"
        >>> s = SequenceBlocks(p, block=10, fresh_start=0); [s.next() for _ in range(3)]
        [0, 1, 2]
        >>> SequenceBlocks(p, block=10).next()
        10
    """

    def __init__(self, path: Path, block: int = 10_000, fresh_start: int | None = None) -> None:
        self.path = path
        self.block = block
        try:
            start = int(path.read_text().strip() or 0)
        except FileNotFoundError:
            start = clock_start() if fresh_start is None else fresh_start
        except ValueError as exc:
            raise RuntimeError(f"sequence file {path} is corrupt ({exc}); it must hold one integer") from exc
        self._next = start
        self._reserved = start
        self._reserve()

    def _reserve(self) -> None:
        self._reserved = self._next + self.block
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w") as fh:
            fh.write(f"{self._reserved}\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def next(self) -> int:
        if self._next >= self._reserved:
            self._reserve()
        value = self._next
        self._next += 1
        return value

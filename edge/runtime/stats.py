"""Per-stage latency and throughput of the edge loop."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np


class Timing:
    """Takes stage samples: ``stage`` times a block and ``add`` keeps what it took."""

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, (time.perf_counter() - start) * 1000.0)

    def add(self, name: str, ms: float) -> None:
        raise NotImplementedError


class FrameStages(Timing):
    """The stage samples of one frame, held until the frame is done and then given to a ``StageTimer`` together.

    A frame's stages run on two threads (see ``edge.runtime.handoff``); the
    timer hears of them only once the frame is finished, on the thread that
    finishes frames, so it is written and read on that thread alone and
    whoever watches finished frames (the benchmark) sees whole frames.
    """

    def __init__(self) -> None:
        self.samples: list[tuple[str, float]] = []

    def add(self, name: str, ms: float) -> None:
        self.samples.append((name, ms))

    def into(self, timer: StageTimer) -> None:
        """Give the samples to ``timer``, in the order they were taken."""
        for name, ms in self.samples:
            timer.add(name, ms)
        self.samples.clear()


class StageTimer(Timing):
    """Keeps the last ``window`` latencies of each stage, in milliseconds.

    Example:
        >>> t = StageTimer()
        >>> with t.stage("detect"):
        ...     pass
        >>> list(t.medians())
        ['detect']
    """

    def __init__(self, window: int = 1000) -> None:
        self.window = window
        self.on_sample: Callable[[str, float], None] | None = None  # also told of every sample (the node's metrics)
        self._samples: dict[str, deque[float]] = {}
        self.frames = 0
        self._started = time.monotonic()

    def add(self, name: str, ms: float) -> None:
        self._samples.setdefault(name, deque(maxlen=self.window)).append(ms)
        if self.on_sample is not None:
            self.on_sample(name, ms)

    def medians(self) -> dict[str, float]:
        return {name: float(np.median(s)) for name, s in self._samples.items() if s}

    def percentile(self, name: str, q: float) -> float:
        samples = self._samples.get(name)
        return float(np.percentile(samples, q)) if samples else 0.0

    def count(self, name: str) -> int:
        return len(self._samples.get(name, ()))

    def fps(self) -> float:
        elapsed = time.monotonic() - self._started
        return self.frames / elapsed if elapsed > 0 else 0.0

    def table(self) -> str:
        """A plain-text summary for ``--stats``."""
        lines = [f"{'stage':<12} {'runs':>6} {'p50 ms':>8} {'p95 ms':>8}"]
        for name in self._samples:
            lines.append(
                f"{name:<12} {self.count(name):>6} {self.percentile(name, 50):>8.2f} {self.percentile(name, 95):>8.2f}"
            )
        lines.append(f"frames {self.frames}, effective {self.fps():.1f} FPS")
        return "\n".join(lines)

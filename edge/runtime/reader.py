"""Decoding ahead of the edge loop: a thread reads and prepares frames into a short queue while the loop runs the network.

OpenCV's decoder and onnxruntime both release the GIL, so decoding the next
frame overlaps inference on the current one. At most ``ahead`` frames are
decoded or being decoded beyond the one the loop holds: the reader starts on
a frame only once the loop has taken an earlier one, so with ``ahead=1`` a
frame waits for at most the rest of the current frame, and a slow loop makes
the reader wait instead of buffering video (a live camera source keeps
dropping stale frames on its own). Each frame is handed to ``prepare`` on
the same thread as soon as it is decoded (the node makes the network's input
there), so that too is done by the time the loop takes it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

from edge.source.base import VideoSource
from edge.types import Frame

log = logging.getLogger(__name__)

T = TypeVar("T")

_POLL_S = 0.1  # how often a reader blocked on a full queue checks whether it should stop


@dataclass(frozen=True)
class Decoded:
    """A frame with when its decode began (perf counter), when it ended (wall clock) and how long it took."""

    frame: Frame
    begun: float
    decoded_at: float
    ms: float


@dataclass(frozen=True)
class _Failed:
    error: BaseException


_END = object()


def _timed(frames: Iterator[Frame]) -> Iterator[Decoded]:
    while True:
        begun = time.perf_counter()
        frame = next(frames, None)
        if frame is None:
            return
        yield Decoded(frame, begun, time.time(), (time.perf_counter() - begun) * 1000.0)


class FrameReader(Generic[T]):
    """The source's frames, decoded and prepared ``ahead`` frames in advance on a thread (``ahead=0``: in the caller's)."""

    def __init__(self, source: VideoSource, ahead: int, prepare: Callable[[Decoded], T]) -> None:
        self._frames = iter(source.frames())
        self._prepare = prepare
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._queue: queue.Queue[object] = queue.Queue()
        self._slots = threading.Semaphore(ahead)
        if ahead > 0:
            self._thread = threading.Thread(target=self._run, name=f"decode-{source.name}", daemon=True)
            self._thread.start()
        self._inline = (prepare(d) for d in _timed(self._frames)) if self._thread is None else None

    def _slot(self) -> bool:
        """Wait until the loop has room for one more frame; False once closed."""
        while not self._stop.is_set():
            if self._slots.acquire(timeout=_POLL_S):
                return True
        return False

    def _run(self) -> None:
        try:
            timed = _timed(self._frames)
            while self._slot():
                item = next(timed, None)
                self._queue.put(_END if item is None else self._prepare(item))
                if item is None:
                    return
        except BaseException as exc:  # handed to the loop, which raises it where the source was read before
            self._queue.put(_Failed(exc))
        finally:
            close = getattr(self._frames, "close", None)
            if close is not None:
                close()  # the generator belongs to this thread: release the capture here

    def ready(self) -> bool:
        """Whether a frame (or the end) is waiting, so ``next`` returns at once; never while decoding in the caller."""
        return self._thread is not None and not self._queue.empty()

    def next(self) -> T | None:
        """The next prepared frame, or None once the source has ended; re-raises what the source or ``prepare`` raised."""
        if self._inline is not None:
            return next(self._inline, None)
        item = self._queue.get()
        self._slots.release()
        if item is _END:
            self._queue.put(_END)  # a second call ends again instead of waiting forever
            return None
        if isinstance(item, _Failed):
            raise item.error
        return cast(T, item)

    def close(self) -> None:
        """Stop reading ahead and wait for the thread (the source itself is closed by its owner)."""
        self._stop.set()
        if self._thread is None:
            close = getattr(self._frames, "close", None)
            if close is not None:
                close()
        else:
            self._thread.join(timeout=5.0)
            if self._thread.is_alive():
                log.warning("decode thread %s still inside the source after 5 s; left to end with it", self._thread.name)

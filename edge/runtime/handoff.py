"""The back half of the edge loop on a second thread: frames handed over one at a time, worked on in order.

onnxruntime releases the GIL while the network runs, so postprocessing,
tracking, analytics and publishing one frame can overlap inference on the
next. At most one item waits between the two threads: a slow back half makes
the loop wait instead of piling up frames. What the worker raises is raised
again in the loop, at its next hand-off or when it closes; items handed over
after a failure are not worked on. Closing drains: every item handed over
before is worked on before ``close`` returns, so a node that stops never
loses a frame it has already run the network on.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Generic, TypeVar, cast

log = logging.getLogger(__name__)

T = TypeVar("T")

_END = object()


class Handoff(Generic[T]):
    """Runs ``work`` on each item ``put``, in order, on its own thread (``threaded=False``: in the caller, at ``put``).

    Example:
        >>> done = []
        >>> with Handoff(done.append, "example") as back:
        ...     for item in range(3):
        ...         back.put(item)
        >>> done
        [0, 1, 2]
    """

    def __init__(self, work: Callable[[T], None], name: str, threaded: bool = True) -> None:
        self._work = work
        self._failed: BaseException | None = None
        self._raised = False
        self._queue: queue.Queue[object] = queue.Queue(maxsize=1)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True) if threaded else None
        if self._thread is not None:
            self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not _END:
            if self._failed is not None:
                continue  # drained unworked, so a loop blocked on a full hand-off still gets to see the failure
            try:
                self._work(cast(T, item))
            except BaseException as exc:  # raised again in the loop, which owns the node's errors
                self._failed = exc

    def put(self, item: T) -> None:
        """Hand over ``item``, waiting while one is already waiting; raises what the worker raised."""
        self._raise()
        if self._thread is None:
            self._work(item)
        else:
            self._queue.put(item)

    def close(self) -> None:
        """Return once every item handed over has been worked on; raises what the worker raised."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(_END)
            self._thread.join()
        self._raise()

    def _raise(self) -> None:
        if self._failed is not None and not self._raised:
            self._raised = True
            raise self._failed

    def __enter__(self) -> Handoff[T]:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        if error is None:
            self.close()
            return
        try:  # the loop's own error wins; the worker's, if any, is only logged
            self.close()
        except BaseException as late:
            log.error("the back half of the loop also failed: %s", late, exc_info=late)

"""Handing memory a process has freed back to the system, after each burst of work of a long-running service.

The services' work comes in bursts: a rule evaluation, a cockpit refresh, a
compaction or rollup pass reads a lake hour, then frees what it read. The
allocators keep what was freed for the next burst: Arrow's pool (jemalloc or
mimalloc) its pages, the C library's ``malloc`` (which the system pool and
Python's larger objects use) the free chunks inside its heaps, which it
returns only from the very top of each heap, and DuckDB's allocator its
pages. A process's resident size then follows the largest burst it has run,
and the free holes between the chunks still in use, rather than what it
holds. ``release_freed`` hands them back: the pool's unused memory (``MemoryPool.release_unused``) and every free
page inside glibc's heaps (``malloc_trim(0)``, which also returns free pages
in the middle of a heap, not only at its top). Where the C library is not
glibc, only the pool's part is done.

DuckDB allocates through an allocator of its own, which keeps the pages a
query freed until they are purged: ``DUCKDB`` is the setting that starts its
background threads, which purge them within seconds. It is one switch for the
whole process: every connection sets it again as it opens, so every connection
the project opens carries it (``duckdb.connect(..., config={**DUCKDB, ...})``),
and closing any database turns it off, so ``release_freed`` turns it on again
(on a small connection of its own) and with that purges what is freed.

Example:
    >>> release_freed() >= 0
    True
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pyarrow as pa

log = logging.getLogger(__name__)


def _glibc_trim() -> Callable[[], int] | None:
    """``malloc_trim(0)`` of the process's C library when it is glibc; ``None`` elsewhere (musl, macOS)."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim
    except (OSError, AttributeError, TypeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: int(trim(0))


# Every DuckDB connection's share of the process's allocator settings: one without it turns the purging off again.
DUCKDB: dict[str, Any] = {"allocator_background_threads": True}

_TRIM = _glibc_trim()
_switch: Any = None  # the connection that turns DuckDB's purging on again; made on the first release that needs it
# One release at a time: two threads trimming the same heaps only wait on each other's locks.
_RELEASING = threading.Lock()


def release_freed() -> float:
    """Return freed memory to the system: Arrow's pool, glibc's heaps, DuckDB's pages; the seconds it took (0 when
    another thread's release was running)."""
    if not _RELEASING.acquire(blocking=False):
        return 0.0
    start = time.perf_counter()
    try:
        pool = pa.default_memory_pool()
        pool.release_unused()
        # The system pool's release is glibc's trim already; any other pool leaves glibc's heaps to trim here.
        if _TRIM is not None and pool.backend_name != "system":
            _TRIM()
        _purge_duckdb()
    finally:
        _RELEASING.release()
    took = time.perf_counter() - start
    log.debug("freed memory handed back in %.3f s", took)
    return took


def _purge_duckdb() -> None:
    """Turn DuckDB's purging threads on again, which purges what its queries freed; nothing if it was never loaded."""
    global _switch
    duckdb = sys.modules.get("duckdb")
    if duckdb is None:  # a process that never queried holds no DuckDB memory
        return
    if _switch is None:
        _switch = duckdb.connect(":memory:", config={**DUCKDB, "threads": 1, "enable_external_access": False})
    _switch.execute("SET allocator_background_threads = true")

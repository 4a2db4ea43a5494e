"""How far the node's clock is from true time, as the kernel's NTP discipline knows it.

Every event is stamped with this host's clock, and the bridge refuses events
stamped too far ahead or behind its own; a node whose clock drifts loses its
events, so it reports the drift in ``node_health`` and the cockpit shows it.
The numbers come from Linux ``adjtimex(2)`` called read-only (``modes = 0``,
no privileges needed): the kernel's current offset estimate and whether it
considers the clock synchronised (as chrony, ntpd or systemd-timesyncd leave
it). Where the call does not exist (not Linux) both are unknown.

Example:
    >>> state = kernel_clock()
    >>> state.offset_ms is None or abs(state.offset_ms) < 3_600_000
    True
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys
from dataclasses import dataclass
from functools import cache
from typing import Any

from contract.ids import MAX_CLOCK_OFFSET_MS

log = logging.getLogger(__name__)

TIME_ERROR = 5  # adjtimex's return value for "clock not synchronised"
STA_UNSYNC = 0x0040
STA_NANO = 0x2000  # ``offset`` is in nanoseconds rather than microseconds


class _Timeval(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long)]


class _Timex(ctypes.Structure):
    """``struct timex`` of <sys/timex.h>, with the kernel's trailing padding."""

    _fields_ = [
        ("modes", ctypes.c_uint),
        ("offset", ctypes.c_long),
        ("freq", ctypes.c_long),
        ("maxerror", ctypes.c_long),
        ("esterror", ctypes.c_long),
        ("status", ctypes.c_int),
        ("constant", ctypes.c_long),
        ("precision", ctypes.c_long),
        ("tolerance", ctypes.c_long),
        ("time", _Timeval),
        ("tick", ctypes.c_long),
        ("ppsfreq", ctypes.c_long),
        ("jitter", ctypes.c_long),
        ("shift", ctypes.c_int),
        ("stabil", ctypes.c_long),
        ("jitcnt", ctypes.c_long),
        ("calcnt", ctypes.c_long),
        ("errcnt", ctypes.c_long),
        ("stbcnt", ctypes.c_long),
        ("tai", ctypes.c_int),
        ("_padding", ctypes.c_int * 11),
    ]


@dataclass(frozen=True)
class ClockState:
    """The kernel's view of the system clock; ``None`` where it has none."""

    offset_ms: float | None
    synced: bool | None


UNKNOWN = ClockState(None, None)


@cache
def _adjtimex() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        call = libc.adjtimex
    except (OSError, AttributeError):
        return None
    call.argtypes = [ctypes.POINTER(_Timex)]
    call.restype = ctypes.c_int
    return call


def kernel_clock() -> ClockState:
    """The clock's offset from its NTP source (ms) and whether it is synchronised, read without changing anything."""
    call = _adjtimex()
    if call is None:
        return UNKNOWN
    timex = _Timex(modes=0)
    state = call(ctypes.byref(timex))
    if state < 0:
        log.debug("adjtimex failed (errno %d); clock offset unknown", ctypes.get_errno())
        return UNKNOWN
    offset_ms = timex.offset / (1e6 if timex.status & STA_NANO else 1e3)
    synced = state != TIME_ERROR and not timex.status & STA_UNSYNC
    if abs(offset_ms) > MAX_CLOCK_OFFSET_MS:  # the kernel never slews this far; a value like this means nothing
        return ClockState(None, synced)
    return ClockState(round(offset_ms, 3), synced)

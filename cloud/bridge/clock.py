"""When an event may be from: not ahead of the bridge's clock, not older than the lake keeps.

One event stamped in 2099 would stay the "newest" value of its zone for
decades (the live state is the value with the latest ``ts``), and one from
year 1 or 9999 means a broken or hostile clock. The bridge takes events whose
times lie within ``[now - retention.lake_days, now + cloud.bridge.max_clock_ahead_s]``
and dead-letters the rest with error ``clock``. The margin ahead allows for
nodes whose clocks run a little fast; each node reports its clock offset in
``node_health`` so an operator can see which one drifts.

Example:
    >>> from datetime import datetime, timezone
    >>> window = ClockWindow(ahead_s=300, behind_s=86_400, now=lambda: 1_767_225_600.0)  # 2026-01-01
    >>> window.refuse([("ts", datetime(2099, 1, 1, tzinfo=timezone.utc))])
    "ts 2099-01-01T00:00:00+00:00 is 26663 days ahead of the bridge's clock (at most 300 s allowed); check the node's clock"
    >>> window.refuse([("ts", datetime(2026, 1, 1, tzinfo=timezone.utc))]) is None
    True
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from citytwin.deployment import Deployment

# Body fields that are times of the same scene; they obey the same window as ``ts``.
BODY_TIMES = ("entered", "interval_start")
DAY_S = 86_400.0


def event_times(event: Any) -> list[tuple[str, datetime]]:
    """Every time an event (pydantic or canonical) carries, with its field name."""
    times = [("ts", event.ts)]
    for name in BODY_TIMES:
        value = getattr(event.body, name, None)
        if value is not None:
            times.append((name, value))
    return times


def _span(seconds: float) -> str:
    return f"{seconds / DAY_S:.0f} days" if seconds >= DAY_S else f"{seconds:.0f} s"


@dataclass(frozen=True)
class ClockWindow:
    """The span of times the bridge accepts, relative to its own clock."""

    ahead_s: float
    behind_s: float
    now: Callable[[], float] = field(default=time.time)

    @classmethod
    def of(cls, cfg: Deployment) -> ClockWindow:
        return cls(cfg.cloud.bridge.max_clock_ahead_s, cfg.retention.lake_days * DAY_S)

    def refuse(self, times: Sequence[tuple[str, datetime]], ahead_only: bool = False) -> str | None:
        """Why a (field, time) is outside the window (``ahead_only``: only the future counts); None if all lie inside."""
        now = self.now()
        for name, when in times:
            at = when.timestamp()
            if at > now + self.ahead_s:
                return (f"{name} {when.isoformat()} is {_span(at - now)} ahead of the bridge's clock "
                        f"(at most {self.ahead_s:.0f} s allowed); check the node's clock")
            if not ahead_only and at < now - self.behind_s:
                return (f"{name} {when.isoformat()} is {_span(now - at)} old, older than the lake keeps "
                        f"(retention.lake_days = {self.behind_s / DAY_S:.0f}); a replay must stamp recent times")
        return None

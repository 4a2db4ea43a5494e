"""The one meter base: counters since start, their change per report interval, and when the next report is due.

A service's meter is a dataclass of counters that extends ``Meter`` and
writes its own report ``line``; ``interval`` gives it what each counter did
since the previous line and how long that was, and starts the next interval.

Example:
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Hits(Meter):
    ...     hits: int = 0
    >>> meter = Hits(interval_s=10.0)
    >>> meter.hits += 3
    >>> changes, span = meter.interval("hits")
    >>> changes, span > 0, meter.due(time.monotonic())
    ({'hits': 3}, True, False)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class Meter:
    """Report every ``interval_s`` seconds; subclasses add their counters as fields."""

    interval_s: float
    _since: float = field(default_factory=time.monotonic, repr=False)
    _marks: dict[str, float] = field(default_factory=dict, repr=False)

    def due(self, now: float) -> bool:
        """Whether a report is due at ``now`` (``time.monotonic()``)."""
        return now - self._since >= self.interval_s

    def interval(self, *counters: str) -> tuple[dict[str, float], float]:
        """Each counter's change since the previous interval, and that interval's seconds; starts the next one."""
        now = time.monotonic()
        span = max(now - self._since, 1e-9)
        values = {name: getattr(self, name) for name in counters}
        changes = {name: value - self._marks.get(name, 0) for name, value in values.items()}
        self._marks.update(values)
        self._since = now
        return changes, span

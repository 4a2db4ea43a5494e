"""Time buckets aligned to the Unix epoch, as DuckDB's ``time_bucket`` draws them for second-based widths.

Example:
    >>> from datetime import datetime, timezone
    >>> bucket_start(datetime(2026, 1, 1, 8, 59, 59, tzinfo=timezone.utc), 3600).isoformat()
    '2026-01-01T08:00:00+00:00'
"""

from __future__ import annotations

from datetime import datetime, timezone


def bucket_start(at: datetime, bucket_s: int) -> datetime:
    """The start of the epoch-aligned bucket holding ``at``."""
    epoch = int(at.timestamp())
    return datetime.fromtimestamp(epoch - epoch % bucket_s, tz=timezone.utc)

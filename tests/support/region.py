"""One count cell through a regional sink, for the tests of the federation link over each kind of Kafka security."""

from __future__ import annotations

from datetime import datetime, timezone

from cloud.federation.cells import CountCell
from cloud.federation.regional import RegionalSink

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def count_cell(value: int = 7) -> CountCell:
    """A cell above k=5, as a city exports it."""
    return CountCell(city="ghent", camera="cam-1", kind="zone", subject="plaza", bucket_start=START, bucket_s=900, value=value, k=5)


def drain(sink: RegionalSink, polls: int = 20) -> int:
    """Poll ``sink`` until it writes something (or ``polls`` half-second polls pass), close it; the cells written."""
    written = 0
    for _ in range(polls):
        written += sink.step(500)
        if written:
            break
    sink.close()
    return written

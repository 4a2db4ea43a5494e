"""Where a resuming sink must put its batch boundaries: the ranges of files written after the last commit.

The sink commits offsets only after a batch's files are durable, so a crash
between the two leaves files whose offsets will be consumed again. Their
ranges, found from the file names, become the planned boundaries of the
re-run (see ``cloud.sink.batch``), which then rewrites exactly those files.
"""

from __future__ import annotations

import logging
from pathlib import Path

from cloud.sink.layout import lake_files

log = logging.getLogger(__name__)


def planned_ranges(root: Path, topic: str, partition: int, resume_at: int) -> list[tuple[int, int]]:
    """Ranges of ``partition``'s files that start at or after ``resume_at``, without overlaps, in order."""
    found = sorted({(r.first, r.last) for _, r in lake_files(root, topic, partition) if r.first >= resume_at})
    ranges: list[tuple[int, int]] = []
    for first, last in found:
        if ranges and first <= ranges[-1][1]:
            log.warning(
                "lake files of %s partition %d overlap (%d-%d and %d-%d); the twin deduplicates their rows",
                topic, partition, *ranges[-1], first, last,
            )
            continue
        ranges.append((first, last))
    if ranges:
        log.info(
            "%s partition %d: %d batch(es) after offset %d are already in the lake; rewriting them in place",
            topic, partition, len(ranges), resume_at,
        )
    return ranges

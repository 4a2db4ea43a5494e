"""The aggregates exporters send, read from the twin's raw views and filtered on ``date`` to the days exported.

Crossings per line, direction and class, and peak occupancy per zone (of the
exported classes only), per bucket; node health per bucket. Only closed buckets inside the window are
read. k-suppression is applied here, through the one function federation
uses, so that no exporter can forget it; then ``cloud.export.nesting``
holds back the counts that subtracting the finer buckets inside them would
turn into a count below k.

Example:
    >>> from datetime import datetime, timezone
    >>> Crossing("cam-1", "gate", "in", "person", datetime(2026, 1, 1, tzinfo=timezone.utc), 900, 12).key
    'cam-1/line/gate/in/person/900'
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cloud.export.nesting import nested
from cloud.federation.suppression import suppress
from cloud.twin.twin import Twin

log = logging.getLogger(__name__)

# Only the deployment's own site: events of another site in the lake are not this site's to publish under its name.
_DAYS = "site = $site AND date BETWEEN CAST($start AS DATE) AND CAST($end AS DATE)"
_CROSSINGS = ("SELECT camera, line, direction, object_class, time_bucket(to_seconds($bucket), ts) AS b, count(*) "
              "FROM crossings WHERE ts >= $start AND ts < $end AND " + _DAYS + " AND list_contains($classes, object_class) "
              "GROUP BY ALL ORDER BY b")
# A zone's peak counts the exported classes only (from ``by_class``): a class the deployment keeps in the city is
# in no number that leaves it. A value that does not read as a number counts as none; no class at all, no row.
_OF_CLASSES = ("list_sum([coalesce(TRY_CAST(json_extract_string(by_class, '$.\"' || c || '\"') AS INTEGER), 0) "
               "FOR c IN $classes])")
_PEAKS = ("SELECT camera, zone, time_bucket(to_seconds($bucket), ts) AS b, max(" + _OF_CLASSES + ") FROM occupancy "
          "WHERE ts >= $start AND ts < $end AND " + _DAYS + " AND by_class IS NOT NULL GROUP BY ALL ORDER BY b")
_HEALTH = ("SELECT node, camera, time_bucket(to_seconds($bucket), ts) AS b, max(ts), avg(fps), avg(cpu_percent), "
           "max(rss_mb), max(temperature_c), max(dropped_frames), max(spool_depth) FROM health "
           "WHERE ts >= $start AND ts < $end AND " + _DAYS + " GROUP BY ALL ORDER BY b")


@dataclass(frozen=True)
class Crossing:
    """Crossings of one line in one direction by one class in one bucket."""

    camera: str
    line: str
    direction: str
    object_class: str
    start: datetime
    bucket_s: int
    count: int

    @property
    def key(self) -> str:
        return f"{self.camera}/line/{self.line}/{self.direction}/{self.object_class}/{self.bucket_s}"


@dataclass(frozen=True)
class Peak:
    """The most objects inside one zone at once in one bucket."""

    camera: str
    zone: str
    start: datetime
    bucket_s: int
    peak: int

    @property
    def key(self) -> str:
        return f"{self.camera}/zone/{self.zone}/{self.bucket_s}"


@dataclass(frozen=True)
class Health:
    """One edge node's health in one bucket: means of rates, maxima of levels."""

    node: str
    camera: str
    start: datetime
    bucket_s: int
    last_seen: datetime
    values: dict[str, float]


@dataclass
class Aggregates:
    """Everything one export may send, and how many values k held back."""

    crossings: list[Crossing] = field(default_factory=list)
    peaks: list[Peak] = field(default_factory=list)
    health: list[Health] = field(default_factory=list)
    suppressed: int = 0


HEALTH_VALUES = ("fps", "cpu_percent", "rss_mb", "temperature_c", "dropped_frames", "spool_depth")


def _params(twin: Twin, start: datetime, end: datetime, bucket_s: int, **more: Any) -> dict[str, Any]:
    return {"bucket": float(bucket_s), "start": start, "end": end, "site": twin.site.id, **more}


def read(twin: Twin, start: datetime, ends: dict[int, datetime], classes: Sequence[str], k: int,
         health_bucket_s: int | None = None) -> Aggregates:
    """The aggregates of [start, ends[b]) for each bucket length b, suppressed below ``k``."""
    out = Aggregates()
    for bucket_s, end in sorted(ends.items()):
        if end <= start:
            continue
        rows = twin.read(_CROSSINGS, _params(twin, start, end, bucket_s, classes=list(classes))).rows
        crossings = [Crossing(c, line, d, cls, b, bucket_s, int(n)) for c, line, d, cls, b, n in rows]
        peaks = [Peak(c, z, b, bucket_s, int(p)) for c, z, b, p in
                 twin.read(_PEAKS, _params(twin, start, end, bucket_s, classes=list(classes))).rows]
        kept_c, held_c = suppress(crossings, k, lambda x: x.count)
        kept_p, held_p = suppress(peaks, k, lambda x: x.peak)
        out.crossings += kept_c
        out.peaks += kept_p
        out.suppressed += held_c + held_p
    # A peak is a maximum, which subtraction cannot split; counts are sums, so an hour minus its quarters can be.
    out.crossings, differenced = nested(out.crossings, k)
    out.suppressed += differenced
    if health_bucket_s is not None and ends.get(health_bucket_s, start) > start:
        out.health = _health(twin, start, ends[health_bucket_s], health_bucket_s)
    return out


def _health(twin: Twin, start: datetime, end: datetime, bucket_s: int) -> list[Health]:
    rows = twin.read(_HEALTH, _params(twin, start, end, bucket_s)).rows
    return [Health(node, camera, b, bucket_s, last, {n: float(v) for n, v in zip(HEALTH_VALUES, vals) if v is not None})
            for node, camera, b, last, *vals in rows]


def bucket_end(start: datetime, bucket_s: int) -> datetime:
    return start + timedelta(seconds=bucket_s)

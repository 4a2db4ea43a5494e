"""The rules' behaviour: each reads the twin and reports one value per subject.

A rule is built from its config (``cloud.rules.settings``, pure data keyed by
``type``) through ``cloud.rules.registry``. ``read`` runs one read-only query;
thresholds and hysteresis come from the config and are applied by
``AlertManager``, so rules stay small and stateless.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from cloud.rules.alerts import Reading, Thresholds
from cloud.rules.settings import (
    BorderCrossing,
    CrossingCount,
    LineFlow,
    LongDwell,
    NodeDegraded,
    NodeOffline,
    PortArrival,
    RuleSettings,
    WrongWay,
    ZoneCapacity,
)
from cloud.twin.daily import NODES, ZONES
from cloud.twin.twin import Twin

C = TypeVar("C", bound=RuleSettings)


class Rule(Generic[C]):
    """A rule over its config: the thresholds its readings are judged by, and one reading per subject."""

    def __init__(self, config: C) -> None:
        self.config = config

    @property
    def name(self) -> str:
        return self.config.name

    def thresholds(self) -> Thresholds:
        """Fire above zero, clear at or below it; rules measured in other units say otherwise."""
        return self._th(0, 0)

    def read(self, twin: Twin, now: datetime) -> list[Reading]:
        """One reading per subject at ``now``."""
        raise NotImplementedError

    def _th(self, threshold: float, clear_below: float) -> Thresholds:
        c = self.config
        return Thresholds(threshold, clear_below, c.for_s, c.clear_s, c.renotify_s, c.severity, c.action)


# Every rule reads only the hours of its window (``Twin.hours_between``) or, for a newest value, the hours back to
# the one that holds each subject's (``Twin.hours_since``): the lake is partitioned by date and hour. A newest value or
# a maximum reads a ``_copies`` view (``cloud.twin.views.COPIES``): copies of an event cannot change it, and the
# query then holds a group per subject rather than every event key of the open hour. Counts read the deduplicated views.


def _rows(twin: Twin, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    return twin.read(sql, params).rows


class ZoneCapacityRule(Rule[ZoneCapacity]):
    """Occupancy minus capacity of every zone that has one."""

    def thresholds(self) -> Thresholds:
        return self._th(0, -self.config.margin)

    def read(self, twin: Twin, now: datetime) -> list[Reading]:
        rows = _rows(twin, "SELECT o.camera, o.zone, o.total, z.capacity FROM (SELECT site, camera, zone, "
                     "arg_max(total, ts) AS total FROM occupancy_copies WHERE ts <= $now AND total IS NOT NULL "
                     f"AND {twin.hours_since(ZONES, now)} GROUP BY ALL) o "
                     "JOIN zones z USING (site, camera, zone) WHERE z.capacity IS NOT NULL",
                     {"now": now})
        return [Reading(self.name, f"{cam}/{zone}", total - cap, now, {"zone": zone, "camera": cam, "occupancy": total, "capacity": cap,
                        "query": "newest occupancy per zone JOIN zones"}) for cam, zone, total, cap in rows]


class LineFlowRule(Rule[LineFlow]):
    """Crossings in the window beyond the maximum, or short of the minimum."""

    def read(self, twin: Twin, now: datetime) -> list[Reading]:
        c = self.config
        # The window's whole minutes come from the minute rollups, only its edges and newest minutes from raw.
        n = sum(int(count) for _site, _camera, line, _direction, count in twin.flow(now - timedelta(seconds=c.window_s), now)
                if line == c.line)
        value = (n - c.above) if c.above is not None else ((c.below or 0) - n)
        return [Reading(self.name, c.line, value, now, {"line": c.line, "crossings": n, "window_s": c.window_s})]


CC = TypeVar("CC", bound=CrossingCount)


class _CrossingCountRule(Rule[CC]):
    """Matching crossings since the previous evaluation, per line; each batch is one alert."""

    def _where(self, now: datetime) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def _lines(self, twin: Twin) -> list[str]:
        raise NotImplementedError

    def read(self, twin: Twin, now: datetime) -> list[Reading]:
        where, params = self._where(now)
        start = now - timedelta(seconds=self.config.period_s)
        sql = (f"SELECT line, count(*), list(DISTINCT object_class) FILTER (WHERE object_class IS NOT NULL) FROM crossings "
               f"WHERE ts > $start AND ts <= $now AND {twin.hours_between(start, now)} AND {where} GROUP BY line")
        rows = _rows(twin, sql, {**params, "start": start, "now": now})
        seen = {line: (n, classes) for line, n, classes in rows}
        return [Reading(self.name, line, float(seen.get(line, (0, []))[0]), now,
                        {"line": line, "classes": sorted(seen.get(line, (0, []))[1] or [])}) for line in self._lines(twin)]


class WrongWayRule(_CrossingCountRule[WrongWay]):
    """Crossings against the direction of every one-way line."""

    def _where(self, now: datetime) -> tuple[str, dict[str, Any]]:
        return "direction = 'out' AND line IN (SELECT line FROM lines WHERE one_way)", {}

    def _lines(self, twin: Twin) -> list[str]:
        return [r[0] for r in _rows(twin, "SELECT line FROM lines WHERE one_way", {})]


class PortArrivalRule(_CrossingCountRule[PortArrival]):
    """Boats crossing the harbour line in the arriving direction."""

    def _where(self, now: datetime) -> tuple[str, dict[str, Any]]:
        return "line = $line AND direction = $dir AND object_class = 'boat'", {"line": self.config.line, "dir": self.config.direction}

    def _lines(self, twin: Twin) -> list[str]:
        return [self.config.line]


class BorderCrossingRule(_CrossingCountRule[BorderCrossing]):
    """Vehicles crossing the border line outside its opening hours (UTC)."""

    def _where(self, now: datetime) -> tuple[str, dict[str, Any]]:
        c = self.config
        open_hours = "(CAST(ts AT TIME ZONE 'UTC' AS TIME) >= $opens AND CAST(ts AT TIME ZONE 'UTC' AS TIME) < $closes)"
        return (f"line = $line AND list_contains($vehicles, object_class) AND NOT {open_hours}",
                {"line": c.line, "opens": c.opens, "closes": c.closes, "vehicles": c.vehicles})

    def _lines(self, twin: Twin) -> list[str]:
        return [self.config.line]


class NodeOfflineRule(Rule[NodeOffline]):
    """Seconds since each node's last health report."""

    def thresholds(self) -> Thresholds:
        return self._th(self.config.silent_s, self.config.silent_s)

    def read(self, twin: Twin, now: datetime) -> list[Reading]:
        rows = _rows(twin, f"SELECT node, max(ts) FROM health_copies WHERE ts <= $now AND {twin.around_newest(NODES, now)} "
                     "GROUP BY node", {"now": now})
        return [Reading(self.name, node, (now - last).total_seconds(), now, {"node": node, "last_seen": last.isoformat()})
                for node, last in rows]


class NodeDegradedRule(Rule[NodeDegraded]):
    """How far each node's newest frame rate is below the floor."""

    def read(self, twin: Twin, now: datetime) -> list[Reading]:
        floor = self.config.fps_floor
        rows = _rows(twin, "SELECT node, arg_max(fps, ts) FROM health_copies WHERE ts <= $now AND fps IS NOT NULL "
                     f"AND {twin.hours_since(NODES, now)} GROUP BY node", {"now": now})
        return [Reading(self.name, node, floor - fps, now, {"node": node, "fps": fps, "floor": floor}) for node, fps in rows]


class LongDwellRule(Rule[LongDwell]):
    """The longest stay in the zone that ended in the period."""

    def thresholds(self) -> Thresholds:
        return self._th(self.config.max_s, self.config.max_s)

    def read(self, twin: Twin, now: datetime) -> list[Reading]:
        c = self.config
        start = now - timedelta(seconds=c.period_s)
        rows = _rows(twin, "SELECT coalesce(max(seconds), 0) FROM dwell_copies WHERE zone = $zone AND ts > $start AND ts <= $now AND "
                     + twin.hours_between(start, now), {"zone": c.zone, "start": start, "now": now})
        return [Reading(self.name, c.zone, float(rows[0][0]), now, {"zone": c.zone, "longest_s": float(rows[0][0])})]

"""The rule plugins: each reads the twin and reports one value per subject.

Every rule has a key, a typed config (``type: Literal[KEY]``) and a ``read``
that runs one read-only query. Thresholds and hysteresis live in the config
and are applied by ``AlertManager``, so rules stay small and stateless.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cloud.rules.alerts import Reading, Severity, Thresholds
from cloud.twin.daily import NODES, ZONES

if TYPE_CHECKING:
    from cloud.twin.twin import Twin


class RuleBase(BaseModel):
    """What every rule has: a name, a severity, hysteresis timings and a suggested action."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(title="Name", description="unique rule name, shown on alerts")
    severity: Severity = Field("warning", title="Severity", description="info, warning or critical")
    for_s: float = Field(0.0, ge=0, title="Hold time", description="seconds the condition must hold before the alert fires")
    clear_s: float = Field(0.0, ge=0, title="Clear time", description="seconds the condition must be gone before the alert clears")
    renotify_s: float = Field(300.0, gt=0, title="Re-notify", description="seconds between reminders of an unacknowledged alert")
    action: str = Field("", title="Suggested action", description="template, e.g. 'dispatch steward to {zone}'")

    def thresholds(self) -> Thresholds:
        raise NotImplementedError

    def read(self, twin: Twin, now: datetime) -> list[Reading]:
        """One reading per subject at ``now``."""
        raise NotImplementedError

    def _th(self, threshold: float, clear_below: float) -> Thresholds:
        return Thresholds(threshold, clear_below, self.for_s, self.clear_s, self.renotify_s, self.severity, self.action)


# Every windowed rule reads only the days of its window: the lake is partitioned by date.
_DAYS = "date BETWEEN CAST($start AS DATE) AND CAST($now AS DATE)"


def _rows(twin: Twin, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    return twin.read(sql, params).rows


class ZoneCapacity(RuleBase):
    """A zone holds more objects than its configured capacity."""

    type: Literal["zone_capacity"] = "zone_capacity"
    margin: int = Field(1, ge=0, title="Clear margin", description="clears once occupancy is this far below capacity")

    def thresholds(self) -> Thresholds:
        return self._th(0, -self.margin)

    def read(self, twin: Twin, now: datetime) -> list[Reading]:
        rows = _rows(twin, "SELECT o.camera, o.zone, o.total, z.capacity FROM (SELECT site, camera, zone, "
                     "arg_max(total, ts) AS total FROM occupancy WHERE ts <= $now AND total IS NOT NULL "
                     "AND date BETWEEN $since AND CAST($now AS DATE) GROUP BY ALL) o "
                     "JOIN zones z USING (site, camera, zone) WHERE z.capacity IS NOT NULL",
                     {"now": now, "since": twin.since(ZONES, now)})
        return [Reading(self.name, f"{cam}/{zone}", total - cap, now, {"zone": zone, "camera": cam, "occupancy": total, "capacity": cap,
                        "query": "newest occupancy per zone JOIN zones"}) for cam, zone, total, cap in rows]


class LineFlow(RuleBase):
    """Crossings of a line in a sliding window above a maximum or below a minimum."""

    type: Literal["line_flow"] = "line_flow"
    line: str = Field(title="Line", description="counting line id")
    window_s: float = Field(900.0, gt=0, title="Window", description="seconds of crossings counted")
    above: int | None = Field(None, ge=0, title="Maximum", description="alert when the window holds more crossings than this")
    below: int | None = Field(None, ge=0, title="Minimum", description="alert when the window holds fewer crossings than this")

    def thresholds(self) -> Thresholds:
        return self._th(0, 0)

    def read(self, twin: Twin, now: datetime) -> list[Reading]:
        rows = _rows(twin, "SELECT count(*) FROM crossings WHERE line = $line AND ts > $start AND ts <= $now AND " + _DAYS,
                     {"line": self.line, "start": now - timedelta(seconds=self.window_s), "now": now})
        n = int(rows[0][0])
        value = (n - self.above) if self.above is not None else ((self.below or 0) - n)
        return [Reading(self.name, self.line, value, now, {"line": self.line, "crossings": n, "window_s": self.window_s})]


class _CrossingCount(RuleBase):
    """Counts matching crossings since the previous evaluation; each batch is one alert."""

    period_s: float = Field(60.0, gt=0, title="Period", description="seconds of crossings looked at per evaluation")

    def thresholds(self) -> Thresholds:
        return self._th(0, 0)

    def _where(self, now: datetime) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def read(self, twin: Twin, now: datetime) -> list[Reading]:
        where, params = self._where(now)
        sql = (f"SELECT line, count(*), list(DISTINCT object_class) FILTER (WHERE object_class IS NOT NULL) FROM crossings "
               f"WHERE ts > $start AND ts <= $now AND {_DAYS} AND {where} GROUP BY line")
        rows = _rows(twin, sql, {**params, "start": now - timedelta(seconds=self.period_s), "now": now})
        seen = {line: (n, classes) for line, n, classes in rows}
        return [Reading(self.name, line, float(seen.get(line, (0, []))[0]), now,
                        {"line": line, "classes": sorted(seen.get(line, (0, []))[1] or [])}) for line in self._lines(twin)]

    def _lines(self, twin: Twin) -> list[str]:
        raise NotImplementedError


class WrongWay(_CrossingCount):
    """A crossing against the direction of a one-way line."""

    type: Literal["wrong_way"] = "wrong_way"

    def _where(self, now: datetime) -> tuple[str, dict[str, Any]]:
        return "direction = 'out' AND line IN (SELECT line FROM lines WHERE one_way)", {}

    def _lines(self, twin: Twin) -> list[str]:
        return [r[0] for r in _rows(twin, "SELECT line FROM lines WHERE one_way", {})]


class PortArrival(_CrossingCount):
    """A boat crosses the harbour-entrance line."""

    type: Literal["port_arrival"] = "port_arrival"
    line: str = Field(title="Harbour line", description="line id at the harbour entrance")
    direction: Literal["in", "out"] = Field("in", title="Direction", description="direction that means arriving")

    def _where(self, now: datetime) -> tuple[str, dict[str, Any]]:
        return "line = $line AND direction = $dir AND object_class = 'boat'", {"line": self.line, "dir": self.direction}

    def _lines(self, twin: Twin) -> list[str]:
        return [self.line]


class BorderCrossing(_CrossingCount):
    """A vehicle crosses a border-control line outside its opening hours (UTC)."""

    type: Literal["border_crossing"] = "border_crossing"
    line: str = Field(title="Border line", description="line id at the border control")
    opens: time = Field(title="Opens", description="opening time, UTC")
    closes: time = Field(title="Closes", description="closing time, UTC")
    vehicles: list[str] = Field(default_factory=lambda: ["car", "truck", "bus", "motorcycle"], title="Vehicle classes", description="classes that count as vehicles")

    def _where(self, now: datetime) -> tuple[str, dict[str, Any]]:
        open_hours = "(CAST(ts AT TIME ZONE 'UTC' AS TIME) >= $opens AND CAST(ts AT TIME ZONE 'UTC' AS TIME) < $closes)"
        return (f"line = $line AND list_contains($vehicles, object_class) AND NOT {open_hours}",
                {"line": self.line, "opens": self.opens, "closes": self.closes, "vehicles": self.vehicles})

    def _lines(self, twin: Twin) -> list[str]:
        return [self.line]


class NodeOffline(RuleBase):
    """No health report from a node for ``silent_s`` seconds."""

    type: Literal["node_offline"] = "node_offline"
    silent_s: float = Field(60.0, gt=0, title="Silence", description="seconds without a health report that mean offline")

    def thresholds(self) -> Thresholds:
        return self._th(self.silent_s, self.silent_s)

    def read(self, twin: Twin, now: datetime) -> list[Reading]:
        rows = _rows(twin, "SELECT node, max(ts) FROM health WHERE ts <= $now AND date BETWEEN $since AND CAST($now AS DATE) "
                     "GROUP BY node", {"now": now, "since": twin.since(NODES, now)})
        return [Reading(self.name, node, (now - last).total_seconds(), now, {"node": node, "last_seen": last.isoformat()})
                for node, last in rows]


class NodeDegraded(RuleBase):
    """A node's reported frame rate is below the floor."""

    type: Literal["node_degraded"] = "node_degraded"
    fps_floor: float = Field(5.0, gt=0, title="FPS floor", description="frames per second below which a node is degraded")

    def thresholds(self) -> Thresholds:
        return self._th(0, 0)

    def read(self, twin: Twin, now: datetime) -> list[Reading]:
        rows = _rows(twin, "SELECT node, arg_max(fps, ts) FROM health WHERE ts <= $now AND fps IS NOT NULL "
                     "AND date BETWEEN $since AND CAST($now AS DATE) GROUP BY node", {"now": now, "since": twin.since(NODES, now)})
        return [Reading(self.name, node, self.fps_floor - fps, now, {"node": node, "fps": fps, "floor": self.fps_floor}) for node, fps in rows]


class LongDwell(RuleBase):
    """Someone stayed in a zone longer than ``max_s``."""

    type: Literal["dwell"] = "dwell"
    zone: str = Field(title="Zone", description="zone id")
    max_s: float = Field(gt=0, title="Longest stay", description="seconds in the zone that raise the alert")
    period_s: float = Field(60.0, gt=0, title="Period", description="seconds of finished stays looked at per evaluation")

    def thresholds(self) -> Thresholds:
        return self._th(self.max_s, self.max_s)

    def read(self, twin: Twin, now: datetime) -> list[Reading]:
        rows = _rows(twin, "SELECT coalesce(max(seconds), 0) FROM dwell WHERE zone = $zone AND ts > $start AND ts <= $now AND " + _DAYS,
                     {"zone": self.zone, "start": now - timedelta(seconds=self.period_s), "now": now})
        return [Reading(self.name, self.zone, float(rows[0][0]), now, {"zone": self.zone, "longest_s": float(rows[0][0])})]

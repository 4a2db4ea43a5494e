"""Where events are made: analytics results of one frame become typed events."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from contract.model import Event
from edge.events.factory import EventFactory

if TYPE_CHECKING:
    from edge.analytics.counts import IntervalCount
    from edge.analytics.heatmap import GridSpec
    from edge.analytics.turns import Gate
    from edge.analytics.scene import SceneUpdate


def _gate(gate: Gate) -> dict[str, Any]:
    return {"kind": gate.kind, "id": gate.id, "direction": gate.direction}


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


class EventEmitter:
    """Turns ``SceneUpdate``s into events; zone occupancy is sent only when it changes."""

    def __init__(self, factory: EventFactory, labels: list[str], grid: GridSpec | None = None) -> None:
        """``grid``: where the heatmap's cells lie; None for a camera without a calibration (heatmap null)."""
        self.factory = factory
        self.labels = labels
        self.grid = grid
        self._occupancy: dict[str, dict[str, int]] = {}

    def _by_class(self, counts: dict[int, int]) -> dict[str, int]:
        return {self.labels[c]: n for c, n in sorted(counts.items())}

    def frame(self, update: SceneUpdate, ts: datetime) -> list[Event]:
        events: list[Event] = []
        for line_id, crossings in update.crossings.items():
            for c in crossings:
                body: dict[str, Any] = {
                    "line": line_id,
                    "direction": c.direction,
                    "object_class": self.labels[c.class_id],
                    "track_id": c.track_id,
                }
                events.append(self.factory.make("line_crossing", ts, body))
        for zone_id, zone in update.zones.items():
            for stay in zone.exited:
                body = {
                    "zone": zone_id,
                    "object_class": self.labels[stay.class_id],
                    "track_id": stay.track_id,
                    "entered": _utc(stay.entered),
                    "seconds": round(max(stay.seconds, 0.0), 3),
                }
                events.append(self.factory.make("dwell", ts, body))
            occupancy = self._by_class(zone.occupancy)
            if self._occupancy.get(zone_id) != occupancy:
                self._occupancy[zone_id] = occupancy
                body = {"zone": zone_id, "total": zone.total, "by_class": occupancy}
                events.append(self.factory.make("zone_occupancy", ts, body))
        if update.interval is not None:
            events.append(self.interval(update.interval, ts))
        return events

    def interval(self, counted: IntervalCount, ts: datetime) -> Event:
        body = {
            "interval_start": _utc(counted.start),
            "interval_s": counted.length_s,
            "by_class": self._by_class(counted.by_class),
            "lines": [
                {"line": line_id, "inbound": self._by_class(t.inbound), "outbound": self._by_class(t.outbound)}
                for line_id, t in counted.lines.items()
            ],
            "turns": [
                {"origin": _gate(origin), "destination": _gate(destination), "object_class": self.labels[cid], "trips": n}
                for (origin, destination, cid), n in counted.turns.items()
            ],
            "queues": [{"zone": zone, "mean": round(mean, 2), "peak": peak} for zone, (mean, peak) in counted.queues.items()],
            "speeds": [
                {"line": line, "direction": direction, "object_class": self.labels[cid], "samples": n,
                 "mean_kmh": round(mean, 2), "p85_kmh": round(p85, 2)}
                for (line, direction, cid), (n, mean, p85) in counted.speeds.items()
            ],
            "heatmap": self._heatmap(counted),
        }
        return self.factory.make("count", ts, body)

    def _heatmap(self, counted: IntervalCount) -> dict[str, Any] | None:
        if self.grid is None:
            return None
        lon, lat = self.grid.origin
        cells = [{"east": east, "north": north, "objects": n} for (east, north), n in counted.heatmap.items()]
        return {"cell_m": self.grid.cell_m, "origin": {"lon": round(lon, 7), "lat": round(lat, 7)}, "cells": cells}

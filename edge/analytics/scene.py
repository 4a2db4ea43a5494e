"""All analytics of one camera: its counting lines, its zones and its interval counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from contract.geo import GroundFit
from contract.site import LineSpec, ZoneSpec
from edge.analytics.counts import IntervalCount, IntervalCounter
from edge.analytics.geometry import Anchor
from edge.analytics.heatmap import Cell, HeatGrid
from edge.analytics.lines import Crossing, LineCounter
from edge.analytics.queues import QueueMeter
from edge.analytics.speeds import SpeedMeter, SpeedSample
from edge.analytics.turns import Trip, TurnCounter
from edge.analytics.zones import PolygonZone, ZoneFrame
from edge.types import Tracks


@dataclass(frozen=True)
class SceneUpdate:
    """What one frame changed, by line and zone id."""

    crossings: dict[str, list[Crossing]]
    zones: dict[str, ZoneFrame]
    interval: IntervalCount | None
    trips: list[Trip] = field(default_factory=list)  # origin-destination trips that ended on this frame
    queues: dict[str, int] = field(default_factory=dict)  # objects inside each zone moving slower than the queue speed
    speeds: list[SpeedSample] = field(default_factory=list)  # ground speeds of this frame's crossings (calibrated only)
    cells: dict[Cell, list[int]] = field(default_factory=dict)  # track ids per ground cell (calibrated only)


class Scene:
    """Feeds each frame's tracks to every line, zone and the interval counter."""

    def __init__(
        self,
        lines: Sequence[LineSpec],
        zones: Sequence[ZoneSpec],
        *,
        anchor: Anchor = "bottom_center",
        count_interval_s: float = 60.0,
        forget_after: int = 90,
        queue_speed_px_s: float = 10.0,
        ground: GroundFit | None = None,
        heatmap_cell_m: float = 5.0,
    ) -> None:
        """``ground``: the camera's calibration, without which there are no speeds and no heatmap."""
        self.lines = {spec.id: LineCounter(spec.points, anchor=anchor, forget_after=forget_after) for spec in lines}
        self.zones = {spec.id: PolygonZone(spec.polygon, anchor=anchor, forget_after=forget_after) for spec in zones}
        self.counter = IntervalCounter(count_interval_s, line_ids=list(self.lines))
        self.turns = TurnCounter(forget_after)
        self.queues = QueueMeter(queue_speed_px_s, anchor=anchor)
        self.speeds = SpeedMeter(ground) if ground is not None else None
        self.heat = HeatGrid(ground, heatmap_cell_m) if ground is not None else None

    def update(self, tracks: Tracks, frame_index: int, timestamp: float) -> SceneUpdate:
        """``timestamp`` is the frame's capture time in seconds (UTC epoch)."""
        crossings = {line_id: line.trigger(tracks, frame_index) for line_id, line in self.lines.items()}
        zones = {zone_id: zone.update(tracks, frame_index, timestamp) for zone_id, zone in self.zones.items()}
        trips = self.turns.update(crossings, zones, tracks, frame_index)
        queues = self.queues.update(tracks, zones, timestamp)
        speeds = self.speeds.update(tracks, crossings, timestamp) if self.speeds is not None else []
        cells = self.heat.update(tracks) if self.heat is not None else {}
        interval = self.counter.update(tracks, timestamp, crossings, trips, queues, speeds, cells)
        return SceneUpdate(crossings, zones, interval, trips, queues, speeds, cells)

    def without_ground(self) -> None:
        """Stop measuring speeds and the heatmap (the calibration does not fit the picture)."""
        self.speeds = self.heat = None

    def flush(self) -> IntervalCount | None:
        """Close the open counting interval at the end of the stream, with the trips still under way."""
        self.counter.add_trips(self.turns.flush())
        return self.counter.flush()

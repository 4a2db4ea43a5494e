"""One camera's flows for the screen's Flows panel, from its count events: top turns, queues, speeds, the heatmap.

Read from the twin's count views (``cloud/twin/countviews.py``), deduplicated
like every view, over the count events stamped in the 15 minutes up to the
instant asked for (now, or the scrubbed instant). Nodes that send none of
these, intervals from before nodes sent them, and uncalibrated cameras (no
speeds, no heatmap) simply add nothing.

Speeds of several intervals are combined weighted by their samples: the mean
is exact, the 85th percentile is the samples-weighted mean of the intervals'
(exact when the window holds one interval). The heatmap is the grid of the
newest interval that has one, each cell summing the objects of every interval
of the window laid on that same grid (so a cell counts object-intervals).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cloud.cockpit.errors import NotFound
from cloud.cockpit.jsonsafe import records
from cloud.cockpit.live import FLOW_WINDOW
from cloud.twin.twin import Twin
from contract.bodies import Gate, TurnTotals
from contract.ids import IDENT_PATTERN
from contract.vocab import OBJECT_CLASSES

TOP_TURNS = 10
MAX_SPEEDS = 256  # (line, direction, class) rows of one answer
MAX_CELLS = 4096  # heatmap cells of one answer, the most objects first

_WINDOW = ("camera = $camera AND ts > $start AND ts <= $at "
           "AND date BETWEEN CAST($start AS DATE) AND CAST($at AS DATE)")


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Turn(TurnTotals):
    """An origin-destination pair of the contract, its trips summed over the window's intervals."""

    trips: int = Field(description="trips from origin to destination that ended in the window")


class Queue(_Answer):
    zone: str = Field(description="the zone's id")
    mean_now: float | None = Field(description="mean slow objects per frame in the newest interval")
    peak_now: int | None = Field(description="most slow objects on one frame of the newest interval")
    mean: float | None = Field(description="mean of the intervals' means over the window")
    peak: int | None = Field(description="most slow objects on one frame over the window")
    as_of: datetime = Field(description="capture time of the newest interval")


class Speed(_Answer):
    line: str = Field(description="the counting line's id")
    direction: str = Field(description="the side crossed to, 'in' or 'out'")
    object_class: str = Field(description="detector label")
    samples: int = Field(description="crossings whose ground speed was measured in the window")
    mean_kmh: float | None = Field(description="mean ground speed at the crossing, km/h; null where it overflows")
    p85_kmh: float | None = Field(description="85th percentile, km/h: the intervals' weighted by their samples")


class HeatOrigin(_Answer):
    lon: float = Field(description="degrees east, WGS84")
    lat: float = Field(description="degrees north, WGS84")


class HeatCell(_Answer):
    east: int = Field(description="cells east of the origin (negative: west)")
    north: int = Field(description="cells north of the origin (negative: south)")
    objects: int = Field(description="objects in the cell, summed over the window's intervals")


class Heatmap(_Answer):
    cell_m: float = Field(description="side of a square ground cell, metres")
    origin: HeatOrigin = Field(description="corner of cell (0, 0)")
    intervals: int = Field(description="count intervals of the window with objects on this grid")
    cells: list[HeatCell] = Field(description=f"cells with objects, at most {MAX_CELLS}, the most objects first")


class CameraFlows(_Answer):
    camera: str = Field(description="the camera asked for")
    at: datetime = Field(description="the end of the window")
    window_min: int = Field(description="length of the window, minutes")
    trips: int = Field(description="every trip of the window, all origin-destination pairs")
    pairs: int = Field(description="origin-destination pairs with trips in the window")
    turns: list[Turn] = Field(description=f"the {TOP_TURNS} pairs with the most trips, most first")
    queues: list[Queue] = Field(description="each zone with queue figures in the window, by zone")
    speeds: list[Speed] = Field(description=f"per line, direction and class, at most {MAX_SPEEDS}; none uncalibrated")
    heatmap: Heatmap | None = Field(description="the window's occupancy grid; null without one (an uncalibrated camera)")


def _gate_sql(end: str) -> str:
    """SQL keeping the rows whose ``end`` (origin or destination) is a gate of the contract."""
    return (f"{end}_kind IN ('line', 'zone') AND regexp_full_match({end}, $ident) "
            f"AND coalesce({end}_direction, 'in') IN ('in', 'out')")


# A turn is counted only when all of it reads as the contract's, and it has trips.
_COMPLETE = (f"{_gate_sql('origin')} AND {_gate_sql('destination')} "
             "AND list_contains($classes, object_class) AND trips > 0")


def _turns(twin: Twin, params: dict[str, Any]) -> list[dict[str, Any]]:
    result = twin.read(
        "SELECT origin_kind, origin, origin_direction, destination_kind, destination, destination_direction, "
        "object_class, sum(trips)::BIGINT AS trips, count(*) OVER () AS pairs, "
        "sum(sum(trips)) OVER ()::BIGINT AS all_trips FROM turns "
        f"WHERE {_WINDOW} AND {_COMPLETE} GROUP BY 1, 2, 3, 4, 5, 6, 7 "
        f"ORDER BY trips DESC, origin, destination, object_class LIMIT {TOP_TURNS}",
        {**params, "ident": IDENT_PATTERN, "classes": list(OBJECT_CLASSES)},
    )
    return records(result.columns, result.rows)


def _queues(twin: Twin, params: dict[str, Any]) -> list[dict[str, Any]]:
    result = twin.read(
        "SELECT zone, arg_max(mean, ts) AS mean_now, arg_max(peak, ts) AS peak_now, avg(mean) AS mean, "
        f"max(peak) AS peak, max(ts) AS as_of FROM queues WHERE {_WINDOW} AND zone IS NOT NULL "
        "GROUP BY zone ORDER BY zone",
        params,
    )
    return records(result.columns, result.rows)


def _speeds(twin: Twin, params: dict[str, Any]) -> list[Speed]:
    result = twin.read(
        "SELECT line, direction, object_class, sum(samples)::BIGINT AS samples, "
        "sum(mean_kmh * samples) / sum(samples) AS mean_kmh, sum(p85_kmh * samples) / sum(samples) AS p85_kmh "
        f"FROM speeds WHERE {_WINDOW} AND line IS NOT NULL AND direction IS NOT NULL AND object_class IS NOT NULL "
        "AND samples > 0 AND mean_kmh IS NOT NULL AND p85_kmh IS NOT NULL "
        f"GROUP BY ALL ORDER BY line, direction, object_class LIMIT {MAX_SPEEDS}",
        params,
    )
    return [Speed(**row) for row in records(result.columns, result.rows)]


def _heatmap(twin: Twin, params: dict[str, Any]) -> Heatmap | None:
    cells = f"{_WINDOW} AND east IS NOT NULL AND north IS NOT NULL AND objects > 0"
    grids = twin.read(
        "SELECT cell_m, origin_lon, origin_lat, count(DISTINCT event_id) AS intervals FROM heatmap "
        f"WHERE {cells} AND cell_m IS NOT NULL AND origin_lon IS NOT NULL AND origin_lat IS NOT NULL "
        "GROUP BY ALL ORDER BY max(ts) DESC, cell_m LIMIT 1",
        params,
    ).rows
    if not grids:
        return None
    cell_m, lon, lat, intervals = grids[0]
    result = twin.read(
        "SELECT east, north, sum(objects)::BIGINT AS objects FROM heatmap "
        f"WHERE {cells} AND cell_m = $cell_m AND origin_lon = $lon AND origin_lat = $lat "
        f"GROUP BY ALL ORDER BY objects DESC, north, east LIMIT {MAX_CELLS}",
        {**params, "cell_m": cell_m, "lon": lon, "lat": lat},
    )
    return Heatmap(cell_m=cell_m, origin=HeatOrigin(lon=lon, lat=lat), intervals=intervals,
                   cells=[HeatCell(**row) for row in records(result.columns, result.rows)])


def _gate(row: dict[str, Any], end: str) -> Gate:
    return Gate(kind=row[f"{end}_kind"], id=row[end], direction=row[f"{end}_direction"])


def _turn(row: dict[str, Any]) -> Turn:
    return Turn(origin=_gate(row, "origin"), destination=_gate(row, "destination"), object_class=row["object_class"],
                trips=row["trips"])


def camera_flows(twin: Twin, camera: str, at: datetime) -> CameraFlows:
    """``camera``'s turns, queues, speeds and heatmap in the window ending at ``at``; ``NotFound`` if not configured."""
    if camera not in {c.id for c in twin.cameras}:
        raise NotFound(f"camera {ascii(camera)} is not in the deployment; GET /api/map lists the cameras")
    start = at - FLOW_WINDOW
    params = {"camera": camera, "start": start, "at": at}
    turns = _turns(twin, params)
    return CameraFlows(
        camera=camera, at=at, window_min=int(FLOW_WINDOW.total_seconds() // 60),
        trips=turns[0]["all_trips"] if turns else 0, pairs=turns[0]["pairs"] if turns else 0,
        turns=[_turn(t) for t in turns],
        queues=[Queue(**q) for q in _queues(twin, params)],
        speeds=_speeds(twin, params),
        heatmap=_heatmap(twin, params),
    )

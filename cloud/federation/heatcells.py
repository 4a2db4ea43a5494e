"""Heatmap cells for the region: objects per ground cell and bucket, placed by the cell's centre in WGS84.

A node's heatmap (``contract.bodies.Heatmap``) numbers its cells east and
north of its calibration's origin; the region knows no calibration, so each
cell is placed here by its centre, rounded to ``POSITION_DECIMALS``, with its
side ``cell_m``. A cell's value is the sum over the bucket of each
interval's distinct objects in it (object-intervals: one person standing in
a cell for three intervals counts three). An interval belongs to the bucket
its start falls in. Cells of two grids of one camera (a calibration that
changed) whose centres round alike are summed into one.

k is applied to the cell's busiest interval, not to the sum: the sum of one
person standing still for k intervals is k, while the busiest interval's
count is the fewest distinct objects the cell is known to have held. A cell
leaves only when that is at least k (and so is its sum).

Rows that do not read as the contract's (a cell size outside its bounds, an
index past ``MAX_HEATMAP_INDEX``, an origin off the globe) are left out,
never fatal: the twin reads bodies leniently, the export must not.

Example:
    >>> centre(10.0, (3.72, 51.05), 0, 0)
    (51.050045, 3.720072)
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from cloud.federation.countcell import POSITION_DECIMALS
from cloud.twin.twin import Twin
from contract.geo import TangentPlane
from contract.ids import MAX_HEATMAP_CELL_M, MAX_HEATMAP_INDEX, MIN_HEATMAP_CELL_M

# Count events are partitioned by their ts, which is at or after the interval's start: one more day is read.
_HEATMAP = (
    "SELECT camera, cell_m, origin_lon, origin_lat, east, north, time_bucket(to_seconds($bucket), interval_start) AS b, "
    "sum(objects)::BIGINT, max(objects) FROM heatmap WHERE interval_start >= $start AND interval_start < $end "
    "AND date BETWEEN CAST($start AS DATE) AND CAST($end AS DATE) + 1 AND objects > 0 "
    f"AND cell_m BETWEEN {MIN_HEATMAP_CELL_M} AND {MAX_HEATMAP_CELL_M} "
    f"AND abs(east) <= {MAX_HEATMAP_INDEX} AND abs(north) <= {MAX_HEATMAP_INDEX} "
    "AND origin_lon BETWEEN -180 AND 180 AND origin_lat BETWEEN -90 AND 90 GROUP BY ALL"
)

Place = tuple[str, float, float, float, datetime]  # camera, cell_m, lat, lon, bucket start
Measured = tuple[dict[str, Any], int]  # a cell's fields, and the count k is applied to


def centre(cell_m: float, origin: tuple[float, float], east: int, north: int) -> tuple[float, float] | None:
    """The rounded (lat, lon) of the centre of cell (east, north) of a grid at ``origin`` (lon, lat); None off the globe."""
    lon, lat = TangentPlane(origin).to_lonlat(((east + 0.5) * cell_m, (north + 0.5) * cell_m))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return round(lat, POSITION_DECIMALS), round(lon, POSITION_DECIMALS)


def heatmap_cells(twin: Twin, params: dict[str, Any]) -> list[Measured]:
    """The heatmap cells of the export's window (``$bucket``, ``$start``, ``$end``) with their busiest interval, before k."""
    sums: dict[Place, int] = defaultdict(int)
    peaks: dict[Place, int] = defaultdict(int)
    for camera, cell_m, origin_lon, origin_lat, east, north, b, objects, peak in twin.read(_HEATMAP, params).rows:
        at = centre(float(cell_m), (float(origin_lon), float(origin_lat)), int(east), int(north))
        if at is not None:
            place = (camera, float(cell_m), *at, b)
            sums[place] += int(objects)
            peaks[place] = max(peaks[place], int(peak))
    return [({"camera": camera, "kind": "heatmap", "cell_m": cell_m, "lat": lat, "lon": lon, "bucket_start": b, "value": n},
             peaks[(camera, cell_m, lat, lon, b)]) for (camera, cell_m, lat, lon, b), n in sums.items()]

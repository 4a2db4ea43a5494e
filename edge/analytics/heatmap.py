"""A coarse occupancy heatmap: which ground cells each object stood in, from the camera's calibration.

The ground in view is cut into squares of ``cell_m`` metres, laid east and
north from the calibration's ground origin (its points' centroid, so the
grid stays put as long as the calibration does). A track's box's bottom
centre is projected to the ground on each frame; a point at or above the
horizon, or farther than the contract's index bound, falls in no cell. Only
the number of distinct objects per cell and interval leaves the node
(``IntervalCounter``), and cells are never finer than ``MIN_HEATMAP_CELL_M``:
a place rather than a position. Out of the city it goes only through the
federation link (``cloud.federation.heatcells``), summed per bucket, placed
by each cell's rounded centre, and held back below k through
``cloud.federation.suppression.suppress``; no exporter reads it. A camera without a calibration
has no ground scale, so no cell size could be promised: it reports no
heatmap (null) rather than one in pixels.

Example:
    >>> from contract.geo import fit_homography
    >>> fit = fit_homography([(0, 0), (100, 0), (100, 100), (0, 100)],  # 100 px square = about 11.1 m square
    ...                      [(13.4, 52.5001), (13.4001634, 52.5001), (13.4001634, 52.5), (13.4, 52.5)])
    >>> grid = HeatGrid(fit, cell_m=5.0)
    >>> grid.update(Tracks([[45, 10, 55, 50], [0, 60, 10, 99]], [0.9, 0.8], [0, 0], [1, 2]))
    {(0, 0): [1], (-1, -2): [2]}
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from contract.geo import CalibrationError, GroundFit
from contract.ids import MAX_HEATMAP_CELL_M, MAX_HEATMAP_INDEX, MIN_HEATMAP_CELL_M
from edge.analytics.geometry import anchor_points
from edge.types import Tracks

Cell = tuple[int, int]  # (east, north) in cells from the grid's origin


@dataclass(frozen=True)
class GridSpec:
    """Where a heatmap's cells lie: their side in metres and the WGS84 corner of cell (0, 0)."""

    cell_m: float
    origin: tuple[float, float]  # lon, lat


class HeatGrid:
    """The ground cell of each track on a frame; stateless between frames."""

    def __init__(self, ground: GroundFit, cell_m: float) -> None:
        if not MIN_HEATMAP_CELL_M <= cell_m <= MAX_HEATMAP_CELL_M:
            raise ValueError(f"expected a cell of {MIN_HEATMAP_CELL_M:g} to {MAX_HEATMAP_CELL_M:g} m, got {cell_m}")
        self.ground = ground
        self.spec = GridSpec(cell_m, ground.plane.origin)

    def update(self, tracks: Tracks) -> dict[Cell, list[int]]:
        """The track ids in each cell on this frame."""
        cells: dict[Cell, list[int]] = {}
        for tid, point in zip(tracks.track_id.tolist(), anchor_points(tracks.xyxy, "bottom_center").tolist()):
            cell = self.cell((point[0], point[1]))
            if cell is not None:
                cells.setdefault(cell, []).append(tid)
        return cells

    def cell(self, pixel: tuple[float, float]) -> Cell | None:
        """The cell under an image point, or None where it shows no ground or lies beyond the grid's bound."""
        try:
            ((east_m, north_m),) = self.ground.image_to_metres([pixel])
        except CalibrationError:  # at or above the horizon
            return None
        east, north = math.floor(east_m / self.spec.cell_m), math.floor(north_m / self.spec.cell_m)
        if max(abs(east), abs(north)) > MAX_HEATMAP_INDEX:
            return None
        return east, north

"""The ground heatmap on generated tracks: distinct objects per cell and interval, coarse, bounded, uncalibrated none."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from pydantic import ValidationError

from citytwin.deployment import load
from contract.ids import MAX_HEATMAP_CELLS, MIN_HEATMAP_CELL_M
from contract.model import parse_event
from edge.analytics.heatmap import HeatGrid
from edge.analytics.scene import Scene
from edge.events.emit import EventEmitter
from edge.events.factory import EventFactory
from edge.runtime.settings import EdgeSettings
from tests.edge.analytics.helpers import DEMO_SITE, at, flat_ground, to_image

FPS = 10.0


def _cell_centre(cell: tuple[int, int], cell_m: float = 5.0) -> tuple[float, float]:
    ground = flat_ground()
    return to_image(ground, (cell[0] + 0.5) * cell_m, (cell[1] + 0.5) * cell_m)


def test_objects_fall_in_the_cell_under_their_feet() -> None:
    grid = HeatGrid(flat_ground(), 5.0)  # 10 px a metre: a cell is 50 px, cell (0, 0) east and north of (500, 500)
    tracks = at((1, 510, 490), (2, 560, 490), (3, 490, 510), (4, *_cell_centre((-7, 3))))
    assert grid.update(tracks) == {(0, 0): [1], (1, 0): [2], (-1, -1): [3], (-7, 3): [4]}


def test_an_interval_counts_distinct_objects_per_cell() -> None:
    scene = Scene([], [], ground=flat_ground(), count_interval_s=60.0)
    for frame in range(200):  # 20 s: one stands in (0, 0), one walks east from (0, 0) through (3, 0), a third joins
        people = [(1, *_cell_centre((0, 0))), (2, 500 + frame, 480)]
        people += [(3, *_cell_centre((0, 0)))] if frame >= 100 else []
        scene.update(at(*people), frame, frame / FPS)
    closed = scene.flush()
    assert closed is not None
    assert closed.heatmap == {(0, 0): 3, (1, 0): 1, (2, 0): 1, (3, 0): 1}


def test_the_event_carries_the_grid_and_its_cells() -> None:
    scene = Scene([], [], ground=flat_ground(), count_interval_s=60.0, heatmap_cell_m=10.0)
    for frame in range(20):
        scene.update(at((1, 520, 480), (2, 380, 620)), frame, frame / FPS)
    closed = scene.flush()
    assert closed is not None and scene.heat is not None
    emitter = EventEmitter(EventFactory("s", "cam-1", "s-cam-1"), ["person"], scene.heat.spec)
    event = parse_event(emitter.interval(closed, datetime.now(timezone.utc)).to_json())
    heatmap = event.body.heatmap  # type: ignore[union-attr]
    assert heatmap is not None and heatmap.cell_m == 10.0
    assert (heatmap.origin.lon, heatmap.origin.lat) == pytest.approx(flat_ground().plane.origin, abs=1e-7)
    assert [(c.east, c.north, c.objects) for c in heatmap.cells] == [(-2, -2, 1), (0, 0, 1)]


def test_the_number_of_cells_is_bounded() -> None:
    scene = Scene([], [], ground=flat_ground(px_per_m=10.0), heatmap_cell_m=MIN_HEATMAP_CELL_M, count_interval_s=60.0)
    # 90 x 90 objects 20 px apart: every one in a cell of its own, twice the cells an event may carry
    crowd = [(i * 90 + j, 100.0 + 20 * i + 5, 100.0 + 20 * j + 5) for i in range(90) for j in range(90)]
    scene.update(at(*crowd), 0, 0.0)
    closed = scene.flush()
    assert closed is not None and len(closed.heatmap) == MAX_HEATMAP_CELLS


def test_points_off_the_grid_or_above_the_horizon_fall_in_no_cell() -> None:
    ground = flat_ground(px_per_m=0.2)  # a pixel is 5 m: the index bound (2500 cells of 2 m) lies 5 km out
    wide = HeatGrid(ground, MIN_HEATMAP_CELL_M)
    points = [to_image(ground, 1.0, 1.0), to_image(ground, 4001.0, -1.0), to_image(ground, 5003.0, 1.0)]
    assert wide.update(at(*[(i, x, y) for i, (x, y) in enumerate(points)])) == {(0, 0): [0], (2000, -1): [1]}
    oblique = HeatGrid(load(DEMO_SITE, environ={}).camera("cam-1").ground_fit, 5.0)  # its horizon is at y = -260
    assert list(oblique.update(at((1, 384, 400), (2, 384, -300), (3, 384, -2000))).values()) == [[1]]


@pytest.mark.parametrize("cell_m", [0.0, 1.99, -5.0, 1001.0, float("nan")])
def test_cells_finer_than_the_floor_are_refused(cell_m: float) -> None:
    with pytest.raises(ValidationError, match="heatmap_cell_m"):
        EdgeSettings(heatmap_cell_m=cell_m)
    with pytest.raises(ValueError, match="cell"):
        HeatGrid(flat_ground(), cell_m)

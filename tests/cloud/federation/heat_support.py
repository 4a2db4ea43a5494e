"""Heatmap count events for the federation tests, and where their cells lie, worked out here rather than imported."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

EARTH_RADIUS_M = 6_371_008.8  # the mean radius the contract's tangent plane uses
ORIGIN = (3.72, 51.05)  # lon, lat of the test grids
CELL_M = 10.0


def heat_body(interval_start: datetime, cells: list[tuple[int, int, int]], cell_m: float = CELL_M,
              origin: tuple[float, float] = ORIGIN) -> dict[str, Any]:
    """A one-minute count body whose heatmap holds ``cells`` as (east, north, objects)."""
    return {"interval_start": interval_start.isoformat(), "interval_s": 60.0, "by_class": {},
            "heatmap": {"cell_m": cell_m, "origin": {"lon": origin[0], "lat": origin[1]},
                        "cells": [{"east": e, "north": n, "objects": k} for e, n, k in cells]}}


def heat_event_ts(interval_start: datetime) -> datetime:
    """A count event is stamped when its interval ends."""
    return interval_start + timedelta(minutes=1)


def expected_centre(east: int, north: int, cell_m: float = CELL_M, origin: tuple[float, float] = ORIGIN) -> tuple[float, float]:
    """(lat, lon) of the centre of cell (east, north), rounded to 6 decimals."""
    per_degree = EARTH_RADIUS_M * math.pi / 180
    lat = origin[1] + (north + 0.5) * cell_m / per_degree
    lon = origin[0] + (east + 0.5) * cell_m / (per_degree * math.cos(math.radians(origin[1])))
    return round(lat, 6), round(lon, 6)

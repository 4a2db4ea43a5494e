"""The regional screen: every city of the region on one map, with its federated totals.

A city's heatmap cells are counted in its row; they are metres across, too
fine to draw on a map of the region (``RegionalTwin``'s ``heatmap`` view holds them).

It shows only what cities chose to share: k-suppressed count cells. There
is nothing identifying to protect, so the screen has no login; it listens on
loopback unless told otherwise.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse

from cloud.federation.region_config import RegionDeployment
from cloud.federation.regional import RegionalTwin
from cloud.security import headers
from cloud.web import assets

STATIC = Path(__file__).with_name("static")
PAGE = STATIC / "region.html"


def region_state(cfg: RegionDeployment, twin: RegionalTwin) -> dict[str, Any]:
    """Cities with their positions and totals; a city that has sent nothing yet shows zeros."""
    twin.refresh()
    rows = twin.query("SELECT city, coalesce(sum(value) FILTER (WHERE kind = 'line'), 0), "
                      "coalesce(max(value) FILTER (WHERE kind = 'zone'), 0), count(*), count(*) FILTER (WHERE kind = 'heatmap'), "
                      "max(bucket_start) FROM cells GROUP BY city")
    totals = {city: (int(c), int(p), int(n), int(h), last) for city, c, p, n, h, last in rows}
    cities = []
    for city in cfg.cities:
        crossings, peak, cells, heat, last = totals.get(city.id, (0, 0, 0, 0, None))
        cities.append({"id": city.id, "name": city.name, "lat": city.lat, "lon": city.lon, "crossings": crossings,
                       "peak_occupancy": peak, "cells": cells, "heatmap_cells": heat,
                       "last_bucket": last.isoformat() if last else None})
    unknown = sorted(set(totals) - {c.id for c in cfg.cities})
    return {"region": cfg.region.model_dump(), "cities": cities, "unlisted_cities": unknown,
            "crossings": sum(c["crossings"] for c in cities)}


def create_region_app(cfg: RegionDeployment, twin: RegionalTwin) -> FastAPI:
    app = FastAPI(title="citytwin regional screen", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    headers.install(app)
    lock = threading.Lock()  # one DuckDB connection, many request threads

    @app.get("/api/region", summary="The region's cities, positions and federated totals")
    def state() -> dict[str, Any]:
        with lock:
            return region_state(cfg, twin)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(PAGE, headers={"Cache-Control": "no-cache"})

    assets.mount(app, STATIC)
    return app

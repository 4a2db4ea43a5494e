"""The static model of the city (sites, cameras, lines, zones) as DuckDB tables."""

from __future__ import annotations

import json
from collections.abc import Sequence

import duckdb

from contract.site import CameraSpec, SiteSpec

DDL = (
    "CREATE OR REPLACE TABLE sites (site VARCHAR PRIMARY KEY, name VARCHAR, width_m DOUBLE, height_m DOUBLE)",
    "CREATE OR REPLACE TABLE cameras (site VARCHAR, camera VARCHAR, name VARCHAR, x_m DOUBLE, y_m DOUBLE,"
    " heading_deg DOUBLE, PRIMARY KEY (site, camera))",
    "CREATE OR REPLACE TABLE lines (site VARCHAR, camera VARCHAR, line VARCHAR, one_way BOOLEAN, map VARCHAR,"
    " PRIMARY KEY (site, camera, line))",
    "CREATE OR REPLACE TABLE zones (site VARCHAR, camera VARCHAR, zone VARCHAR, capacity INTEGER, map VARCHAR,"
    " PRIMARY KEY (site, camera, zone))",
)


def load(con: duckdb.DuckDBPyConnection, site: SiteSpec, cameras: Sequence[CameraSpec]) -> None:
    """Replace the registry tables with ``site`` and its ``cameras``."""
    for sql in DDL:
        con.execute(sql)
    con.execute("INSERT INTO sites VALUES (?, ?, ?, ?)", [site.id, site.name, site.width_m, site.height_m])
    for cam in cameras:
        con.execute(
            "INSERT INTO cameras VALUES (?, ?, ?, ?, ?, ?)",
            [site.id, cam.id, cam.name or cam.id, cam.map.x_m, cam.map.y_m, cam.map.heading_deg],
        )
        for line in cam.lines:
            where = json.dumps([p.model_dump() for p in line.map]) if line.map else None
            con.execute("INSERT INTO lines VALUES (?, ?, ?, ?, ?)", [site.id, cam.id, line.id, line.one_way, where])
        for zone in cam.zones:
            where = json.dumps([p.model_dump() for p in zone.map]) if zone.map else None
            con.execute("INSERT INTO zones VALUES (?, ?, ?, ?, ?)", [site.id, cam.id, zone.id, zone.capacity, where])

"""What the screen shows, computed from the twin: the map, live tiles, node health, history, past state.

Every function takes the ``Twin`` and returns plain JSON-ready dicts; the
caller holds the cockpit's read lock around them. The newest values per zone
and per node read the ``_copies`` views (``cloud.twin.views.COPIES``), which
copies of an event cannot change and which hold a group per subject rather
than every event key of the open hour; the flow counts read ``crossings``.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from cloud.cockpit import scene
from cloud.cockpit.cameras import camera_states
from cloud.cockpit.jsonsafe import cell, records
from cloud.cockpit.errors import BadRequest
from cloud.cockpit.history import history
from cloud.twin.daily import NODES, ZONES
from cloud.twin.twin import Twin

VEHICLES = ("bicycle", "car", "motorcycle", "bus", "truck")
FLOW_WINDOW = timedelta(minutes=15)


__all__ = ["history", "live", "nodes", "site_map", "state_at", "data_range", "utc"]


def _rows(twin: Twin, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    result = twin.read(sql, params)
    return records(result.columns, result.rows)


def site_map(twin: Twin) -> dict[str, Any]:
    """The registry: site extent, cameras with positions, lines and zones with optional map geometry."""
    sites = _rows(twin, "SELECT site, name, width_m, height_m FROM sites")
    cameras = _rows(twin, "SELECT site, camera, name, x_m, y_m, heading_deg FROM cameras ORDER BY camera")
    lines = _rows(twin, "SELECT site, camera, line, one_way, map FROM lines ORDER BY camera, line")
    zones = _rows(twin, "SELECT site, camera, zone, capacity, map FROM zones ORDER BY camera, zone")
    for item in lines + zones:
        item["map"] = json.loads(item["map"]) if item["map"] else None
    return {"site": sites[0] if sites else None, "cameras": cameras, "lines": lines, "zones": zones}


def _by_class(raw: Any) -> dict[str, int]:
    if not raw:
        return {}
    data = json.loads(raw) if isinstance(raw, str) else raw
    return {str(k): int(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _latency_ms(raw: Any) -> float | None:
    stages = _by_class_floats(raw)
    return round(sum(stages.values()), 1) if stages else None


def _by_class_floats(raw: Any) -> dict[str, float]:
    if not raw:
        return {}
    data = json.loads(raw) if isinstance(raw, str) else raw
    return {str(k): float(v) for k, v in data.items() if isinstance(v, (int, float))} if isinstance(data, dict) else {}


def live(twin: Twin, now: datetime, stale_after_s: float, degraded_fps: float = 2.0) -> dict[str, Any]:
    """Live tiles and map colours: occupancy per zone, people and vehicles now, flow in the last 15 minutes, nodes, cameras."""
    zones = _rows(
        twin,
        "WITH latest AS (SELECT site, camera, zone, arg_max(total, ts) AS total, CAST(arg_max(by_class, ts) AS VARCHAR) "
        "AS by_class, max(ts) AS as_of FROM occupancy_copies WHERE ts <= $now AND " + twin.around_newest(ZONES, now) + " "
        "GROUP BY ALL) "
        "SELECT coalesce(l.site, z.site) AS site, coalesce(l.camera, z.camera) AS camera, coalesce(l.zone, z.zone) AS zone, "
        "z.capacity, l.total, l.by_class, l.as_of FROM latest l FULL OUTER JOIN zones z "
        "ON l.site = z.site AND l.camera = z.camera AND l.zone = z.zone ORDER BY camera, zone",
        {"now": now},
    )
    people = vehicles = 0
    horizon = now - timedelta(seconds=stale_after_s)
    newest: datetime | None = None
    for z in zones:
        counts = _by_class(z.pop("by_class"))
        as_of = datetime.fromisoformat(z["as_of"]) if z["as_of"] else None
        z["stale"] = as_of is None or as_of < horizon
        z["over_capacity"] = z["capacity"] is not None and (z["total"] or 0) > z["capacity"]
        if not z["stale"]:  # a zone last heard of hours ago says nothing about now
            people += counts.get("person", 0)
            vehicles += sum(counts.get(c, 0) for c in VEHICLES)
        if as_of is not None and (newest is None or as_of > newest):
            newest = as_of
    flow = _flow(twin, now)
    seen = nodes(twin, now, twin.offline_after_s)
    return {
        "at": now.isoformat(),
        "data_as_of": newest.isoformat() if newest else None,
        "stale": newest is None or newest < horizon,
        "stale_after_s": stale_after_s,
        "people_now": people,
        "vehicles_now": vehicles,
        "zones_over_capacity": sum(1 for z in zones if z["over_capacity"] and not z["stale"]),
        "zones": zones,
        "flow": flow,
        "flow_window_min": int(FLOW_WINDOW.total_seconds() // 60),
        # Without their age, which changes every second: the stream then sends only the nodes that reported.
        "nodes": [{k: v for k, v in node.items() if k != "age_s"} for node in seen],
        **cameras(twin, seen, degraded_fps),
    }


def _flow(twin: Twin, now: datetime) -> list[dict[str, Any]]:
    """Crossings in and out per line in the window before ``now``: its whole minutes from the minute rollups."""
    per: dict[tuple[str, str, str], dict[str, Any]] = {}
    for site, camera, line, direction, n in twin.flow(now - FLOW_WINDOW, now):
        row = per.setdefault((site, camera, line), {"site": site, "camera": camera, "line": line,
                                                     "inbound": 0, "outbound": 0, "total": 0})
        if direction in ("in", "out"):
            row[f"{direction}bound"] += int(n)
        row["total"] += int(n)
    return [per[key] for key in sorted(per, key=lambda k: (k[1], k[2], k[0]))]


def cameras(twin: Twin, seen: list[dict[str, Any]], degraded_fps: float) -> dict[str, Any]:
    """Every configured camera with its state (``cameras``) and how many are in each (``camera_counts``)."""
    registry = _rows(twin, "SELECT site, camera, name FROM cameras ORDER BY site, camera")
    states = camera_states(registry, seen, degraded_fps)
    return {"cameras": states["cameras"], "camera_counts": states["counts"]}


def nodes(twin: Twin, now: datetime, offline_after_s: float) -> list[dict[str, Any]]:
    """Every node ever seen: fps, latency, clock, scene verdict and flags (``scene.py``), last seen, online."""
    rows = _rows(
        twin,
        "SELECT site, camera, node, max(ts) AS last_seen, arg_max(fps, ts) AS fps, "
        "CAST(arg_max(stage_ms, ts) AS VARCHAR) AS stage_ms, arg_max(cpu_percent, ts) AS cpu_percent, "
        "arg_max(spool_depth, ts) AS spool_depth, arg_max(clock_offset_ms, ts) AS clock_offset_ms, "
        "arg_max(clock_synced, ts) AS clock_synced, CAST(arg_max(scene, ts) AS VARCHAR) AS scene FROM health_copies WHERE ts <= $now "
        "AND " + twin.around_newest(NODES, now) + " GROUP BY ALL ORDER BY node",
        {"now": now},
    )
    for r in rows:
        r["latency_ms"] = _latency_ms(r.pop("stage_ms"))
        r.update(scene.read(r.pop("scene")).fields())
        last = datetime.fromisoformat(r["last_seen"])
        r["age_s"] = round((now - last).total_seconds(), 1)
        r["online"] = r["age_s"] <= offline_after_s
    return rows


def data_range(twin: Twin) -> dict[str, Any]:
    """First and last event time and the number of events, from per-day answers kept until a day's files change."""
    first, last, events = twin.span()
    return {"first": cell(first), "last": cell(last), "events": events}


def state_at(twin: Twin, at: datetime) -> dict[str, Any]:
    """The twin's state at a past instant, for the time scrubber."""
    state = twin.state_at(at)
    return {
        "at": at.isoformat(),
        "zones": [{"site": s, "camera": c, "zone": z, "total": n} for (s, c, z), n in sorted(state.zones.items())],
        "nodes": [{"node": n, **{k: cell(v) for k, v in info.items()}} for n, info in sorted(state.nodes.items())],
        "flow": [
            {"site": s, "camera": c, "line": ln, "direction": d, "crossings": n}
            for (s, c, ln, d), n in sorted(state.flow.items())
        ],
    }


def utc(value: datetime) -> datetime:
    """Naive datetimes from query strings are taken as UTC."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value

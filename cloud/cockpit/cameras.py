"""Every configured camera and its state, so that none can be missing from the screen.

A camera is in exactly one state, the first that holds:

- ``never_seen``: configured, but no health report from its node in the twin;
- ``silent``: its node's last report is older than the twin's ``offline_after_s``;
- ``unreliable``: its node's newest ``node_health`` raises scene-quality flags
  (dark, infrared, low contrast, blur, drifting confidence; read by ``scene.py``
  into the node row), so its counts cannot be trusted; a scene report the
  contract does not describe leaves the verdict ``unknown``, not unreliable;
- ``degraded``: it reports, but slower than ``cockpit.degraded_fps`` or with its
  clock a second or more off (the bridge refuses events stamped too far ahead);
- ``online``: everything else.

Nodes that report for a camera the registry does not list are kept, with
``configured: false``, so a misconfiguration shows instead of hiding.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cloud.cockpit import scene

STATES = ("never_seen", "silent", "unreliable", "degraded", "online")
CLOCK_OFF_MS = 1000.0


def _state(node: dict[str, Any] | None, degraded_fps: float) -> tuple[str, list[str]]:
    if node is None:
        return "never_seen", ["no report from its node yet"]
    if not node["online"]:
        # The time of the last report, not its age: the entry stays the same from one snapshot to the next.
        return "silent", [f"no report since {str(node['last_seen'])[:19].replace('T', ' ')} UTC"]
    flagged = scene.problems(node)
    if flagged:
        return "unreliable", flagged
    slow = [f"{node['fps']:.1f} fps, below {degraded_fps:g}"] if (node.get("fps") or 0) < degraded_fps else []
    offset = node.get("clock_offset_ms")
    drift = [f"clock {offset:+.0f} ms off"] if offset is not None and abs(offset) >= CLOCK_OFF_MS else []
    if slow or drift:
        return "degraded", slow + drift
    return "online", []


def camera_states(registry: Iterable[dict[str, Any]], nodes: Iterable[dict[str, Any]], degraded_fps: float) -> dict[str, Any]:
    """Every registry camera with its node's newest report and state, then unconfigured reporters; counts per state."""
    newest: dict[tuple[str, str], dict[str, Any]] = {}
    for node in nodes:
        key = (node["site"], node["camera"])
        if key not in newest or node["last_seen"] > newest[key]["last_seen"]:
            newest[key] = node
    cameras: list[dict[str, Any]] = []
    for cam in registry:
        key = (cam["site"], cam["camera"])
        cameras.append(_entry(cam, newest.pop(key, None), degraded_fps, configured=True))
    for (site, camera), node in sorted(newest.items()):
        cameras.append(_entry({"site": site, "camera": camera, "name": camera}, node, degraded_fps, configured=False))
    counts = {state: 0 for state in STATES}
    for cam in cameras:
        counts[cam["state"]] += 1
    return {"cameras": cameras, "counts": counts}


def _entry(cam: dict[str, Any], node: dict[str, Any] | None, degraded_fps: float, *, configured: bool) -> dict[str, Any]:
    state, reasons = _state(node, degraded_fps)
    report = node or {}
    return {
        "site": cam["site"], "camera": cam["camera"], "name": cam.get("name") or cam["camera"], "configured": configured,
        "state": state, "reasons": reasons, "node": report.get("node"), "last_seen": report.get("last_seen"),
        "fps": report.get("fps"), "latency_ms": report.get("latency_ms"),
        "clock_offset_ms": report.get("clock_offset_ms"), "clock_synced": report.get("clock_synced"),
        "scene": report.get("scene", "not_judged"), "scene_flags": report.get("scene_flags"),
    }

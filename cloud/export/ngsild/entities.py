"""The twin's aggregates as NGSI-LD normalized Smart Data Models entities.

- ``ItemFlowObserved``: crossings of one line, direction and class per
  bucket length; ``intensity`` is the bucket's count, ``itemType`` is
  ``people``, ``vehicle`` or ``ship`` (classes without one are not sent) and
  ``itemSubType`` the detector class; ``laneId`` is the line's position in
  its camera (1-based) and ``laneDirection`` ``inbound``/``outbound``.
- ``DeviceMeasurement``: a zone's peak occupancy per bucket length
  (``controlledProperty`` ``occupancy``), and each health value of a node.
- ``Device``: each edge node, with the camera's position.

Ids are stable (``urn:ngsi-ld:<type>:<site>:<camera>:...``, each part
escaped by ``cloud.export.ids``), so each bucket updates the same entity;
every time-varying value carries ``observedAt`` (the bucket's start), which
is what the broker's temporal history keys on.

Example:
    >>> ITEM_TYPES["person"], ITEM_TYPES["bus"], ITEM_TYPES["boat"]
    ('people', 'vehicle', 'ship')
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from cloud.export.aggregates import Crossing, Health, Peak
from cloud.export.geo import point
from cloud.export.ids import urn
from cloud.export.ngsild.settings import NgsiLdConfig
from contract.site import CameraSpec, SiteSpec

ITEM_TYPES = {"person": "people", "bicycle": "vehicle", "car": "vehicle", "motorcycle": "vehicle", "bus": "vehicle",
              "truck": "vehicle", "train": "vehicle", "boat": "ship"}
DIRECTIONS = {"in": "inbound", "out": "outbound"}
# UN/CEFACT common codes, as Smart Data Models give units.
UNITS = {"fps": "E39", "cpu_percent": "P1", "rss_mb": "4L", "temperature_c": "CEL", "dropped_frames": "C62",
         "spool_depth": "C62", "occupancy": "C62"}


def when(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _date(at: datetime) -> dict[str, Any]:
    return {"type": "Property", "value": {"@type": "DateTime", "@value": when(at)}}


def _prop(value: Any, observed: datetime | None = None) -> dict[str, Any]:
    attr: dict[str, Any] = {"type": "Property", "value": value}
    if observed is not None:
        attr["observedAt"] = when(observed)
    return attr


def period(bucket_s: int) -> str:
    """The bucket length as an ISO 8601 duration, part of the id: PT15M, PT1H, P1D."""
    if bucket_s % 86400 == 0:
        return f"P{bucket_s // 86400}D"
    if bucket_s % 3600 == 0:
        return f"PT{bucket_s // 3600}H"
    return f"PT{bucket_s // 60}M" if bucket_s % 60 == 0 else f"PT{bucket_s}S"


class Builder:
    """Entities of one site, with the context and the plan's position on the earth."""

    def __init__(self, site: SiteSpec, cameras: list[CameraSpec], config: NgsiLdConfig, nodes: dict[str, str]) -> None:
        self.site, self.config = site, config
        self.cameras = {c.id: c for c in cameras}
        self.nodes = nodes  # camera id -> node id
        self.context = [str(u) for u in config.context]

    def device_id(self, node: str) -> str:
        return urn("Device", self.site.id, node)

    def _common(self, entity_id: str, kind: str, where: dict[str, Any]) -> dict[str, Any]:
        return {"id": entity_id, "type": kind, "location": {"type": "GeoProperty", "value": where},
                "dataProvider": _prop(f"citytwin {self.site.id}"), "@context": self.context}

    def _interval(self, start: datetime, bucket_s: int) -> dict[str, Any]:
        end = start + timedelta(seconds=bucket_s)
        return {"dateObserved": _date(start), "dateObservedFrom": _date(start), "dateObservedTo": _date(end)}

    def flow(self, c: Crossing) -> dict[str, Any] | None:
        """The ItemFlowObserved of one crossing count; None for a class with no itemType or an unknown line."""
        camera = self.cameras.get(c.camera)
        item = ITEM_TYPES.get(c.object_class)
        lines = [line.id for line in camera.lines] if camera else []
        if camera is None or item is None or c.line not in lines:
            return None
        line = camera.lines[lines.index(c.line)]
        entity = self._common(urn("ItemFlowObserved", self.site.id, c.camera, c.line, c.direction, c.object_class,
                                  period(c.bucket_s)), "ItemFlowObserved", point(self.config.origin, camera, line))
        return {**entity, **self._interval(c.start, c.bucket_s),
                "name": _prop(f"{c.camera} line {c.line} {c.direction} {c.object_class}, {period(c.bucket_s)}"),
                "laneId": _prop(lines.index(c.line) + 1), "laneDirection": _prop(DIRECTIONS[c.direction]),
                "itemType": _prop(item), "itemSubType": _prop(c.object_class),
                "intensity": _prop(c.count, c.start),
                "refDevice": {"type": "Relationship", "object": self.device_id(self.nodes.get(c.camera, c.camera))}}

    def zone(self, p: Peak) -> dict[str, Any] | None:
        """The DeviceMeasurement of one zone's peak occupancy; None for a zone no longer configured."""
        camera = self.cameras.get(p.camera)
        zones = {z.id: z for z in camera.zones} if camera else {}
        if camera is None or p.zone not in zones:
            return None
        entity = self._common(urn("DeviceMeasurement", self.site.id, p.camera, "zone", p.zone, period(p.bucket_s)),
                              "DeviceMeasurement", point(self.config.origin, camera, zones[p.zone]))
        return {**entity, "dateObserved": _prop(when(p.start)), "numValue": _prop(p.peak, p.start),
                "controlledProperty": _prop("occupancy"), "measurementType": _prop(f"peak per {period(p.bucket_s)}"),
                "unit": _prop(UNITS["occupancy"]), "name": _prop(f"{p.camera} zone {p.zone} peak, {period(p.bucket_s)}"),
                "refDevice": {"type": "Relationship", "object": self.device_id(self.nodes.get(p.camera, p.camera))}}

    def device(self, h: Health) -> dict[str, Any] | None:
        """The Device of one node's latest health bucket."""
        camera = self.cameras.get(h.camera)
        if camera is None:
            return None
        entity = self._common(self.device_id(h.node), "Device", point(self.config.origin, camera))
        return {**entity, "name": _prop(f"edge node {h.node}"), "controlledProperty": _prop(["trafficFlow", "occupancy"]),
                "deviceState": _prop("reporting", h.start), "dateLastValueReported": _date(h.last_seen),
                "softwareVersion": _prop("citytwin")}

    def measurements(self, h: Health) -> list[dict[str, Any]]:
        """One DeviceMeasurement per health value of one node's bucket."""
        camera = self.cameras.get(h.camera)
        if camera is None:
            return []
        found = []
        for name, value in sorted(h.values.items()):
            entity = self._common(urn("DeviceMeasurement", self.site.id, h.node, name), "DeviceMeasurement",
                                  point(self.config.origin, camera))
            found.append({**entity, "dateObserved": _prop(when(h.start)), "numValue": _prop(round(value, 3), h.start),
                          "controlledProperty": _prop(name), "unit": _prop(UNITS.get(name, "C62")),
                          "measurementType": _prop(f"mean or maximum per {period(h.bucket_s)}"),
                          "refDevice": {"type": "Relationship", "object": self.device_id(h.node)}})
        return found

"""The SensorThings entities a deployment stands for, as the server should hold them.

One Thing per camera, with its Location; one Sensor per site (the video
counter); one ObservedProperty per object class counted, and one for zone
occupancy; one Datastream per line, direction, class and bucket length, and
per zone and bucket length, as Hamburg publishes its counting stations. Each
entity carries ``properties.citytwin_key``, the key it is found by again,
so the server may give ids of its own (FROST's default).

Example:
    >>> datastream_name("cam-1", "line gate", "in", "person", 900)
    'cam-1 line gate in person, 15 min'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloud.export.common import GeoOrigin
from cloud.export.geo import point
from cloud.export.sensorthings.settings import SensorThingsConfig
from contract.site import CameraSpec, SiteSpec

KEY, SITE = "citytwin_key", "citytwin_site"
COUNT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_CountObservation"
COUNT_UNIT = {"name": "count", "symbol": "1", "definition": "http://www.qudt.org/vocab/unit/NUM"}
OBJECTS_UNIT = {"name": "objects", "symbol": "1", "definition": "http://www.qudt.org/vocab/unit/NUM"}
_BUCKET_WORDS = {900: "15 min", 3600: "1 hour", 86400: "1 day"}


def bucket_words(bucket_s: int) -> str:
    return _BUCKET_WORDS.get(bucket_s, f"{bucket_s} s")


def datastream_name(camera: str, subject: str, direction: str | None, object_class: str | None, bucket_s: int) -> str:
    what = " ".join(p for p in (camera, subject, direction, object_class) if p)
    return f"{what}, {bucket_words(bucket_s)}"


@dataclass(frozen=True)
class Stream:
    """One Datastream: its key, the camera's Thing, its ObservedProperty, and the body to create it with."""

    key: str
    camera: str
    observed: str  # key of its ObservedProperty
    body: dict[str, Any]


def _props(site: str, key: str, **more: Any) -> dict[str, Any]:
    return {KEY: key, SITE: site, **more}


def sensor(site: SiteSpec) -> dict[str, Any]:
    return {"name": f"citytwin video counter ({site.id})", "encodingType": "text/plain",
            "description": "an ONNX object detector and tracker on an edge node; only counts leave the node",
            "metadata": "line crossings per direction and class, and zone occupancy, from video; no images, no identities",
            "properties": _props(site.id, f"{site.id}/sensor")}


def observed_properties(site: SiteSpec, config: SensorThingsConfig) -> dict[str, dict[str, Any]]:
    """ObservedProperty bodies by key: crossings of each configured class, and zone occupancy."""
    found = {f"{site.id}/crossings/{c}": {
        "name": f"crossings: {c}", "description": f"objects of class {c} crossing a counting line",
        "definition": f"urn:citytwin:observedProperty:crossings:{c.replace(' ', '_')}",
        "properties": _props(site.id, f"{site.id}/crossings/{c}")} for c in config.classes}
    found[f"{site.id}/occupancy"] = {
        "name": "zone occupancy (peak)", "description": "the most objects inside a zone at once",
        "definition": "urn:citytwin:observedProperty:occupancy:peak", "properties": _props(site.id, f"{site.id}/occupancy")}
    return found


def thing(site: SiteSpec, camera: CameraSpec, origin: GeoOrigin) -> dict[str, Any]:
    """The Thing of ``camera`` with its Location, as a deep insert."""
    key = f"{site.id}/{camera.id}"
    return {"name": camera.name or camera.id, "description": f"counting camera {camera.id} of {site.name}",
            "properties": _props(site.id, key, camera=camera.id),
            "Locations": [{"name": f"camera {camera.id}", "description": f"where camera {camera.id} of {site.name} stands",
                           "encodingType": "application/geo+json", "location": point(origin, camera)}]}


def streams(site: SiteSpec, cameras: list[CameraSpec], config: SensorThingsConfig) -> list[Stream]:
    """Every Datastream the deployment stands for."""
    found: list[Stream] = []
    for camera in cameras:
        for bucket_s in config.buckets_s:
            for line in camera.lines:
                for direction in ("in", "out"):
                    for cls in config.classes:
                        key = f"{site.id}/{camera.id}/line/{line.id}/{direction}/{cls}/{bucket_s}"
                        found.append(_stream(site, camera, key, f"{site.id}/crossings/{cls}", COUNT_UNIT, {
                            "name": datastream_name(camera.id, f"line {line.id}", direction, cls, bucket_s),
                            "description": f"{cls} crossing line {line.id} of camera {camera.id} towards '{direction}', "
                                           f"per {bucket_words(bucket_s)}; phenomenonTime is the bucket",
                            "extra": {"line": line.id, "direction": direction, "object_class": cls, "bucket_s": bucket_s,
                                      "aggregation": "count"}}))
            for zone in camera.zones:
                key = f"{site.id}/{camera.id}/zone/{zone.id}/{bucket_s}"
                found.append(_stream(site, camera, key, f"{site.id}/occupancy", OBJECTS_UNIT, {
                    "name": datastream_name(camera.id, f"zone {zone.id}", None, "peak", bucket_s),
                    "description": f"the most objects inside zone {zone.id} of camera {camera.id} at once, "
                                   f"per {bucket_words(bucket_s)}",
                    "extra": {"zone": zone.id, "bucket_s": bucket_s, "aggregation": "max"}}))
    return found


def _stream(site: SiteSpec, camera: CameraSpec, key: str, observed: str, unit: dict[str, str],
            text: dict[str, Any]) -> Stream:
    body = {"name": text["name"], "description": text["description"], "observationType": COUNT,
            "unitOfMeasurement": unit, "properties": _props(site.id, key, camera=camera.id, **text["extra"])}
    return Stream(key, camera.id, observed, body)

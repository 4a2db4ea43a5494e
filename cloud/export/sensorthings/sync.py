"""Keep the server's Things, Locations, Sensors, ObservedProperties and Datastreams in step with the deployment.

Entities are found by ``properties.citytwin_key`` (one query per entity
set, filtered on the site), created when missing and patched when the
deployment changed them (a renamed camera, a camera moved on the plan).
Datastreams of lines or zones no longer configured are left as they are:
their history stays readable, they are just not fed any more.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from cloud.export.base import ExportFailed
from cloud.export.http import JsonClient
from cloud.export.ids import odata_string
from cloud.export.sensorthings import model
from cloud.export.sensorthings.settings import SensorThingsConfig
from contract.site import CameraSpec, SiteSpec

log = logging.getLogger(__name__)

_ID = re.compile(r"\(([^()]+)\)$")
_PAGE = 10_000
_KEEP = "'"  # a string id's quotes; everything else in it is percent-encoded, so '/', '?' or '#' stay inside the id
# How many pages of one entity set are read at most: far more than any deployment has, fewer than a server could send.
MAX_PAGES = 1000


@dataclass
class Synced:
    """The server's ids: each Datastream key's id, each camera's Thing id, and how many entities were created."""

    datastreams: dict[str, Any]
    things: dict[str, Any]
    created: int = 0
    patched: int = 0


def listing(client: JsonClient, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
    """Every entity of a collection, following ``@iot.nextLink`` (which must stay under the service root)."""
    found: list[dict[str, Any]] = []
    url: str | None = path
    query: dict[str, str] | None = {"$top": str(_PAGE), **params}
    for _ in range(MAX_PAGES):
        if url is None:
            return found
        page = client.call("GET", url, params=query).body
        if not isinstance(page, dict) or not isinstance(page.get("value"), list):
            raise ExportFailed(f"exporter {client.name}: GET {path} did not answer with a SensorThings collection")
        found += [e for e in page["value"] if isinstance(e, dict)]
        url, query = page.get("@iot.nextLink"), None
    raise ExportFailed(f"exporter {client.name}: {path} has more than {MAX_PAGES} pages; refusing to read on")


def created_id(client: JsonClient, path: str, body: dict[str, Any]) -> Any:
    """POST ``body`` and return the id the server gave it (from the Location header)."""
    answer = client.call("POST", path, body=body, ok=(201,))
    match = _ID.search(answer.headers.get("location", ""))
    if match is None:
        raise ExportFailed(f"exporter {client.name}: POST {path} answered 201 without a Location naming the new entity")
    raw = match.group(1)
    return int(raw) if raw.isascii() and raw.isdigit() else raw.strip("'")


def server_id(value: Any) -> int | str | None:
    """An ``@iot.id`` as the server gave it: an integer or a string; None for anything else (true, 1.5, a list)."""
    return value if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)) else None


def entity(path: str, entity_id: int | str) -> str:
    """The path of one entity: ``Things(7)``, or ``Things('a''b')``, percent-encoded, for a server that uses string ids."""
    return f"{path}({entity_id})" if isinstance(entity_id, int) else f"{path}({quote(odata_string(entity_id), safe=_KEEP)})"


def _by_key(entities: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The server's entities by their key; one without a usable id or key is not the exporter's and is left alone."""
    return {e["properties"][model.KEY]: e for e in entities
            if server_id(e.get("@iot.id")) is not None and isinstance(e.get("properties"), dict)
            and isinstance(e["properties"].get(model.KEY), str)}


def _of_site(site: SiteSpec) -> str:
    return f"properties/{model.SITE} eq {odata_string(site.id)}"


def _ensure(client: JsonClient, path: str, known: dict[str, dict[str, Any]], key: str, body: dict[str, Any],
            synced: Synced) -> Any:
    existing = known.get(key)
    if existing is None:
        synced.created += 1
        return created_id(client, path, body)
    changed = {f: body[f] for f in ("name", "description", "properties") if f in body and existing.get(f) != body[f]}
    if changed:
        client.call("PATCH", entity(path, existing["@iot.id"]), body=changed)
        synced.patched += 1
    return existing["@iot.id"]


def sync(client: JsonClient, site: SiteSpec, cameras: list[CameraSpec], config: SensorThingsConfig) -> Synced:
    """Create or update every entity the deployment stands for; returns the server's ids."""
    synced = Synced({}, {})
    sensors = _by_key(listing(client, "Sensors", {"$filter": _of_site(site)}))
    sensor_body = model.sensor(site)
    sensor_id = _ensure(client, "Sensors", sensors, sensor_body["properties"][model.KEY], sensor_body, synced)
    props = _by_key(listing(client, "ObservedProperties", {"$filter": _of_site(site)}))
    prop_ids = {key: _ensure(client, "ObservedProperties", props, key, body, synced)
                for key, body in model.observed_properties(site, config).items()}
    things = _by_key(listing(client, "Things", {"$filter": _of_site(site), "$expand": "Locations"}))
    for camera in cameras:
        synced.things[camera.id] = _thing(client, things, site, camera, config, synced)
    streams = _by_key(listing(client, "Datastreams", {"$filter": _of_site(site), "$select": "id,name,description,properties"}))
    for stream in model.streams(site, cameras, config):
        body = {**stream.body, "Thing": {"@iot.id": synced.things[stream.camera]}, "Sensor": {"@iot.id": sensor_id},
                "ObservedProperty": {"@iot.id": prop_ids[stream.observed]}}
        synced.datastreams[stream.key] = _ensure(client, "Datastreams", streams, stream.key, body, synced)
    log.info("sensorthings %s: %d entities created, %d updated, %d datastreams", client.name, synced.created,
             synced.patched, len(synced.datastreams))
    return synced


def _thing(client: JsonClient, things: dict[str, dict[str, Any]], site: SiteSpec, camera: CameraSpec,
           config: SensorThingsConfig, synced: Synced) -> Any:
    body = model.thing(site, camera, config.origin)
    key = body["properties"][model.KEY]
    existing = things.get(key)
    thing_id = _ensure(client, "Things", things, key, body, synced)
    if existing is not None:
        wanted = body["Locations"][0]
        locations = [x for x in existing.get("Locations") or [] if isinstance(x, dict) and server_id(x.get("@iot.id")) is not None]
        if not locations:
            client.call("PATCH", entity("Things", thing_id), body={"Locations": [wanted]})
            synced.patched += 1
        elif locations[0].get("location") != wanted["location"]:
            client.call("PATCH", entity("Locations", locations[0]["@iot.id"]), body={"location": wanted["location"]})
            synced.patched += 1
    return thing_id

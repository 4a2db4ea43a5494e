"""Offline validation against the official Smart Data Models JSON Schemas vendored in ``schemas/``.

Every vendored schema is registered under its ``$id`` and any other ``$ref``
is refused rather than downloaded, so validation needs no network. The
schemas describe key-values; an NGSI-LD normalized entity is unwrapped first
(``{"type": "Property", "value": v}`` becomes ``v``, a JSON-LD typed literal
``{"@type": "DateTime", "@value": t}`` becomes ``t``). ``date-time`` formats
are checked (rfc3339-validator).

Example:
    >>> problems({"id": "urn:ngsi-ld:Device:x", "type": "Device"})
    ["(root): 'controlledProperty' is a required property"]
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource

FOLDER = Path(__file__).with_name("schemas")
MODELS = {
    "ItemFlowObserved": FOLDER / "dataModel.Transportation/ItemFlowObserved/schema.json",
    "Device": FOLDER / "dataModel.Device/Device/schema.json",
    "DeviceMeasurement": FOLDER / "dataModel.Device/DeviceMeasurement/schema.json",
}
_ATTRIBUTE_TYPES = ("Property", "GeoProperty", "Relationship")


def _offline(uri: str) -> Any:
    raise NoSuchResource(uri)


@cache
def _validators() -> dict[str, Draft202012Validator]:
    docs = [json.loads(p.read_text()) for p in FOLDER.rglob("schema*.json")] + [
        json.loads(p.read_text()) for p in FOLDER.rglob("*-schema.json")]
    registry: Registry[Any] = Registry(retrieve=_offline).with_resources(  # type: ignore[call-arg]
        (d["$id"], Resource.from_contents(d)) for d in docs if isinstance(d, dict) and "$id" in d)
    return {m: Draft202012Validator(json.loads(p.read_text()), registry=registry, format_checker=FormatChecker())
            for m, p in MODELS.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get("type") in _ATTRIBUTE_TYPES:
            return _plain(value.get("value", value.get("object")))
        if "@value" in value:
            return value["@value"]
    return value


def key_values(entity: dict[str, Any]) -> dict[str, Any]:
    """An NGSI-LD normalized entity as the key-values the schemas describe."""
    return {k: (v if k in ("id", "type") else _plain(v)) for k, v in entity.items() if k != "@context"}


def problems(entity: dict[str, Any]) -> list[str]:
    """What makes ``entity`` invalid for its Smart Data Model (by its ``type``); empty when it is valid."""
    validator = _validators().get(str(entity.get("type")))
    if validator is None:
        return [f"type: {entity.get('type')!r} is not one of the vendored models ({', '.join(MODELS)})"]
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in validator.iter_errors(key_values(entity))]

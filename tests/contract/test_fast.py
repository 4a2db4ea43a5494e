"""The fast path for canonical events against the pydantic model it mirrors, and ``wire.decode`` over both.

What ``fast.decode`` accepts, ``parse_event`` must accept with the same values,
and the body text must be ``body_json`` of pydantic's body; anything else must
come back ``None``. ``wire.decode`` must accept exactly what ``parse_event``
accepts, whichever path it takes. The mirror is checked field by field, then
all three are run on the edge's own output, on hand-made variants, and on
fuzzed ones, valid and invalid.
"""

from __future__ import annotations

import json
import types
import typing
from datetime import datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from contract import bodies, fast, model, wire
from contract.wire import body_json
from edge.events.factory import EventFactory
from tests.support.events import hostile_payloads, valid_events

TS = datetime(2026, 1, 1, 12, 0, 0, 250_000, tzinfo=timezone.utc)
BODIES: dict[str, dict[str, Any]] = {
    "line_crossing": {"line": "gate", "direction": "in", "object_class": "person", "track_id": 3},
    "zone_occupancy": {"zone": "plaza", "total": 2, "by_class": {"person": 2, "bicycle": 0}},
    "dwell": {"zone": "plaza", "object_class": "person", "track_id": 3, "entered": TS, "seconds": 4.25},
    "count": {
        "interval_start": TS, "interval_s": 60, "by_class": {"car": 1},
        "lines": [{"line": "gate", "inbound": {"person": 2}, "outbound": {}}],
        "turns": [{"origin": {"kind": "line", "id": "gate", "direction": "in"}, "destination": {"kind": "zone", "id": "plaza"},
                   "object_class": "person", "trips": 3}],
        "queues": [{"zone": "plaza", "mean": 1.25, "peak": 3}],
        "speeds": [{"line": "gate", "direction": "in", "object_class": "person", "samples": 7, "mean_kmh": 4.5,
                    "p85_kmh": 5.75}],
        "heatmap": {"cell_m": 5, "origin": {"lon": 4.3731, "lat": 51.999}, "cells": [{"east": -2, "north": 1, "objects": 12}]},
    },
    "node_health": {"fps": 9.5, "stage_ms": {"detect": 40, "track": 0.5}, "frames": 1, "dropped_frames": 0,
                    "cpu_percent": 50, "rss_mb": 200, "temperature_c": -3.5, "uptime_s": 5,
                    "scene": {"brightness": 120.5, "colour": 30.25, "contrast": 41.0, "sharpness": 0.75,
                              "confidence": 0.61, "confidence_baseline": None, "flags": ["blur"], "reliable": False}},
}
ENVELOPE = ("schema_version", "event_id", "site", "camera", "node", "seq", "ts", "type")


def _event(kind: str = "line_crossing", **body: Any) -> bytes:
    return EventFactory("campus", "cam-1", "campus-cam-1").make(kind, TS, {**BODIES[kind], **body}).to_json()


def _agrees(payload: bytes) -> fast.CanonicalEvent | None:
    """``fast.decode(payload)``, after checking it and ``wire.decode(payload)`` against ``parse_event``."""
    decoded = wire.decode(payload)
    try:
        slow = model.parse_event(payload)
    except ValidationError:
        assert isinstance(decoded, wire.Rejected) and decoded.reason, payload
        assert fast.decode(payload) is None, payload  # the fast path accepted what the model refuses
        return None
    assert isinstance(decoded, wire.Decoded), payload
    assert tuple(getattr(decoded.event, name) for name in ENVELOPE) == tuple(getattr(slow, name) for name in ENVELOPE)
    assert decoded.body_json() == body_json(slow.body)
    quick = fast.decode(payload)
    if quick is None:
        return None
    assert tuple(getattr(quick, name) for name in ENVELOPE) == tuple(getattr(slow, name) for name in ENVELOPE)
    assert fast.body_text(payload) == body_json(slow.body)
    return quick


def _with(kind: str, **body: Any) -> bytes:
    """An event whose body is changed after the model made it, so it may break the model's rules."""
    doc = json.loads(_event(kind))
    doc["body"].update(body)
    return json.dumps(doc, separators=(",", ":")).encode()


def _fields(struct: type[msgspec.Struct]) -> tuple[str, ...]:
    return struct.__struct_fields__


@pytest.mark.parametrize("kind", sorted(fast.EVENTS))
def test_the_mirror_has_the_models_fields_in_the_models_order(kind: str) -> None:
    pydantic_event: type[BaseModel] = model.__dict__[fast.EVENTS[kind].__name__]
    pydantic_body: type[BaseModel] = pydantic_event.model_fields["body"].annotation  # type: ignore[assignment]
    assert _fields(fast.EVENTS[kind]) == tuple(pydantic_event.model_fields)
    fast_body = next(f.type for f in msgspec.structs.fields(fast.EVENTS[kind]) if f.name == "body")
    assert _fields(fast_body) == tuple(pydantic_body.model_fields)


def test_every_type_but_snapshots_has_a_fast_path() -> None:
    assert set(fast.EVENTS) == set(model.EVENT_TYPES) - {"snapshot"}
    assert _fields(fast.LineTotals) == tuple(bodies.LineTotals.model_fields)


def test_the_name_pattern_is_the_models() -> None:
    schema = json.dumps(model.json_schema())
    assert json.dumps("^" + fast.IDENTS.pattern + "$") in schema


_BOUNDS = ("ge", "gt", "le", "lt", "max_length")


def _mirror_bounds(hint: Any) -> dict[str, Any]:
    """The msgspec bounds of a field's type (of its non-null option)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    metas = [m for m in typing.get_args(hint)[1:] if isinstance(m, msgspec.Meta)]
    return {k: getattr(m, k) for m in metas for k in _BOUNDS if getattr(m, k) is not None}


@pytest.mark.parametrize("kind", sorted(fast.EVENTS))
def test_the_mirror_has_the_models_bounds(kind: str) -> None:
    """Every numeric and length bound of the model is also msgspec's, field by field."""
    pydantic_event: type[BaseModel] = model.__dict__[fast.EVENTS[kind].__name__]
    pydantic_body: type[BaseModel] = pydantic_event.model_fields["body"].annotation  # type: ignore[assignment]
    fast_body = next(f.type for f in msgspec.structs.fields(fast.EVENTS[kind]) if f.name == "body")
    for mirror, slow in ((fast.EVENTS[kind], pydantic_event), (fast_body, pydantic_body)):
        hints = typing.get_type_hints(mirror, include_extras=True)
        for name, info in slow.model_fields.items():
            if hints[name] is fast.Ident:
                continue  # the model bounds ids by their pattern; msgspec by its length, then ``IDENTS``
            wanted = {k: getattr(m, k) for m in info.metadata for k in _BOUNDS if getattr(m, k, None) is not None}
            assert _mirror_bounds(hints[name]) == wanted, f"{slow.__name__}.{name}"


@pytest.mark.parametrize("kind", sorted(fast.EVENTS))
def test_the_edges_own_events_take_the_fast_path(kind: str) -> None:
    assert _agrees(_event(kind)) is not None


def _replace(payload: bytes, old: str, new: str) -> bytes:
    assert old.encode() in payload
    return payload.replace(old.encode(), new.encode(), 1)


VALID_BUT_NOT_CANONICAL = {
    "spaces": _replace(_event(), '"site":', '"site": '),
    "utc spelled +00:00": _replace(_event(), "250000Z", "250000+00:00"),
    "int for a float": _replace(_event("dwell"), '"seconds":4.25', '"seconds":4'),
    "exponent": _replace(_event("dwell"), '"seconds":4.25', '"seconds":4.25e0'),
    "tiny float": _event("dwell", seconds=0.00001),
    "default left out": _replace(_event("node_health"), ',"spool_depth":0', ""),
    "optional field left out": _replace(_event("node_health"), ',"clock_synced":null', ""),
    "turns left out, as by an older node": _replace(_event("count", turns=[]), ',"turns":[]', ""),
    "speeds and heatmap left out, as by an older node": _replace(
        _event("count", speeds=[], heatmap=None), ',"speeds":[],"heatmap":null', ""),
    "scene left out, as by an older node": _replace(_event("node_health", scene=None), ',"scene":null', ""),
    "escaped class": _replace(_event(), '"person"', '"\\u0070erson"'),
    "escaped stage": _replace(_event("node_health"), '"detect"', '"\\u0064etect"'),
    "keys reordered": _replace(_event(), '"site":"campus","camera":"cam-1"', '"camera":"cam-1","site":"campus"'),
    "duplicate key": _replace(_event(), '"site":"campus"', '"site":"campus","site":"campus"'),
    "schema_version left out": _replace(_event(), '"schema_version":1,', ""),
    "snapshot": EventFactory("campus", "cam-1", "campus-cam-1").make(
        "snapshot", TS, {"jpeg_b64": "AA==", "width": 1, "height": 1, "anonymised": True, "faces_blurred": 0,
                         "vehicles_blurred": 0}).to_json(),
}


@pytest.mark.parametrize("case", sorted(VALID_BUT_NOT_CANONICAL))
def test_valid_events_in_another_spelling_take_the_pydantic_path(case: str) -> None:
    model.parse_event(VALID_BUT_NOT_CANONICAL[case])
    assert fast.decode(VALID_BUT_NOT_CANONICAL[case]) is None
    assert _agrees(VALID_BUT_NOT_CANONICAL[case]) is None  # decoded all the same, by pydantic


@pytest.mark.parametrize(
    "payload",
    [
        _replace(_event("dwell"), '"entered":"2026-01-01T12:00:00.250000Z"', '"entered":"2026-01-01T13:00:00.250000+01:00"'),
        _event("count", lines=[]),
        _event("count", turns=[]),
        _event("count", speeds=[], heatmap=None),
        _event("count", heatmap={"cell_m": 2, "origin": {"lon": -180, "lat": 90}, "cells": []}),
        _event("node_health", temperature_c=None, stage_ms={}),
        _event("node_health", scene=None),
    ],
)
def test_what_the_model_allows_in_canonical_form_takes_the_fast_path(payload: bytes) -> None:
    assert _agrees(payload) is not None


INVALID = {
    "site pattern": _replace(_event(), '"site":"campus"', '"site":"Campus"'),
    "site ends in a newline": _replace(_event(), '"site":"campus"', '"site":"campus\\n"'),
    "class pattern": _event().replace(b'"person"', b'"9person"'),
    "undeclared class": _event().replace(b'"person"', b'"plate ab123"'),
    "undeclared class key": _replace(_event("zone_occupancy"), '"bicycle"', '"ab-123-cd"'),
    "undeclared stage": _replace(_event("node_health"), '"detect"', '"embedding"'),
    "non-ASCII stage": _replace(_event("node_health"), '"detect"', '"détect"'),
    "DEL in a stage": _replace(_event("node_health"), '"detect"', '"det\x7fect"'),
    "seq 2^63": _replace(_replace(_event(), '"seq":0', f'"seq":{2**63}'), '"campus-cam-1:0"', f'"campus-cam-1:{2**63}"'),
    "track id 2^53": _replace(_event(), '"track_id":3', f'"track_id":{2**53}'),
    "occupancy above the bound": _replace(_event("zone_occupancy"), '"total":2', '"total":10001'),
    "NaN": _replace(_event("dwell"), '"seconds":4.25', '"seconds":NaN'),
    "Infinity": _replace(_event("node_health"), '"fps":9.5', '"fps":Infinity'),
    "huge float": _replace(_event("node_health"), '"uptime_s":5.0', '"uptime_s":1e16'),
    "undeclared gate kind": _replace(_event("count"), '"kind":"zone"', '"kind":"portal"'),
    "gate id pattern": _replace(_event("count"), '"id":"plaza"', '"id":"Plaza/2"'),
    "gate direction": _replace(_event("count"), '"direction":"in"', '"direction":"up"'),
    "queue mean above the bound": _replace(_event("count"), '"mean":1.25', '"mean":10001.0'),
    "queue zone pattern": _replace(_event("count"), '"zone":"plaza","mean"', '"zone":"../x","mean"'),
    "negative queue peak": _replace(_event("count"), '"peak":3', '"peak":-1'),
    "speed above the bound": _replace(_event("count"), '"p85_kmh":5.75', '"p85_kmh":400.5'),
    "negative speed": _replace(_event("count"), '"mean_kmh":4.5', '"mean_kmh":-4.5'),
    "speed line pattern": _replace(_event("count"), '"line":"gate","direction"', '"line":"Gate/1","direction"'),
    "speed of one track": _replace(_event("count"), '"samples":7', '"samples":7,"track_id":3'),
    "heatmap cell below the floor": _replace(_event("count"), '"cell_m":5.0', '"cell_m":1.5'),
    "heatmap cell index beyond the bound": _replace(_event("count"), '"east":-2', '"east":-2501'),
    "heatmap origin off the globe": _replace(_event("count"), '"lat":51.999', '"lat":91.0'),
    "negative heatmap objects": _replace(_event("count"), '"objects":12', '"objects":-12'),
    "heatmap cell of one track": _replace(_event("count"), '"objects":12', '"objects":12,"track_id":3'),
    "too many heatmap cells": _with("count", heatmap={"cell_m": 5, "origin": {"lon": 0, "lat": 0},
                                                      "cells": [{"east": 0, "north": 0, "objects": 1}] * 4097}),
    "too many speeds": _with("count", speeds=[BODIES["count"]["speeds"][0]] * 4097),
    "negative trips": _replace(_event("count"), '"trips":3', '"trips":-3'),
    "unknown gate field": _replace(_event("count"), '"id":"plaza"', '"id":"plaza","track_id":4'),
    "undeclared scene flag": _replace(_event("node_health"), '"flags":["blur"]', '"flags":["haunted"]'),
    "brightness above 255": _replace(_event("node_health"), '"brightness":120.5', '"brightness":255.5'),
    "confidence above 1": _replace(_event("node_health"), '"confidence":0.61', '"confidence":1.5'),
    "six scene flags": _replace(_event("node_health"), '"flags":["blur"]', '"flags":' + json.dumps(["blur"] * 6)),
    "unknown scene field": _replace(_event("node_health"), '"reliable":false', '"reliable":false,"faces":1'),
    "event_id of another node": _replace(_event(), '"campus-cam-1:0"', '"campus-cam-2:0"'),
    "event_id of another seq": _replace(_event(), '"campus-cam-1:0"', '"campus-cam-1:1"'),
    "event_id with a leading zero": _replace(_event(), '"campus-cam-1:0"', '"campus-cam-1:00"'),
    "event_id too long": _replace(_event(), '"campus-cam-1:0"', '"' + "a" * 5000 + ':0"'),
    "too many lines": _with("count", lines=[{"line": "gate", "inbound": {}, "outbound": {}}] * 257),
    "negative count": _replace(_event("zone_occupancy"), '"total":2', '"total":-2'),
    "zero interval": _replace(_event("count"), '"interval_s":60.0', '"interval_s":0.0'),
    "negative float": _replace(_event("dwell"), '"seconds":4.25', '"seconds":-4.25'),
    "direction": _replace(_event(), '"in"', '"up"'),
    "ts not UTC": _replace(_event(), '"ts":"2026-01-01T12:00:00.250000Z"', '"ts":"2026-01-01T13:00:00.250000+01:00"'),
    "ts naive": _replace(_event(), '"ts":"2026-01-01T12:00:00.250000Z"', '"ts":"2026-01-01T12:00:00.250000"'),
    "event_id shape": _replace(_event(), '"campus-cam-1:0"', '"campus-cam-1"'),
    "unknown field": _replace(_event(), '"seq":0', '"seq":0,"face":"x"'),
    "unknown body field": _replace(_event(), '"track_id":3', '"track_id":3,"face":"x"'),
    "schema_version 2": _replace(_event(), '"schema_version":1', '"schema_version":2'),
    "unknown type": _replace(_event(), '"type":"line_crossing"', '"type":"teleport"'),
    "body of another type": _replace(_event(), '"type":"line_crossing"', '"type":"dwell"'),
    "truncated": _event()[:-1],
    "trailing data": _event() + b"x",
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_events_never_take_the_fast_path(case: str) -> None:
    assert fast.decode(INVALID[case]) is None
    with pytest.raises(ValidationError):
        model.parse_event(INVALID[case])
    assert isinstance(wire.decode(INVALID[case]), wire.Rejected)


_JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12),
    st.datetimes(timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=2))])).map(lambda d: d.isoformat()),
)


@settings(max_examples=400, deadline=None)
@given(
    kind=st.sampled_from(sorted(fast.EVENTS)),
    path=st.lists(st.sampled_from(["body", *ENVELOPE, *sorted({k for b in BODIES.values() for k in b})]), min_size=1,
                  max_size=3),
    value=st.one_of(_JSON_SCALARS, st.dictionaries(st.text(max_size=8), _JSON_SCALARS, max_size=3)),
)
def test_fuzzed_events_agree_with_the_model(kind: str, path: list[str], value: Any) -> None:
    doc = json.loads(_event(kind))
    target = doc
    for key in path[:-1]:
        nested = target.get(key)
        if not isinstance(nested, dict):
            break
        target = nested
    target[path[-1]] = value
    for payload in (json.dumps(doc, separators=(",", ":")).encode(),
                    json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()):
        try:
            _agrees(payload)
        except UnicodeEncodeError:  # lone surrogates from st.text: not UTF-8 at all
            pass


ANY_EVENT = valid_events("campus", "cam-1", "campus-cam-1")


@settings(max_examples=400, deadline=None)
@given(event=ANY_EVENT)
def test_any_canonical_event_agrees_with_the_model(event: model.Event) -> None:
    payload = event.to_json()
    quick = _agrees(payload)
    numbers = [v for v in _leaves(json.loads(payload)) if isinstance(v, float)]
    if all(fast.plain(x) for x in numbers) and payload.isascii() and b"\\" not in payload:
        assert quick is not None, payload


@settings(max_examples=400, deadline=None)
@given(hostile=hostile_payloads(ANY_EVENT))
def test_hostile_events_are_refused_by_both(hostile: tuple[str, bytes]) -> None:
    name, payload = hostile
    assert fast.decode(payload) is None, name
    with pytest.raises(ValidationError):
        model.parse_event(payload)
    assert isinstance(wire.decode(payload), wire.Rejected), name


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]

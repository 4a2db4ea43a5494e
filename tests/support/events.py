"""Hypothesis strategies for events: schema-valid ones across the contract's bounds, and hostile ones beyond them.

``valid_events`` draws every type but snapshots with values anywhere in the
model's ranges, the extremes included, and canonical wire form (the edge's
``to_json``). ``hostile_payloads`` draws the values an attacker or a broken
node sends: integers just past int64 or a bound, ``NaN`` and ``Infinity``,
undeclared class and stage names, long strings, an ``event_id`` that is not
the event's own. Both are shared by the contract tests and the pipeline's
property test, so the same corpus checks the fast path, the model and every
stage behind the bridge.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from contract import ids, model
from contract.ids import event_id
from contract.model import Event
from contract.vocab import OBJECT_CLASSES, RETIRED_STAGES, SCENE_FLAGS, STAGES

KINDS = ("line_crossing", "zone_occupancy", "dwell", "count", "node_health")
_HEAD = "abcdefghijklmnopqrstuvwxyz0123456789"
# Built from characters rather than ``st.from_regex``: that one compiles its regex lazily, deep inside a draw, where
# CPython 3.11's parser can fail with "AST constructor recursion depth mismatch" and hypothesis reports it as flaky.
_IDS = st.tuples(st.sampled_from(_HEAD), st.text(_HEAD + "_-", max_size=62)).map("".join)


def _ints(high: int) -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from([0, 1, high - 1, high]), st.integers(0, high))


def _floats(low: float, high: float) -> st.SearchStrategy[float]:
    return st.one_of(st.sampled_from([low, high]), st.floats(low, high, allow_nan=False, allow_infinity=False))


def _classes(high: int) -> st.SearchStrategy[dict[str, int]]:
    return st.dictionaries(st.sampled_from(OBJECT_CLASSES), _ints(high), max_size=4)


def _speeds() -> st.SearchStrategy[dict[str, Any]]:
    kmh = _floats(0, ids.MAX_SPEED_KMH)
    return st.fixed_dictionaries({"line": _IDS, "direction": st.sampled_from(["in", "out"]),
                                  "object_class": st.sampled_from(OBJECT_CLASSES), "samples": _ints(ids.MAX_INTERVAL_COUNT),
                                  "mean_kmh": kmh, "p85_kmh": kmh})


def _heatmaps() -> st.SearchStrategy[dict[str, Any]]:
    index = st.integers(-ids.MAX_HEATMAP_INDEX, ids.MAX_HEATMAP_INDEX)
    cell = st.fixed_dictionaries({"east": index, "north": index, "objects": _ints(ids.MAX_INTERVAL_COUNT)})
    return st.fixed_dictionaries({"cell_m": _floats(ids.MIN_HEATMAP_CELL_M, ids.MAX_HEATMAP_CELL_M),
                                  "origin": st.fixed_dictionaries({"lon": _floats(-180, 180), "lat": _floats(-90, 90)}),
                                  "cells": st.lists(cell, max_size=3)})


def _bodies(kind: str, ts: datetime) -> st.SearchStrategy[dict[str, Any]]:
    earlier = st.floats(0, 3600, allow_nan=False).map(lambda s: ts - timedelta(seconds=s))
    if kind == "line_crossing":
        return st.fixed_dictionaries({"line": _IDS, "direction": st.sampled_from(["in", "out"]),
                                      "object_class": st.sampled_from(OBJECT_CLASSES), "track_id": _ints(ids.MAX_COUNTER)})
    if kind == "zone_occupancy":
        return st.fixed_dictionaries({"zone": _IDS, "total": _ints(ids.MAX_OCCUPANCY),
                                      "by_class": _classes(ids.MAX_OCCUPANCY)})
    if kind == "dwell":
        return st.fixed_dictionaries({"zone": _IDS, "object_class": st.sampled_from(OBJECT_CLASSES),
                                      "track_id": _ints(ids.MAX_COUNTER), "entered": earlier,
                                      "seconds": _floats(0, 31_536_000)})
    if kind == "count":
        totals = st.fixed_dictionaries({"line": _IDS, "inbound": _classes(ids.MAX_INTERVAL_COUNT),
                                        "outbound": _classes(ids.MAX_INTERVAL_COUNT)})
        gate = st.one_of(st.fixed_dictionaries({"kind": st.just("zone"), "id": _IDS, "direction": st.none()}),
                         st.fixed_dictionaries({"kind": st.just("line"), "id": _IDS, "direction": st.sampled_from(["in", "out"])}))
        turn = st.fixed_dictionaries({"origin": gate, "destination": gate, "object_class": st.sampled_from(OBJECT_CLASSES),
                                      "trips": _ints(ids.MAX_INTERVAL_COUNT)})
        return st.fixed_dictionaries({"interval_start": earlier, "interval_s": _floats(1e-3, 86_400),
                                      "by_class": _classes(ids.MAX_INTERVAL_COUNT), "lines": st.lists(totals, max_size=3),
                                      "turns": st.lists(turn, max_size=3),
                                      "queues": st.lists(st.fixed_dictionaries({"zone": _IDS, "mean": _floats(0, 10_000),
                                                                                "peak": _ints(ids.MAX_OCCUPANCY)}), max_size=3),
                                      "speeds": st.lists(_speeds(), max_size=3), "heatmap": st.none() | _heatmaps()})
    return st.fixed_dictionaries({
        "fps": _floats(0, 10_000),
        "stage_ms": st.dictionaries(st.sampled_from(STAGES + RETIRED_STAGES), _floats(0, 3_600_000), max_size=len(STAGES)),
        "frames": _ints(ids.MAX_COUNTER), "dropped_frames": _ints(ids.MAX_COUNTER),
        "cpu_percent": _floats(0, 100_000), "rss_mb": _floats(0, 16_777_216),
        "temperature_c": st.none() | _floats(-100, 250), "spool_depth": _ints(ids.MAX_COUNTER),
        "spool_dropped": _ints(ids.MAX_COUNTER), "uptime_s": _floats(0, 1e9),
        "clock_offset_ms": st.none() | _floats(-ids.MAX_CLOCK_OFFSET_MS, ids.MAX_CLOCK_OFFSET_MS),
        "clock_synced": st.none() | st.booleans(),
        "scene": st.none() | _scenes(),
    })


def _scenes() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({
        "brightness": _floats(0, 255), "colour": _floats(0, 255), "contrast": _floats(0, 128),
        "sharpness": _floats(0, 1000), "confidence": st.none() | _floats(0, 1),
        "confidence_baseline": st.none() | _floats(0, 1),
        "flags": st.lists(st.sampled_from(SCENE_FLAGS), max_size=5, unique=True), "reliable": st.booleans(),
    })


@st.composite
def valid_events(
    draw: st.DrawFn, site: str, camera: str, node: str, ts: st.SearchStrategy[datetime] | None = None
) -> Event:
    """One schema-valid event of ``node`` on ``camera``, any type but snapshot, any values within the bounds."""
    stamp = draw(ts if ts is not None else st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(timezone.utc)))
    kind = draw(st.sampled_from(KINDS))
    seq = draw(_ints(ids.MAX_SEQ))
    payload = {"event_id": event_id(node, seq), "site": site, "camera": camera, "node": node, "seq": seq, "ts": stamp,
               "type": kind, "body": draw(_bodies(kind, stamp))}
    return model.parse_event(json.dumps(payload, default=lambda t: t.isoformat()))


# Each hostile change takes the event's JSON document and returns it changed; every one breaks the contract.
Change = Callable[[dict[str, Any]], dict[str, Any]]


def _envelope(**values: Any) -> Change:
    return lambda doc: {**doc, **values}


def _body(**values: Any) -> Change:
    return lambda doc: {**doc, "body": {**doc["body"], **values}}


def _seq(seq: int) -> Change:
    return lambda doc: {**doc, "seq": seq, "event_id": f"{doc['node']}:{seq}"}


def _first_number(value: Any) -> Change:
    """Put ``value`` in the body's first numeric field (every type but snapshots has one)."""

    def change(doc: dict[str, Any]) -> dict[str, Any]:
        name = next(k for k, v in doc["body"].items() if isinstance(v, (int, float)) and not isinstance(v, bool))
        return _body(**{name: value})(doc)

    return change


HOSTILE: dict[str, Change] = {
    "seq 2^63": _seq(2**63),
    "seq 2^64": _seq(2**64 + 7),
    "seq -1": _seq(-1),
    "number 2^63": _first_number(2**63),
    "number -2^63-1": _first_number(-(2**63) - 1),
    "NaN": _first_number(float("nan")),
    "Infinity": _first_number(float("inf")),
    "-Infinity": _first_number(float("-inf")),
    "1e308": _first_number(1e308),
    "event_id of another node": lambda doc: {**doc, "event_id": f"other-node:{doc['seq']}"},
    "event_id with another seq": lambda doc: {**doc, "event_id": f"{doc['node']}:{doc['seq'] + 1}"},
    "event_id of 180 kB": _envelope(event_id="a" * 180_000 + ":1"),
    "event_id with leading zero": lambda doc: {**doc, "event_id": f"{doc['node']}:0{doc['seq']}"},
    "class that is plate text": lambda doc: _body(**{
        k: ({"AB-123-CD": 1} if isinstance(v, dict) else "plate ab123cd")
        for k, v in doc["body"].items() if k in ("object_class", "by_class")
    } or {"line": "x" * 64})(doc),
    "stage that is an embedding": _body(stage_ms={"emb " + "0.12,-0.5," * 40: 1.0}),
    "long line id": _body(line="a" * 5000),
}


@st.composite
def hostile_payloads(draw: st.DrawFn, base: st.SearchStrategy[Event]) -> tuple[str, bytes]:
    """One broken payload (and the name of what broke it) made from an event of ``base``."""
    event = draw(base)
    name = draw(st.sampled_from(sorted(HOSTILE)))
    doc = HOSTILE[name](json.loads(event.to_json()))
    return name, json.dumps(doc, separators=(",", ":")).encode()

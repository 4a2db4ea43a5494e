"""Identity cannot be smuggled: every string is bounded and from a declared set, every number finite.

Before, ``event_id``, ``stage_ms`` keys and ``object_class`` were free-form
strings of any length (a 180 kB ``event_id`` was stored), so a node could
carry plate text or an embedding past ``extra="forbid"``; ``NaN`` and
``Infinity`` were accepted and stored.
"""

from __future__ import annotations

import json

import pytest

from tests.security.pipeline import Pipeline, make_ingest, pipeline, valid, wire  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.kafka, pytest.mark.mqtt]

HEALTH = "node_health"
SMUGGLED = {
    "event_id": (wire("cam-1", 1, event_id="campus-cam-1:1" + "0" * 180_000), "event_id"),
    "plate as a class": (wire("cam-1", 2, body={"object_class": "plate ab-123-cd"}), "object_class"),
    "plate as a count key": (wire("cam-1", 3, "zone_occupancy", body={"by_class": {"ab-123-cd": 1}}), "by_class"),
    "embedding as a stage": (wire("cam-1", 4, HEALTH, body={"stage_ms": {"emb:" + "0.1234," * 200: 1.0}}), "stage_ms"),
    "NaN": (wire("cam-1", 5, HEALTH, body={"fps": float("nan")}), "fps"),
    "Infinity": (wire("cam-1", 6, HEALTH, body={"cpu_percent": float("inf")}), "cpu_percent"),
    "-Infinity": (wire("cam-1", 7, HEALTH, body={"temperature_c": float("-inf")}), "temperature_c"),
    "a long line id": (wire("cam-1", 8, body={"line": "gate-" + "x" * 5000}), "line"),
}


def test_smuggled_strings_and_non_finite_numbers_are_dead_lettered(pipeline: Pipeline) -> None:  # noqa: F811
    payloads = {name: json.dumps(doc).encode() for name, (doc, _) in SMUGGLED.items()}  # json writes NaN, Infinity
    before, after = valid("cam-1", 100), valid("cam-1", 101)
    messages = [(pipeline.topic("cam-1", json.loads(p)["type"]), p) for p in payloads.values()]
    pipeline.publish([(pipeline.topic("cam-1"), before.to_json()), *messages, (pipeline.topic("cam-1"), after.to_json())])

    letters = {dl.raw: dl for dl in pipeline.dead_letters(len(payloads))}
    assert set(letters) == set(payloads.values())
    for name, payload in payloads.items():
        letter = letters[payload]
        assert letter.error == "schema", (name, letter.error)
        assert SMUGGLED[name][1] in letter.reason and len(letter.reason) < 2000, (name, letter.reason)
    expected = {before.event_id, after.event_id}
    assert pipeline.wait_for_lake(expected) == expected, pipeline.logs()
    with pipeline.twin() as twin:
        bodies = twin.query("SELECT body FROM events").rows
    assert len(bodies) == 2 and not any("NaN" in b or "Infinity" in b for (b,) in bodies)

"""Property: what the bridge takes, every stage stores; what it refuses is a dead letter with a reason.

Hypothesis draws schema-valid events anywhere within the contract's bounds
(the extremes included) and hostile ones just beyond them, and drives them
through the real bridge -> Kafka -> sink -> lake -> twin. Every valid event
must come out of the twin with its body intact, every hostile one must be in
the dead-letter topic with a reason, and neither service may stop.
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloud.dlq.records import DeadLetter
from contract.wire import body_json
from tests.cloud.ingest_support import read_topic
from tests.security.pipeline import Pipeline, make_ingest, pipeline  # noqa: F401 (fixtures)
from tests.support.events import hostile_payloads, valid_events

pytestmark = [pytest.mark.kafka, pytest.mark.mqtt, pytest.mark.slow]

_EXAMPLES = itertools.count()
# Within the bridge's clock window: up to an hour old (a body's earlier times reach an hour further back).
_RECENT = st.integers(1, 3600).map(lambda s: datetime.now(timezone.utc).replace(microsecond=0) - timedelta(seconds=s))
CODES = {"schema", "identity", "clock", "invalid_json"}


@settings(max_examples=3, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_what_the_bridge_takes_every_stage_stores(data: st.DataObject, pipeline: Pipeline) -> None:  # noqa: F811
    camera = f"cam-{next(_EXAMPLES) % 30:02d}"  # each example on a camera of its own
    events_of_camera = valid_events("campus", camera, f"campus-{camera}", _RECENT)
    events = data.draw(st.lists(events_of_camera, min_size=40, max_size=80, unique_by=lambda e: e.seq), label="valid")
    hostile = data.draw(st.lists(hostile_payloads(events_of_camera), min_size=10, max_size=25), label="hostile")
    messages = [(pipeline.topic(camera, e.type), e.to_json()) for e in events]
    for n, (_name, payload) in enumerate(hostile):
        messages.insert(n * 4 % (len(messages) + 1), (pipeline.topic(camera, json.loads(payload)["type"]), payload))
    pipeline.publish(messages)

    cfg = pipeline.setup.cfg
    key, source = f"campus/{camera}".encode(), f"{pipeline.prefix}/campus/{camera}/".encode()
    accepted = read_topic(cfg, cfg.kafka.topics.events, len(events), keep=lambda m: m.key() == key)
    refused = read_topic(cfg, cfg.kafka.topics.dlq, len(hostile), keep=lambda m: (m.key() or b"").startswith(source))
    assert sorted(m.value() or b"" for m in accepted) == sorted(e.to_json() for e in events)
    assert sorted(m.value() or b"" for m in refused) == sorted(payload for _, payload in hostile)
    for message in refused:
        letter = DeadLetter.from_headers(message.value() or b"", message.headers())
        assert letter.error in CODES and letter.reason, letter

    ids = {e.event_id for e in events}
    assert pipeline.wait_for_lake(ids) >= ids, pipeline.logs()
    with pipeline.twin() as twin:
        rows = twin.query("SELECT event_id, body FROM events WHERE camera = $camera", {"camera": camera}).rows
    assert dict(rows) == {e.event_id: body_json(e.body) for e in events}
    assert pipeline.running() == ["bridge", "sink"], pipeline.logs()

"""``citytwin dlq replay`` sends events on an operator's behalf: recorded before anything is sent, against the live Kafka."""

from __future__ import annotations

import getpass
from datetime import datetime, timedelta, timezone

import pytest

from cloud.dlq.publish import DeadLetterPublisher
from cloud.dlq.records import DeadLetter
from tests.cloud.sink.lakefiles import values
from tests.security.audit_support import DlqSite, citytwin, dlq_site, read_topic  # noqa: F401 (fixtures)

pytestmark = pytest.mark.kafka

TOPIC = "citytwin/campus/cam-1/events/line_crossing"


def _letters(site: DlqSite) -> bytes:
    """One dead letter that is valid now, and one that is not."""
    event = values(1, start=datetime.now(timezone.utc) - timedelta(hours=1))[0]  # within the lake's retention
    publisher = DeadLetterPublisher(site.cfg.kafka, "citytwin-tests")
    publisher.send(DeadLetter.of(event, "schema", "rejected by an older schema", "mqtt", TOPIC, "bridge-old"))
    publisher.send(DeadLetter.of(b'{"seq": "seven"', "invalid_json", "payload is not JSON", "mqtt", TOPIC, "bridge-1"))
    publisher.flush()
    return event


def test_a_replay_is_audited_before_it_is_sent_and_its_outcome_after(dlq_site: DlqSite) -> None:
    event = _letters(dlq_site)
    done = citytwin("dlq", "-c", str(dlq_site.path), "replay", "--all")
    assert done.returncode == 1 and "replayed 1 of 2 dead letters" in done.stdout, (done.stdout, done.stderr)
    assert [v for _, v in read_topic(dlq_site.cfg.kafka.bootstrap, dlq_site.cfg.kafka.topics.events)] == [event]
    intent, outcome = [r for r in dlq_site.records() if r["action"] == "dlq.replay"]
    assert intent["actor"] == f"os:{getpass.getuser()}"
    assert {k: intent["details"][k] for k in ("phase", "via", "topic", "records", "positions")} == {
        "phase": "intent", "via": "citytwin dlq replay", "topic": dlq_site.cfg.kafka.topics.dlq, "records": 2,
        "positions": ["0:0", "0:1"]}
    assert outcome["details"]["intent"] == intent["seq"]
    assert (outcome["details"]["replayed"], outcome["details"]["not_replayed"]) == (1, 1)


def test_nothing_is_replayed_when_the_replay_cannot_be_audited(dlq_site: DlqSite) -> None:
    _letters(dlq_site)
    dlq_site.log.parent.mkdir(parents=True)
    dlq_site.log.symlink_to("/dev/full")  # every write fails with ENOSPC, as on a full disk
    done = citytwin("dlq", "-c", str(dlq_site.path), "replay", "0:0")
    assert done.returncode == 3, (done.stdout, done.stderr)
    assert "nothing replayed" in done.stderr and "replayed" not in done.stdout
    assert read_topic(dlq_site.cfg.kafka.bootstrap, dlq_site.cfg.kafka.topics.events) == []

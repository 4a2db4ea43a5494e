"""Sequence numbers across restarts, and analytics results turned into events."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from edge.analytics.counts import IntervalCount, LineTally
from edge.analytics.heatmap import GridSpec
from edge.analytics.lines import Crossing
from edge.analytics.scene import SceneUpdate
from edge.analytics.turns import Gate
from edge.analytics.zones import Dwell, ZoneFrame
from edge.events.emit import EventEmitter
from edge.events.factory import EventFactory
from edge.events.sequence import SequenceBlocks

LABELS = ["person", "bicycle", "car"]
TS = datetime(2026, 1, 1, 8, tzinfo=timezone.utc)


def test_sequence_never_repeats_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "n.seq"
    first = SequenceBlocks(path, block=5)
    used = [first.next() for _ in range(7)]  # crosses a block boundary
    second = SequenceBlocks(path, block=5)  # as after a crash: nothing flushed on exit
    assert second.next() > max(used)


def test_a_node_without_its_reservation_file_starts_above_any_earlier_life(tmp_path: Path) -> None:
    earlier = SequenceBlocks(tmp_path / "old.seq")
    used = [earlier.next() for _ in range(3)]
    (tmp_path / "old.seq").unlink()  # a wiped disk
    assert SequenceBlocks(tmp_path / "old.seq").next() > max(used)


def test_corrupt_sequence_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "n.seq"
    path.write_text("twelve")
    with pytest.raises(RuntimeError, match=str(path)):
        SequenceBlocks(path)


def zone_frame(total_by_class: dict[int, int], exited: tuple[Dwell, ...] = ()) -> ZoneFrame:
    ids = np.arange(sum(total_by_class.values()), dtype=np.int64)
    return ZoneFrame(0, 0.0, ids, total_by_class, (), exited)


def test_emitter_makes_typed_events() -> None:
    emitter = EventEmitter(EventFactory("s", "cam-1", "s-cam-1"), LABELS, GridSpec(5.0, (4.37312341, 51.99898761)))
    update = SceneUpdate(
        crossings={"gate": [Crossing(track_id=3, class_id=0, direction="in", frame_index=5)]},
        zones={"plaza": zone_frame({0: 2}, (Dwell(track_id=9, class_id=2, entered=100.0, exited=112.5),))},
        interval=IntervalCount(0.0, 60.0, {0: 4}, {"gate": LineTally({0: 1}, {})}, 600,
                               {(Gate("line", "gate", "in"), Gate("zone", "plaza"), 2): 3}, {"plaza": (1.254, 3)},
                               {("gate", "in", 0): (4, 4.816, 5.5049)}, {(-3, 2): 7, (0, 0): 1}),
    )
    events = emitter.frame(update, TS)
    assert [e.type for e in events] == ["line_crossing", "dwell", "zone_occupancy", "count"]
    assert [e.seq for e in events] == [0, 1, 2, 3]
    crossing, dwell, occupancy, count = (e.body for e in events)
    assert crossing.line == "gate" and crossing.direction == "in" and crossing.object_class == "person"  # type: ignore[union-attr]
    assert dwell.object_class == "car" and dwell.seconds == 12.5  # type: ignore[union-attr]
    assert occupancy.total == 2 and occupancy.by_class == {"person": 2}  # type: ignore[union-attr]
    assert count.by_class == {"person": 4} and count.lines[0].inbound == {"person": 1}  # type: ignore[union-attr]
    (turn,) = count.turns  # type: ignore[union-attr]
    assert (turn.origin.kind, turn.origin.id, turn.origin.direction) == ("line", "gate", "in")
    assert (turn.destination.kind, turn.destination.id, turn.destination.direction) == ("zone", "plaza", None)
    assert turn.object_class == "car" and turn.trips == 3
    assert [(q.zone, q.mean, q.peak) for q in count.queues] == [("plaza", 1.25, 3)]  # type: ignore[union-attr]
    (speed,) = count.speeds  # type: ignore[union-attr]
    assert (speed.line, speed.direction, speed.object_class, speed.samples) == ("gate", "in", "person", 4)
    assert (speed.mean_kmh, speed.p85_kmh) == (4.82, 5.5)
    heatmap = count.heatmap  # type: ignore[union-attr]
    assert heatmap.cell_m == 5.0 and (heatmap.origin.lon, heatmap.origin.lat) == (4.3731234, 51.9989876)
    assert [(c.east, c.north, c.objects) for c in heatmap.cells] == [(-3, 2, 7), (0, 0, 1)]


def test_occupancy_is_sent_only_when_it_changes() -> None:
    emitter = EventEmitter(EventFactory("s", "cam-1", "s-cam-1"), LABELS)
    sent = []
    for counts in ({0: 1}, {0: 1}, {0: 2}, {0: 2}, {}):
        update = SceneUpdate({}, {"plaza": zone_frame(counts)}, None)
        sent += [e.body.total for e in emitter.frame(update, TS)]  # type: ignore[union-attr]
    assert sent == [1, 2, 0]

"""The ``_copies`` views: every copy of an event kept, and a newest value, maximum or minimum the same as deduplicated."""

from __future__ import annotations

import pytest

from cloud.twin.twin import Twin
from cloud.twin.views import COPIES

# (view, the subject's columns, the aggregates copies cannot change)
QUESTIONS = [
    ("occupancy", "site, camera, zone", "arg_max(total, ts), max(ts), min(ts), max(total)"),
    ("health", "site, camera, node", "max(ts), arg_max(fps, ts), min(fps)"),
    ("dwell", "site, camera, zone", "max(seconds), min(seconds), max(ts)"),
    ("crossings", "site, camera, line, direction", "max(ts), min(ts)"),
]


@pytest.mark.parametrize(("view", "subject", "aggregates"), QUESTIONS)
def test_a_newest_or_extreme_value_is_the_same_over_every_copy(twin: Twin, view: str, subject: str, aggregates: str) -> None:
    def answer(name: str) -> list[tuple[object, ...]]:
        return sorted(twin.read(f"SELECT {subject}, {aggregates} FROM {name} GROUP BY ALL").rows, key=repr)

    deduplicated = answer(view)
    assert deduplicated, f"the test lake holds no {view} rows"
    assert answer(view + COPIES) == deduplicated


@pytest.mark.parametrize("view", [q[0] for q in QUESTIONS])
def test_the_copies_views_keep_every_copy(twin: Twin, view: str) -> None:
    # The messy lake holds replayed copies of some files: the copies view must see them, the deduplicated one not.
    copies = twin.read(f"SELECT count(*), count(DISTINCT (site, camera, node, event_id)) FROM {view}{COPIES}").rows[0]
    deduplicated = twin.read(f"SELECT count(*) FROM {view}").rows[0][0]
    assert copies[1] == deduplicated < copies[0]

"""Precision and recall of a node's crossings and occupancy against a hand tally; pure functions.

Crossings match one to one, per line and direction, when their frames differ
by at most ``tolerance`` frames. Occupancy compares the node's count on a
tallied frame (the last ``zone_occupancy`` at or before it) with the tally:
the smaller of the two are true positives, the node's excess false positives,
its shortfall false negatives.

Example:
    >>> match_frames([10, 50, 90], [12, 49, 70], tolerance=5)
    (2, [70], [90])
    >>> s = Score("gate", 2, 1, 1)
    >>> round(s.precision, 3), round(s.recall, 3)
    (0.667, 0.667)
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from edge.accuracy.tally import CameraTally


@dataclass(frozen=True)
class Score:
    """True positives, false positives and false negatives of one line, zone, camera or all of them."""

    name: str
    true_pos: int
    false_pos: int
    false_neg: int
    unmatched: tuple[str, ...] = ()  # what was counted and not tallied, or tallied and not counted, for people

    @property
    def precision(self) -> float:
        """Share of what the node counted that the tally has; 1 when the node counted nothing."""
        counted = self.true_pos + self.false_pos
        return self.true_pos / counted if counted else 1.0

    @property
    def recall(self) -> float:
        """Share of the tally that the node counted; 1 when the tally is empty."""
        tallied = self.true_pos + self.false_neg
        return self.true_pos / tallied if tallied else 1.0


def total(name: str, scores: Iterable[Score]) -> Score:
    """The sum of several scores."""
    items = list(scores)
    return Score(name, sum(s.true_pos for s in items), sum(s.false_pos for s in items), sum(s.false_neg for s in items))


@dataclass
class Observed:
    """What a node reported on one camera, by frame index."""

    crossings: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # line -> (frame, direction)
    occupancy: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # zone -> (frame, total), on change


def match_frames(tallied: Sequence[int], counted: Sequence[int], tolerance: int) -> tuple[int, list[int], list[int]]:
    """Pairs matched one to one within ``tolerance`` frames, the counted frames left over, the tallied ones left over."""
    want, got = sorted(tallied), sorted(counted)
    i = j = matched = 0
    extra: list[int] = []
    missed: list[int] = []
    # On sorted frames, pairing the earliest candidates first is a maximum matching.
    while i < len(want) and j < len(got):
        if abs(want[i] - got[j]) <= tolerance:
            matched, i, j = matched + 1, i + 1, j + 1
        elif got[j] < want[i]:
            extra.append(got[j])
            j += 1
        else:
            missed.append(want[i])
            i += 1
    return matched, extra + got[j:], missed + want[i:]


def occupancy_at(changes: Sequence[tuple[int, int]], frame: int) -> int:
    """The count reported last at or before ``frame``; 0 before the first report."""
    at = bisect.bisect_right([f for f, _ in changes], frame)
    return changes[at - 1][1] if at else 0


def score_camera(camera: str, tally: CameraTally, observed: Observed, tolerance: int) -> list[Score]:
    """One score per tallied line and zone of ``camera``; crossings of untallied lines are not judged."""
    scores = []
    for line, crossings in tally.lines.items():
        seen = observed.crossings.get(line, [])
        matched, unmatched = 0, []
        for d in ("in", "out"):
            pairs, extra, missed = match_frames(
                [c.frame for c in crossings if c.direction == d], [f for f, e in seen if e == d], tolerance
            )
            matched += pairs
            unmatched += [f"counted {d} at {f}" for f in extra] + [f"missed {d} at {f}" for f in missed]
        fp, fn = sum(u.startswith("counted") for u in unmatched), sum(u.startswith("missed") for u in unmatched)
        scores.append(Score(f"{camera} line {line}", matched, fp, fn, tuple(unmatched)))
    for zone, counts in tally.zones.items():
        changes = observed.occupancy.get(zone, [])
        tp = fp = fn = 0
        off = []
        for count in counts:
            node = occupancy_at(changes, count.frame)
            tp, fp, fn = tp + min(node, count.count), fp + max(node - count.count, 0), fn + max(count.count - node, 0)
            if node != count.count:
                off.append(f"counted {node} at {count.frame}, tallied {count.count}")
        scores.append(Score(f"{camera} zone {zone}", tp, fp, fn, tuple(off)))
    return scores


def table(scores: Mapping[str, list[Score]]) -> str:
    """A plain-text table: every line and zone, each camera's total, then the overall one."""
    rows = [f"{'':40} {'tallied':>8} {'counted':>8} {'matched':>8} {'precision':>10} {'recall':>8}"]

    def row(s: Score) -> str:
        return (f"{s.name:40} {s.true_pos + s.false_neg:8d} {s.true_pos + s.false_pos:8d} {s.true_pos:8d} "
                f"{s.precision:10.3f} {s.recall:8.3f}")

    for camera, items in scores.items():
        rows += [row(s) for s in items]
        rows.append(row(total(f"{camera} all", items)))
    rows.append(row(total("overall", [s for items in scores.values() for s in items])))
    for s in (s for items in scores.values() for s in items if s.unmatched):
        rows.append(f"{s.name}: " + "; ".join(s.unmatched))
    return "\n".join(rows)

"""ByteTrack-style tracker: Kalman prediction, two-stage IoU association, tentative tracks.

Per detection frame:

1. every track is predicted forward to the frame (constant velocity);
2. high-score detections are matched to all tracks by IoU, same class only;
3. low-score detections, which are often the same objects partly occluded,
   are matched to confirmed tracks that were seen on the previous detection
   frame and are still unmatched; they never start tracks;
4. a tentative track missed more than ``tentative_misses`` times is dropped,
   unmatched confirmed tracks coast (lost) for up to ``max_age`` frames, and
   high-score detections left over start tentative tracks.

A track is output only once ``min_hits`` detection frames have matched it
with at most ``tentative_misses`` misses among them. With the defaults (3 hits,
1 miss) an object the detector finds on two frames of every three is
confirmed, while a false positive that flickers on every other frame, or
lasts two frames, never reaches the counts.
``update`` returns the confirmed tracks matched on the frame, with their
filtered boxes; lost tracks are not output, so that a coasting guess never
crosses a line. ``predict_only`` (frames the detector skipped) returns the
confirmed tracks seen on the last detection frame, at their predicted boxes.

Example:
    >>> from edge.types import Detections
    >>> tracker = ByteTrack(ByteTrackConfig(min_hits=2))
    >>> def person_at(x):
    ...     return Detections([[x, 10, x + 20, 60]], [0.9], [0])
    >>> len(tracker.update(person_at(10), 0)), tracker.update(person_at(12), 1).track_id.tolist()
    (0, [1])
    >>> tracker.predict_only(2).track_id.tolist()
    [1]
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray
from edge.track import kalman
from edge.track.base import Tracker
from edge.track.matching import iou_matrix, match
from edge.track.settings import ByteTrackConfig
from edge.types import Tracks
from edge.types import Detections

log = logging.getLogger(__name__)

# Frames between two warnings about the track limit (a minute at 25 fps).
_WARN_EVERY_FRAMES = 1500


@dataclass
class _Table:
    """Struct-of-arrays state of all live tracks, one row per track."""

    mean: NDArray[np.float64]
    cov: NDArray[np.float64]
    track_id: NDArray[np.int64]
    class_id: NDArray[np.int32]
    score: NDArray[np.float32]
    hits: NDArray[np.int32]
    born: NDArray[np.int64]
    last_hit: NDArray[np.int64]
    confirmed: NDArray[np.bool_]
    # Detection frames missed in a row; 0 means seen on the last detection frame.
    missed: NDArray[np.int32]
    # Detection frames missed since the track started; confirmation allows only a few.
    misses: NDArray[np.int32]

    @classmethod
    def empty(cls) -> _Table:
        return cls(
            np.zeros((0, 8)), np.zeros((0, 8, 8)), np.zeros(0, np.int64), np.zeros(0, np.int32),
            np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0, np.int64),
            np.zeros(0, bool), np.zeros(0, np.int32), np.zeros(0, np.int32),
        )  # fmt: skip

    def __len__(self) -> int:
        return int(self.track_id.shape[0])

    def select(self, rows: NDArray[Any]) -> _Table:
        """The rows picked by a boolean mask or index array."""
        return _Table(**{name: getattr(self, name)[rows] for name in _TABLE_FIELDS})

    def extend(self, other: _Table) -> _Table:
        return _Table(**{name: np.concatenate([getattr(self, name), getattr(other, name)]) for name in _TABLE_FIELDS})


_TABLE_FIELDS = tuple(f.name for f in fields(_Table))


class ByteTrack(Tracker):
    """Multi-object tracker after ByteTrack (Zhang et al., 2022), with tentative tracks.

    State is bounded: at most ``max_tracks`` tracks, each removed ``max_age``
    frames after its last match (tentative ones at their ``tentative_misses + 1``-th miss). Ids
    start at 1, increase, and are not reused even across ``reset()``.
    """

    def __init__(self, config: ByteTrackConfig | None = None) -> None:
        self.config = config or ByteTrackConfig()
        self._next_id = 1
        self._table = _Table.empty()
        self._frame: int | None = None
        self._refused = 0
        self._warned_at: int | None = None

    def __len__(self) -> int:
        """Live tracks held, tentative and lost ones included."""
        return len(self._table)

    @property
    def refused(self) -> int:
        """New tracks refused because ``max_tracks`` were held."""
        return self._refused

    def reset(self) -> None:
        self._table = _Table.empty()
        self._frame = None

    def predict_only(self, frame_index: int) -> Tracks:
        self._advance(frame_index)
        t = self._table
        return self._output(t.confirmed & (t.missed == 0), frame_index)

    def update(self, detections: Detections, frame_index: int) -> Tracks:
        self._advance(frame_index)
        detections = detections.filter(detections.confidence >= self.config.low_threshold)
        high = detections.confidence >= self.config.high_threshold
        high_idx = np.flatnonzero(high)
        low_idx = np.flatnonzero(~high)
        t = self._table
        boxes = kalman.state_to_xyxy(t.mean)

        # Stage 1: high-score detections against every track.
        rows1, cols1, left_rows, left_high = match(
            iou_matrix(boxes, detections.xyxy[high_idx]), t.class_id, detections.class_id[high_idx], self.config.match_iou
        )
        # Stage 2: low-score detections against confirmed tracks seen last time.
        tracked = left_rows[t.confirmed[left_rows] & (t.missed[left_rows] == 0)]
        rows2, cols2, _, _ = match(
            iou_matrix(boxes[tracked], detections.xyxy[low_idx]),
            t.class_id[tracked],
            detections.class_id[low_idx],
            self.config.low_match_iou,
        )
        rows = np.concatenate([rows1, tracked[rows2]])
        det_rows = np.concatenate([high_idx[cols1], low_idx[cols2]])
        self._apply_matches(rows, detections, det_rows, frame_index)
        self._drop_unmatched(rows)
        fresh = np.zeros(len(detections), dtype=bool)
        fresh[high_idx[left_high]] = True
        self._start_tracks(detections.filter(fresh), frame_index)
        t = self._table
        return self._output(t.confirmed & (t.last_hit == frame_index), frame_index)

    def _advance(self, frame_index: int) -> None:
        """Predict every track forward to ``frame_index`` and drop tracks lost too long."""
        if self._frame is not None and frame_index < self._frame:
            raise ValueError(f"frame_index must not decrease: got {frame_index} after {self._frame}")
        steps = 0 if self._frame is None else frame_index - self._frame
        self._frame = frame_index
        if steps == 0 or not len(self._table):
            return
        stale = frame_index - self._table.last_hit > self.config.max_age
        if stale.any():
            self._table = self._table.select(~stale)
            log.debug("removed %d lost tracks at frame %d", int(stale.sum()), frame_index)
        t = self._table
        # After pruning no track needs more than max_age + 1 steps; bounds the work after a stall.
        for _ in range(min(steps, self.config.max_age + 1)):
            t.mean, t.cov = kalman.predict(t.mean, t.cov)

    def _apply_matches(
        self, rows: NDArray[np.intp], dets: Detections, det_rows: NDArray[np.intp], frame: int
    ) -> None:
        if not rows.size:
            return
        t = self._table
        z = kalman.xyxy_to_state(dets.xyxy[det_rows])
        t.mean[rows], t.cov[rows] = kalman.update(t.mean[rows], t.cov[rows], z)
        t.score[rows] = dets.confidence[det_rows]
        t.hits[rows] += 1
        t.last_hit[rows] = frame
        t.missed[rows] = 0
        t.confirmed[rows] |= t.hits[rows] >= self.config.min_hits

    def _drop_unmatched(self, matched_rows: NDArray[np.intp]) -> None:
        t = self._table
        unmatched = np.ones(len(t), dtype=bool)
        unmatched[matched_rows] = False
        t.missed[unmatched] += 1
        t.misses[unmatched] += 1
        # A detector that misses a real object now and then must not lose it before it is confirmed;
        # a false positive that flickers misses more often than that.
        ended = unmatched & ~t.confirmed & (t.misses > self.config.tentative_misses)
        if ended.any():
            self._table = t.select(~ended)

    def _start_tracks(self, dets: Detections, frame: int) -> None:
        dets = dets.filter(dets.confidence >= self.config.new_track_threshold)
        room = max(self.config.max_tracks - len(self._table), 0)
        if len(dets) > room:
            refused = len(dets) - room
            self._refused += refused
            # A flooded scene would otherwise log on every frame.
            quiet = self._warned_at is not None and frame - self._warned_at < _WARN_EVERY_FRAMES
            if not quiet:
                self._warned_at = frame
            log.log(
                logging.DEBUG if quiet else logging.WARNING,
                "track limit %d reached; refused %d new tracks (%d so far)", self.config.max_tracks, refused, self._refused,
            )
            dets = dets.filter(_top(dets, room))
        n = len(dets)
        if not n:
            return
        mean, cov = kalman.initiate(kalman.xyxy_to_state(dets.xyxy))
        ids = np.arange(self._next_id, self._next_id + n, dtype=np.int64)
        self._next_id += n
        new = _Table(
            mean, cov, ids, dets.class_id.copy(), dets.confidence.copy(), np.ones(n, np.int32),
            np.full(n, frame, np.int64), np.full(n, frame, np.int64),
            np.full(n, self.config.min_hits <= 1), np.zeros(n, np.int32), np.zeros(n, np.int32),
        )  # fmt: skip
        self._table = self._table.extend(new)

    def _output(self, rows: NDArray[np.bool_], frame: int) -> Tracks:
        t = self._table.select(rows)
        return Tracks(kalman.state_to_xyxy(t.mean), t.score, t.class_id, t.track_id, frame - t.born, t.hits)


def _top(dets: Detections, room: int) -> NDArray[np.bool_]:
    """Mask of the ``room`` highest-scoring detections."""
    mask = np.zeros(len(dets), dtype=bool)
    mask[np.argsort(-dets.confidence, kind="stable")[:room]] = True
    return mask

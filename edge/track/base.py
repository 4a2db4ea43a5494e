"""The tracker interface; ``Tracks``, the type it returns, lives in ``edge.types``."""

from __future__ import annotations

import abc

from edge.types import Detections, Tracks

__all__ = ["Tracker", "Tracks"]


class Tracker(abc.ABC):
    """Turns per-frame detections into tracks with ids that stay stable across frames.

    ``frame_index`` must never decrease between calls. Frames skipped between
    two calls are coasted through as ``predict_only`` would, without counting
    as missed detections.
    """

    @abc.abstractmethod
    def update(self, detections: Detections, frame_index: int) -> Tracks:
        """Match ``detections`` of frame ``frame_index``; returns the confirmed tracks seen in it."""

    @abc.abstractmethod
    def predict_only(self, frame_index: int) -> Tracks:
        """Advance to a frame on which detection did not run; returns the tracks coasting through it."""

    @abc.abstractmethod
    def reset(self) -> None:
        """Forget every track (e.g. after a stream reconnect); ids are still never reused."""

"""Typed, validated data passed between edge stages: ``Frame``, ``Detections``, ``Tracks``.

Stages never hand each other tuples or dicts; each boundary has one type that
checks itself on construction, so a shape bug fails where it is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray


@dataclass(frozen=True, eq=False)
class Frame:
    """One decoded frame: BGR pixels and the UTC time it was captured."""

    index: int
    ts: datetime
    image: NDArray[np.uint8]
    source: str

    def __post_init__(self) -> None:
        if self.image.ndim != 3 or self.image.shape[2] != 3 or self.image.dtype != np.uint8:
            raise ValueError(
                f"Frame.image: expected an HxWx3 uint8 BGR array, got shape {self.image.shape} dtype {self.image.dtype}"
            )
        if self.ts.tzinfo is None:
            raise ValueError("Frame.ts: expected a timezone-aware UTC time, got a naive datetime")

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        return int(self.image.shape[1])


def _column(owner: str, name: str, value: Any, dtype: type[np.generic], shape: tuple[int, ...]) -> NDArray[Any]:
    """``value`` as a contiguous array of ``dtype``; raises naming the expected and actual shape."""
    array = np.ascontiguousarray(value, dtype=dtype)
    if array.shape != shape:
        raise ValueError(f"{owner}.{name}: expected shape {shape} (one value per box), got {array.shape}")
    return array


@dataclass(frozen=True, eq=False)
class Detections:
    """Objects found in one frame, as columns: boxes, confidences and class ids.

    Boxes are ``x1, y1, x2, y2`` in source-image pixels.

    Example:
        >>> d = Detections(xyxy=[[0, 0, 10, 20]], confidence=[0.9], class_id=[0])
        >>> len(d), d.xyxy.dtype.name, len(d.filter(d.confidence > 0.95))
        (1, 'float32', 0)
    """

    xyxy: NDArray[np.float32]
    confidence: NDArray[np.float32]
    class_id: NDArray[np.int32]

    def __init__(self, xyxy: ArrayLike, confidence: ArrayLike, class_id: ArrayLike) -> None:
        box = np.asarray(xyxy, dtype=np.float32)
        if box.size == 0:
            box = box.reshape(0, 4)
        if box.ndim != 2 or box.shape[1] != 4:
            raise ValueError(f"Detections.xyxy: expected shape (N, 4), got {box.shape}")
        n = box.shape[0]
        object.__setattr__(self, "xyxy", np.ascontiguousarray(box))
        object.__setattr__(self, "confidence", _column("Detections", "confidence", confidence, np.float32, (n,)))
        object.__setattr__(self, "class_id", _column("Detections", "class_id", class_id, np.int32, (n,)))

    def __len__(self) -> int:
        return int(self.xyxy.shape[0])

    def __repr__(self) -> str:
        return f"Detections(n={len(self)}, class_id={self.class_id.tolist()})"

    @classmethod
    def empty(cls) -> Detections:
        """No detections."""
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int32))

    def filter(self, mask: NDArray[np.bool_]) -> Detections:
        """The rows where ``mask`` is true."""
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (len(self),):
            raise ValueError(f"Detections.filter: expected a mask of shape ({len(self)},), got {mask.shape}")
        return Detections(self.xyxy[mask], self.confidence[mask], self.class_id[mask])

    def of_class(self, class_ids: ArrayLike) -> Detections:
        """Only the rows whose class is in ``class_ids``."""
        return self.filter(np.isin(self.class_id, np.asarray(class_ids)))


@dataclass(frozen=True, eq=False)
class Tracks:
    """Confirmed tracks of one frame, one row per track, in source-image pixels.

    Columns are coerced to their dtypes on construction and checked for equal
    length; ``track_id`` must be unique within the frame. ``age`` (frames
    since the track was born) and ``hits`` (detections matched to it) are
    optional and default to zeros.

    Example:
        >>> t = Tracks(xyxy=[[0, 0, 10, 20]], confidence=[0.9], class_id=[0], track_id=[7])
        >>> len(t), int(t.track_id[0]), t.xyxy.dtype.name
        (1, 7, 'float32')
    """

    xyxy: NDArray[np.float32]
    confidence: NDArray[np.float32]
    class_id: NDArray[np.int32]
    track_id: NDArray[np.int64]
    age: NDArray[np.int32]
    hits: NDArray[np.int32]

    def __init__(
        self,
        xyxy: ArrayLike,
        confidence: ArrayLike,
        class_id: ArrayLike,
        track_id: ArrayLike,
        age: ArrayLike | None = None,
        hits: ArrayLike | None = None,
    ) -> None:
        box = np.asarray(xyxy, dtype=np.float32)
        if box.size == 0:
            box = box.reshape(0, 4)
        if box.ndim != 2 or box.shape[1] != 4:
            raise ValueError(f"Tracks.xyxy: expected shape (N, 4), got {box.shape}")
        n = box.shape[0]
        zeros = np.zeros(n, dtype=np.int32)
        set_ = object.__setattr__
        set_(self, "xyxy", np.ascontiguousarray(box))
        set_(self, "confidence", _column("Tracks", "confidence", confidence, np.float32, (n,)))
        set_(self, "class_id", _column("Tracks", "class_id", class_id, np.int32, (n,)))
        set_(self, "track_id", _column("Tracks", "track_id", track_id, np.int64, (n,)))
        set_(self, "age", _column("Tracks", "age", zeros if age is None else age, np.int32, (n,)))
        set_(self, "hits", _column("Tracks", "hits", zeros if hits is None else hits, np.int32, (n,)))
        if n > 1 and np.unique(self.track_id).size != n:
            raise ValueError(f"Tracks.track_id: expected unique ids, got {self.track_id.tolist()}")

    def __len__(self) -> int:
        return int(self.xyxy.shape[0])

    def __repr__(self) -> str:
        return f"Tracks(n={len(self)}, track_id={self.track_id.tolist()}, class_id={self.class_id.tolist()})"

    @classmethod
    def empty(cls) -> Tracks:
        """No tracks."""
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(0, np.int64))

    def filter(self, mask: NDArray[np.bool_]) -> Tracks:
        """The rows where ``mask`` is true."""
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (len(self),):
            raise ValueError(f"Tracks.filter: expected a mask of shape ({len(self)},), got {mask.shape}")
        return Tracks(
            self.xyxy[mask], self.confidence[mask], self.class_id[mask], self.track_id[mask], self.age[mask], self.hits[mask]
        )

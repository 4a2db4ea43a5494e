"""The tracker settings of the deployment file (``edge.tracker``), discriminated by ``type``.

Pure data: ``edge.track.registry`` builds the tracker a config describes.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ByteTrackConfig(BaseModel):
    """Settings of the ByteTrack tracker; defaults suit 10-30 fps street scenes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["bytetrack"] = Field(default="bytetrack", title="Type", description="ByteTrack multi-object tracker")
    high_threshold: float = Field(
        default=0.5, gt=0, lt=1, title="High score",
        description="detections at or above this score are matched first",
    )
    low_threshold: float = Field(
        default=0.1, gt=0, lt=1, title="Low score",
        description="detections below this score are ignored",
    )
    new_track_threshold: float = Field(
        default=0.6, gt=0, lt=1, title="New track score",
        description="an unmatched detection starts a track only at or above this score",
    )
    match_iou: float = Field(
        default=0.2, gt=0, le=1, title="Match IoU",
        description="least IoU between a predicted track and a high-score detection; "
        "lower it when detection runs on few frames and objects move far between them",
    )
    low_match_iou: float = Field(
        default=0.5, gt=0, le=1, title="Low-score match IoU",
        description="least IoU between a tracked box and a low-score detection",
    )
    min_hits: int = Field(
        default=3, ge=1, title="Confirmation hits",
        description="detection frames that must match a new track before it is output",
    )
    tentative_misses: int = Field(
        default=1, ge=0, le=16, title="Misses before confirmation",
        description="detection frames a new track may miss before it is confirmed; one more ends it. "
        "1 confirms an object found on two frames of every three but not a false positive on every other frame; "
        "0 needs min_hits consecutive frames",
    )
    max_age: int = Field(
        default=30, ge=0, title="Lost frames",
        description="frames a confirmed track coasts without a match before it is removed",
    )
    max_tracks: int = Field(
        default=512, ge=1, title="Track limit",
        description="most tracks held at once; new ones are refused beyond it",
    )

    @model_validator(mode="after")
    def _ordered_thresholds(self) -> ByteTrackConfig:
        if not self.low_threshold < self.high_threshold <= self.new_track_threshold:
            raise ValueError(
                "expected low_threshold < high_threshold <= new_track_threshold, got "
                f"{self.low_threshold}, {self.high_threshold}, {self.new_track_threshold}"
            )
        return self


TrackerConfig = Annotated[ByteTrackConfig, Field(discriminator="type")]

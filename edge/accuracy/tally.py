"""The hand tally a node's counts are checked against: a small, versioned YAML file.

Per camera, per line, each crossing someone saw (the frame the feet were on
the line, and the direction in the node's convention); per zone, the number
of objects inside at chosen frames. Frames are indices into the video.

Example:
    >>> tally = Tally.model_validate({"tally_version": 1, "video": "vtest.avi", "frames": 10, "cameras": {
    ...     "cam-1": {"lines": {"gate": [{"frame": 3, "direction": "in"}]}, "zones": {"plaza": [{"frame": 5, "count": 2}]}}}})
    >>> tally.cameras["cam-1"].lines["gate"][0].direction
    'in'
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from citytwin import configfile
from contract.ids import Ident

# Far more than a person can tally by eye; bounds what a hostile file can make the scorer hold.
MAX_ENTRIES = 10_000
MAX_FRAMES = 10_000_000


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TalliedCrossing(_Closed):
    """One crossing seen by a person."""

    frame: int = Field(ge=0, lt=MAX_FRAMES, title="Frame", description="frame index at which the feet were on the line")
    direction: Literal["in", "out"] = Field(
        title="Direction", description="as edge.analytics.lines names it: in is from the left of A->B to the right"
    )


class TalliedOccupancy(_Closed):
    """How many objects a person counted inside a zone on one frame."""

    frame: int = Field(ge=0, lt=MAX_FRAMES, title="Frame", description="frame index of the count")
    count: int = Field(ge=0, le=10_000, title="Count", description="objects whose feet are inside the zone")


class CameraTally(_Closed):
    """Everything tallied for one camera."""

    lines: dict[Ident, list[TalliedCrossing]] = Field(
        default_factory=dict, max_length=256, title="Lines", description="line id -> every crossing of it"
    )
    zones: dict[Ident, list[TalliedOccupancy]] = Field(
        default_factory=dict, max_length=256, title="Zones", description="zone id -> counts at chosen frames"
    )


class Tally(_Closed):
    """A hand tally of one recorded video."""

    tally_version: Literal[1] = Field(title="Tally version", description="version of this file's format")
    video: str = Field(max_length=255, title="Video", description="file name of the video tallied, for people")
    frames: int = Field(gt=0, le=MAX_FRAMES, title="Frames", description="frames of the video that were tallied")
    cameras: dict[Ident, CameraTally] = Field(
        min_length=1, max_length=256, title="Cameras", description="camera id of the deployment -> its tally"
    )

    @model_validator(mode="after")
    def _bounded(self) -> Tally:
        entries: list[TalliedCrossing | TalliedOccupancy] = []
        for camera in self.cameras.values():
            for crossings in camera.lines.values():
                entries += crossings
            for counts in camera.zones.values():
                entries += counts
        if len(entries) > MAX_ENTRIES:
            raise ValueError(f"at most {MAX_ENTRIES} crossings and counts in all, got {len(entries)}")
        late = [e.frame for e in entries if e.frame >= self.frames]
        if late:
            raise ValueError(f"frames must be below frames ({self.frames}), got {sorted(late)[:5]}")
        return self


def load_tally(path: Path) -> Tally:
    """Validate a tally file; raises ``ConfigError`` naming the file and the key."""
    return configfile.load(path, Tally, environ={})

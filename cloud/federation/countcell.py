"""``CountCell``: the only record that crosses from a city to its region (schema version 2).

A cell is one aggregate: crossings of a line in one direction, or the peak
occupancy of a zone, in one time bucket. The model forbids extra fields, so a
record carrying an event id, a track id or a snapshot is refused on both
sides of the link rather than passed on. Every number is bounded so that any
valid cell fits the regional lake's columns; the region applies its own,
tighter limits on top (``cloud.federation.admission``). Version 2 made
``exported_at`` required and time-zone aware; cells travel signed
(``cloud.federation.signing``).

Example:
    >>> from datetime import datetime, timezone
    >>> cell = CountCell(city="ghent", camera="cam-1", kind="line", subject="gate", direction="in",
    ...                  bucket_start=datetime(2026, 1, 1, tzinfo=timezone.utc), bucket_s=900, value=12, k=5,
    ...                  exported_at=datetime(2026, 1, 1, 0, 17, tzinfo=timezone.utc))
    >>> cell.key
    'ghent/cam-1/line/gate/in/2026-01-01T00:00:00+00:00'
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from contract.ids import Ident

SCHEMA_VERSION = 2
# Hard limits, within the lake's column types (int32 for k and bucket_s); the region's own are tighter.
MAX_VALUE = 1_000_000_000
MAX_BUCKET_S = 7 * 86_400


class CountCell(BaseModel):
    """One aggregated, k-suppressed count for one bucket."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[2] = Field(2, title="Schema version")
    city: Ident = Field(title="City id")
    camera: Ident = Field(title="Camera id")
    kind: Literal["line", "zone"] = Field(title="Line or zone")
    subject: Ident = Field(title="Line or zone id")
    direction: Literal["in", "out"] | None = Field(None, title="Crossing direction (lines only)")
    bucket_start: AwareDatetime = Field(title="Bucket start (UTC)")
    bucket_s: int = Field(gt=0, le=MAX_BUCKET_S, title="Bucket length in seconds")
    value: int = Field(ge=0, le=MAX_VALUE, title="Crossings (lines) or peak occupancy (zones)")
    k: int = Field(ge=1, le=MAX_VALUE, title="Suppression threshold the city applied")
    exported_at: AwareDatetime = Field(title="When the city exported it")

    @field_validator("bucket_start", "exported_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        # One instant, one spelling: "+01:00" and "Z" for the same bucket must not make two cell keys.
        try:
            return value.astimezone(timezone.utc)
        except OverflowError:
            raise ValueError("is out of range once converted to UTC") from None

    @model_validator(mode="after")
    def _consistent(self) -> CountCell:
        if (self.kind == "line") != (self.direction is not None):
            raise ValueError("a line cell has a direction and a zone cell has none")
        if self.value < self.k:
            raise ValueError(f"value {self.value} is below the suppression threshold k={self.k}")
        return self

    @property
    def metric(self) -> str:
        return "crossings" if self.kind == "line" else "peak_occupancy"

    @property
    def key(self) -> str:
        """Identity of the cell: a later export of the same bucket replaces the earlier one."""
        return "/".join([self.city, self.camera, self.kind, self.subject, self.direction or "-", self.bucket_start.isoformat()])

"""``CountCell``: the only record that crosses from a city to its region (schema version 3).

A cell is one aggregate in one time bucket: crossings of a line in one
direction, the peak occupancy of a zone, or the objects in one cell of a
camera's ground heatmap. A heatmap cell is placed by its centre in WGS84,
rounded to ``POSITION_DECIMALS`` (so the region needs no calibration), and
its side ``cell_m``, never finer than the contract's ``MIN_HEATMAP_CELL_M``;
its value is the sum over the bucket of each interval's distinct objects in
that cell (object-intervals, not people). The model forbids extra fields, so a
record carrying an event id, a track id or a snapshot is refused on both
sides of the link rather than passed on. Every number is bounded so that any
valid cell fits the regional lake's columns; the region applies its own,
tighter limits on top (``cloud.federation.admission``). Version 2 made
``exported_at`` required and time-zone aware; version 3 added heatmap cells
(``cell_m``, ``lat``, ``lon``). A version 2 cell is still a valid line or zone
cell; only version 3 may be a heatmap cell. Cells travel signed
(``cloud.federation.signing``).

Example:
    >>> from datetime import datetime, timezone
    >>> cell = CountCell(city="ghent", camera="cam-1", kind="line", subject="gate", direction="in",
    ...                  bucket_start=datetime(2026, 1, 1, tzinfo=timezone.utc), bucket_s=900, value=12, k=5,
    ...                  exported_at=datetime(2026, 1, 1, 0, 17, tzinfo=timezone.utc))
    >>> cell.key
    'ghent/cam-1/line/gate/in/2026-01-01T00:00:00+00:00'
    >>> heat = CountCell(city="ghent", camera="cam-1", kind="heatmap", cell_m=10.0, lat=51.05, lon=3.72,
    ...                  bucket_start=datetime(2026, 1, 1, tzinfo=timezone.utc), bucket_s=900, value=12, k=5,
    ...                  exported_at=datetime(2026, 1, 1, 0, 17, tzinfo=timezone.utc))
    >>> heat.key
    'ghent/cam-1/heatmap/10.0m@51.050000,3.720000/-/2026-01-01T00:00:00+00:00'
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from contract.ids import MAX_HEATMAP_CELL_M, MIN_HEATMAP_CELL_M, Ident

SCHEMA_VERSION: Literal[3] = 3
HEATMAP_SINCE = 3  # the first schema version with heatmap cells
# A heatmap cell's centre is rounded to 1e-6 degrees (about 0.1 m): finer than any cell, so cells stay apart.
POSITION_DECIMALS = 6
# Hard limits, within the lake's column types (int32 for k and bucket_s); the region's own are tighter.
MAX_VALUE = 1_000_000_000
MAX_BUCKET_S = 7 * 86_400


class CountCell(BaseModel):
    """One aggregated, k-suppressed count for one bucket."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[2, 3] = Field(SCHEMA_VERSION, title="Schema version")
    city: Ident = Field(title="City id")
    camera: Ident = Field(title="Camera id")
    kind: Literal["line", "zone", "heatmap"] = Field(title="Line, zone or heatmap cell")
    subject: Ident | None = Field(None, title="Line or zone id (none for a heatmap cell)")
    direction: Literal["in", "out"] | None = Field(None, title="Crossing direction (lines only)")
    cell_m: float | None = Field(
        None, ge=MIN_HEATMAP_CELL_M, le=MAX_HEATMAP_CELL_M, title="Heatmap cell side in metres (heatmap cells only)"
    )
    lat: float | None = Field(None, ge=-90, le=90, title="Latitude of the heatmap cell's centre (heatmap cells only)")
    lon: float | None = Field(None, ge=-180, le=180, title="Longitude of the heatmap cell's centre (heatmap cells only)")
    bucket_start: AwareDatetime = Field(title="Bucket start (UTC)")
    bucket_s: int = Field(gt=0, le=MAX_BUCKET_S, title="Bucket length in seconds")
    value: int = Field(
        ge=0, le=MAX_VALUE, title="Crossings (lines), peak occupancy (zones) or object-intervals (heatmap cells)"
    )
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

    @field_validator("lat", "lon")
    @classmethod
    def _one_zero(cls, value: float | None) -> float | None:
        # -0.0 and 0.0 are one place: they must not spell two cell keys.
        return None if value is None else value + 0.0

    @model_validator(mode="after")
    def _consistent(self) -> CountCell:
        if (self.kind == "line") != (self.direction is not None):
            raise ValueError("a line cell has a direction and a zone or heatmap cell has none")
        heatmap = self.kind == "heatmap"
        if heatmap != (self.subject is None):
            raise ValueError("a line or zone cell has a subject and a heatmap cell has none")
        placed = [self.cell_m, self.lat, self.lon]
        if placed != [None] * 3 and (not heatmap or None in placed):
            raise ValueError("a heatmap cell has cell_m, lat and lon, and a line or zone cell has none of them")
        if heatmap and self.schema_version < HEATMAP_SINCE:
            raise ValueError(f"heatmap cells are schema version {HEATMAP_SINCE} or later")
        if heatmap and any(round(v, POSITION_DECIMALS) != v for v in (self.lat, self.lon) if v is not None):
            raise ValueError(f"a heatmap cell's lat and lon are rounded to {POSITION_DECIMALS} decimals")
        if self.value < self.k:
            raise ValueError(f"value {self.value} is below the suppression threshold k={self.k}")
        return self

    @property
    def metric(self) -> str:
        return {"line": "crossings", "zone": "peak_occupancy", "heatmap": "objects"}[self.kind]

    @property
    def place(self) -> str:
        """What the cell is about: the line or zone id, or a heatmap cell's size and rounded centre."""
        if self.subject is not None:
            return self.subject
        return f"{self.cell_m!r}m@{self.lat:.{POSITION_DECIMALS}f},{self.lon:.{POSITION_DECIMALS}f}"

    @property
    def key(self) -> str:
        """Identity of the cell: a later export of the same bucket replaces the earlier one."""
        return "/".join([self.city, self.camera, self.kind, self.place, self.direction or "-", self.bucket_start.isoformat()])

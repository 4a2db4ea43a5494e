"""The deployment's ``cloud.rollups`` section: how often the sink brings the rollups up to date with the lake."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RollupSettings(BaseModel):
    """The reconciler that each sink runs on a schedule (``cloud.rollup.reconcile``)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, title="Enabled", description="recompute the rollups of changed hours on a schedule")
    interval_s: float = Field(
        30.0, gt=0, le=86_400, title="Interval", description="seconds between passes; each recomputes the closed hours whose files changed"
    )
    open_hour_every_s: float = Field(
        0.0, ge=0, le=86_400, title="Open hour every",
        description="an hour not yet closed (its end plus a minute) is made again at most this often (0: every pass); "
                    "each time costs what arrived since the last, and readers read raw only the minutes after it",
    )
    max_hours_per_pass: int = Field(
        48, ge=1, le=100_000, title="Hours per pass",
        description="raw hours recomputed in one pass at most, oldest first; the rest wait for the next pass",
    )

"""The twin's sections of the deployment file: ``lake``, ``cloud.twin`` for its trusted connection, ``cloud.sql`` for the SQL that people type.

The project's own queries run on the twin's trusted connection under
``TwinSettings``; typed SQL (``citytwin query``, the cockpit console) runs in
the sandbox (``sandbox.py``) under ``SqlSettings``.

Example:
    >>> SqlSettings(memory_limit_mb=256).memory_limit_mb
    256
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from citytwin.paths import cache_dir


class SqlSettings(BaseModel):
    """How long typed SQL may run, how much it may use, and how much of its result comes back."""

    model_config = ConfigDict(extra="forbid")

    timeout_s: float = Field(10.0, gt=0, le=3600, title="Time limit", description="seconds before a query is interrupted")
    max_rows: int = Field(
        10_000, ge=1, le=1_000_000, title="Row limit", description="rows returned; the rest is cut and the result marked truncated",
    )
    max_result_mb: float = Field(
        16.0, gt=0, le=1024, title="Result bytes",
        description="MiB of values returned; the rows beyond are cut and the result marked truncated",
    )
    max_cell_kb: float = Field(
        256.0, gt=0, le=65_536, title="Value bytes",
        description="KiB one value may hold; a query returning a larger one is refused, naming its row and column",
    )
    memory_limit_mb: int = Field(
        1024, ge=64, title="Memory limit",
        description="MiB of DuckDB memory for typed SQL; beyond it, queries spill, then fail with a clear error",
    )
    threads: int = Field(2, ge=1, le=256, title="Threads", description="DuckDB threads that typed SQL may use")
    spill_dir: Path | None = Field(
        None, title="Private folder",
        description="folder in which a private subfolder holds the sandbox's read-only catalog and spill files; "
        "default: the system's temporary folder. Never inside the lake",
    )
    max_spill_mb: int = Field(
        1024, ge=0, title="Spill limit", description="MiB that typed SQL may spill to the private folder before a query fails",
    )
    statement_allowlist: bool = Field(
        True, title="Statement allowlist",
        description="refuse anything but one SELECT or a plain EXPLAIN of one before DuckDB runs it; an extra layer, "
        "since the sandbox alone can change no table, file or setting (without it, queries do not spill)",
    )

    @property
    def spill_mb(self) -> int:
        """MiB a query may spill: none without the statement allowlist.

        DuckDB lets every statement write files into its spill folder (it adds
        that folder to the allowed directories), so a ``COPY ... TO`` there could
        fill the disk or overwrite another query's spilled data; only the
        allowlist, which refuses ``COPY`` and ``EXPORT``, makes a spill folder safe.
        """
        return self.max_spill_mb if self.statement_allowlist else 0


class LakeSettings(BaseModel):
    """Where the Parquet lake lives."""

    model_config = ConfigDict(extra="forbid")

    path: Path = Field(title="Lake path", description="root folder of the Parquet lake, shared by the sink and the twin")


# The operators' decisions, outside the lake: the cockpit writes them, so it needs the lake read-only.
DECISION_LOG = Path("decisions") / "decisions.jsonl"


def default_decision_log(lake: Path) -> Path:
    """Where the cockpit appends operators' decisions unless ``rules.decisions`` says otherwise: beside the lake."""
    return lake.parent / DECISION_LOG


class TwinSettings(BaseModel):
    """What the twin's trusted connection may use, whatever the size of the lake."""

    model_config = ConfigDict(extra="forbid")

    memory_limit_mb: int = Field(
        512, ge=64, title="Memory limit",
        description="MiB of DuckDB memory for the project's own queries (screen, rules, federation); beyond it they spill",
    )
    threads: int = Field(2, ge=1, le=256, title="Threads", description="DuckDB threads for the project's own queries")
    spill_dir: Path | None = Field(
        None, title="Spill folder",
        description="folder in which a private subfolder takes the trusted connection's spill files; "
        "default: the system's temporary folder. Never inside the lake",
    )
    max_spill_mb: int = Field(
        4096, ge=0, title="Spill limit", description="MiB the trusted connection may spill before a query fails",
    )
    state_dir: Path = Field(
        default_factory=lambda: cache_dir() / "twin", title="State folder",
        description="folder, outside the lake, where the verdicts on lake files are kept so that each file is "
        "judged once in its life and every twin process opens without reading footers; shared by the machine's twins",
    )

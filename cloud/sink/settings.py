"""The deployment's ``cloud.sink`` and ``cloud.compaction`` sections: how the sink batches and compacts the lake."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from cloud.kafka.settings import MiB


class SinkSettings(BaseModel):
    """The Kafka to Parquet sink."""

    model_config = ConfigDict(extra="forbid")

    group: str = Field("citytwin-sink", min_length=1, title="Consumer group", description="Kafka consumer group of the sinks")
    batch_max_records: int = Field(100_000, ge=1, title="Batch records", description="write when this many records are held")
    batch_max_bytes: int = Field(64 * MiB, ge=1024, title="Batch bytes", description="write when this many payload bytes are held")
    batch_max_wait_s: float = Field(
        5.0, gt=0, title="Batch wait", description="write at the latest this long after the oldest held record arrived"
    )
    zstd_level: int = Field(3, ge=1, le=22, title="zstd level", description="Parquet compression level")
    report_interval_s: float = Field(10.0, gt=0, title="Report interval", description="seconds between throughput lines")


class CompactionSettings(BaseModel):
    """Merging of small Parquet files, run by each sink over the partitions it owns."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, title="Enabled", description="compact small files on a schedule")
    interval_s: float = Field(600.0, gt=0, title="Interval", description="seconds between compaction runs")
    min_age_s: float = Field(300.0, ge=0, title="Minimum age", description="leave files younger than this alone")
    min_files: int = Field(4, ge=2, title="Minimum files",
                           description="merge only when at least this many files of one size tier qualify; each tier "
                                       "holds files this many times larger than the one below")
    target_mb: float = Field(128.0, gt=0, title="Target size", description="merged files stop growing at about this size")

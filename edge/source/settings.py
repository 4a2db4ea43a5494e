"""A camera's ``source`` in the deployment file: a recorded file or a live stream, discriminated by ``type``.

Pure data: ``edge.source.registry`` opens the source a config describes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class FileSourceConfig(BaseModel):
    """A recorded file; capture times come from stream time so replays repeat exactly."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["file"] = Field("file", title="Type", description="recorded video file")
    path: Path = Field(title="Path", description="video file to replay (any format OpenCV/FFmpeg decodes)")
    realtime: bool = Field(
        False,
        title="Real time",
        description="pace frames at the file's native rate, as a camera would; false replays as fast as possible",
    )
    loop: bool = Field(False, title="Loop", description="start again at the end, with capture time continuing")
    start_time: AwareDatetime | None = Field(
        None,
        title="Start time",
        description="capture time of the first frame (UTC); default: now for a real-time replay (an emulated live "
        "camera), else the start of the UTC day on which the replay, ending now, began, so that fast replays on the "
        "same day repeat exactly and stay within the bridge's clock window",
    )


class StreamSourceConfig(BaseModel):
    """A network stream (rtsp://, http://) or a local camera (/dev/video0 or an index)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["stream"] = Field("stream", title="Type", description="network stream or local camera")
    url: str = Field(
        title="URL or device",
        description="rtsp:// or http(s):// URL, a V4L2 device path such as /dev/video0, or a camera index such as 0",
    )
    reconnect_initial_s: float = Field(0.5, gt=0, title="First retry delay", description="seconds before the first reconnect")
    reconnect_max_s: float = Field(30.0, gt=0, title="Longest retry delay", description="cap of the exponential backoff")
    max_failures: int = Field(
        0, ge=0, title="Give up after", description="consecutive failed reconnects before stopping; 0 retries forever"
    )


SourceConfig = Annotated[FileSourceConfig | StreamSourceConfig, Field(discriminator="type")]

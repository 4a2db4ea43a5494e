"""The edge node's view of the deployment file: site, broker, cameras and pipeline settings.

The same YAML file configures the cloud services; their sections (``kafka``,
``lake``, ``cloud``) are left to ``cloud.config`` and only checked here to be
mappings, so that a typo at the top level is still caught.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from citytwin import configfile
from citytwin.errors import ConfigError
from contract.ids import Ident
from contract.site import CameraSpec, SiteSpec, duplicated, node_id
from contract.vocab import ObjectClass
from edge.detect.nanodet import NanoDetConfig
from edge.detect.registry import DetectorConfig
from edge.publish.mqtt import MqttPublisherConfig
from edge.source.registry import SourceConfig
from edge.track.bytetrack import ByteTrackConfig
from edge.track.registry import TrackerConfig


STREET_CLASSES: tuple[ObjectClass, ...] = ("person", "bicycle", "car", "motorcycle", "bus", "truck", "boat")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MotionGate(_Section):
    """Skip detection on frames without motion; the tracker coasts meanwhile."""

    enabled: bool = Field(False, title="Enabled", description="detect only when the scene changes")
    threshold: float = Field(
        0.002, gt=0, lt=1, title="Threshold", description="fraction of pixels that must change to count as motion"
    )
    max_skip: int = Field(
        25, ge=1, title="Longest skip", description="detect at least every this many frames even without motion"
    )


class SnapshotSettings(_Section):
    """Opt-in anonymised stills; off by default so that no pixels leave the node."""

    enabled: bool = Field(False, title="Enabled", description="publish anonymised snapshots")
    interval_s: float = Field(60.0, gt=0, title="Interval", description="seconds between snapshots")
    jpeg_quality: int = Field(80, ge=10, le=100, title="JPEG quality", description="encoder quality")
    face_model: Path = Field(Path("centerface.onnx"), title="Face model", description="CenterFace ONNX file, absolute or relative to the models folder")
    face_threshold: float = Field(0.3, gt=0, lt=1, title="Face threshold", description="CenterFace score that counts as a face to blur")


class EdgeSettings(_Section):
    """Pipeline settings shared by every camera of the deployment."""

    detector: DetectorConfig = Field(default_factory=NanoDetConfig, title="Detector", description="detector plugin and its settings")
    tracker: TrackerConfig = Field(default_factory=ByteTrackConfig, title="Tracker", description="tracker plugin and its settings")
    detect_every: int = Field(1, ge=1, title="Detect every", description="run the detector on every Nth frame; the tracker coasts between")
    motion: MotionGate = Field(default_factory=MotionGate, title="Motion gate", description="skip detection on still frames")
    classes: list[ObjectClass] = Field(
        default_factory=lambda: list(STREET_CLASSES),
        title="Classes",
        description="object classes that are tracked and counted; COCO-80 names, the only ones events may carry",
    )
    anchor: Literal["bottom_center", "center"] = Field(
        "bottom_center", title="Anchor", description="point of a box that crosses lines and sits in zones"
    )
    health_interval_s: float = Field(10.0, gt=0, title="Health interval", description="seconds between node_health events")
    count_interval_s: float = Field(60.0, gt=0, title="Count interval", description="seconds of stream time per count event")
    snapshots: SnapshotSettings = Field(default_factory=SnapshotSettings, title="Snapshots", description="opt-in anonymised stills")


class EdgeCamera(CameraSpec):
    """A camera with the source the edge node reads it from."""

    source: SourceConfig = Field(title="Source", description="recorded file, network stream or local camera")
    node: Ident | None = Field(None, title="Node id", description="edge node id; default '{site}-{camera}'")


class EdgeDeployment(_Section):
    """The whole deployment file as an edge node validates it."""

    site: SiteSpec = Field(title="Site", description="the site and its plan")
    mqtt: MqttPublisherConfig = Field(default_factory=MqttPublisherConfig, title="MQTT", description="broker the edge publishes to")
    edge: EdgeSettings = Field(default_factory=EdgeSettings, title="Edge", description="pipeline settings")
    cameras: list[EdgeCamera] = Field(min_length=1, title="Cameras", description="the cameras of the site")
    kafka: dict[str, Any] | None = Field(None, title="Kafka", description="cloud setting, see cloud.config")
    lake: dict[str, Any] | None = Field(None, title="Lake", description="cloud setting, see cloud.config")
    cloud: dict[str, Any] | None = Field(None, title="Cloud", description="cloud setting, see cloud.config")
    rules: dict[str, Any] | None = Field(None, title="Rules", description="cloud setting, see cloud.rules.settings")
    retention: dict[str, Any] | None = Field(None, title="Retention", description="cloud setting, see cloud.governance")
    federation: dict[str, Any] | None = Field(None, title="Federation", description="cloud setting, see cloud.federation")
    audit: dict[str, Any] | None = Field(None, title="Audit", description="cloud setting, see cloud.governance")
    residency: dict[str, Any] | None = Field(None, title="Residency", description="cloud setting, see cloud.governance")

    @model_validator(mode="after")
    def _unique_cameras(self) -> EdgeDeployment:
        dupes = duplicated(camera.id for camera in self.cameras)
        if dupes:
            raise ValueError(f"duplicate camera ids: {', '.join(dupes)}")
        shared = duplicated(self.node_id(camera) for camera in self.cameras)
        if shared:
            raise ValueError(f"cameras share node ids {', '.join(shared)}; each camera needs a node of its own")
        return self

    def camera(self, camera_id: str | None) -> EdgeCamera:
        """The camera to run; with no id, the only one configured."""
        if camera_id is None:
            if len(self.cameras) > 1:
                ids = ", ".join(c.id for c in self.cameras)
                raise ConfigError(f"the config has several cameras ({ids}); choose one with --camera")
            return self.cameras[0]
        for camera in self.cameras:
            if camera.id == camera_id:
                return camera
        ids = ", ".join(c.id for c in self.cameras)
        raise ConfigError(f"camera {camera_id!r} is not in the config; configured: {ids}")

    def node_id(self, camera: EdgeCamera) -> str:
        return node_id(self.site.id, camera.id, camera.node)


def load(path: Path | str) -> EdgeDeployment:
    """Validate a deployment file for the edge; raises ``ConfigError`` naming the key."""
    return configfile.load(path, EdgeDeployment)

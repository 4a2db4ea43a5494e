"""The deployment file: one model of every section, loaded once per process and handed to what runs.

One YAML file configures a site's edge nodes and its cloud services. Each
section is declared by a leaf settings module next to the code it configures
(``edge.runtime.settings``, ``cloud.kafka.settings``, ``cloud.rules.settings``,
...); those import only pydantic, the standard library and ``contract``, so
loading a deployment imports no model runtime, SQL engine or Kafka client. A
typo anywhere is reported with its file and key, and any value can be
overridden from the environment, e.g. ``CITYTWIN_CFG__KAFKA__BOOTSTRAP=127.0.0.1:19092``.

The command line loads the file for every command that takes ``-c`` and passes
the result down as ``args.deployment``; nothing else reads the file again.

Example:
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "site.yaml"
    >>> _ = path.write_text("site: {id: campus, name: Campus, width_m: 10, height_m: 10}\\n"
    ...                     "lake: {path: /tmp/lake}\\n")
    >>> load(path, environ={"CITYTWIN_CFG__KAFKA__PARTITIONS": "6"}).kafka.partitions
    6
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from citytwin import configfile
from citytwin.errors import ConfigError
from citytwin.metrics_settings import MetricsSettings
from citytwin.terminal import safe
from cloud.audit.settings import AuditSettings, ResidencySettings, RetentionSettings, inside
from cloud.bridge.settings import BridgeSettings
from cloud.cockpit.settings import CockpitSettings
from cloud.export.settings import Exporters
from cloud.federation.settings import FederationSettings
from cloud.kafka.settings import KafkaSettings
from cloud.rollup.settings import RollupSettings
from cloud.rules.settings import RulesSettings
from cloud.sink.settings import CompactionSettings, SinkSettings
from cloud.twin.settings import LakeSettings, SqlSettings, TwinSettings
from contract.ids import Ident
from contract.site import CameraSpec, SiteSpec, duplicated, node_id
from edge.publish.settings import MqttPublisherConfig
from edge.runtime.settings import EdgeSettings
from edge.source.settings import SourceConfig

# Where the lake is taken to be when a file has no ``lake`` section: only tools that read the site need no lake.
DEFAULT_LAKE = Path(".run/lake")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CloudSettings(_Section):
    """Settings of the cloud services."""

    bridge: BridgeSettings = Field(default_factory=BridgeSettings, title="Bridge", description="MQTT to Kafka bridge")
    sink: SinkSettings = Field(default_factory=SinkSettings, title="Sink", description="Kafka to Parquet sink")
    compaction: CompactionSettings = Field(
        default_factory=CompactionSettings, title="Compaction", description="merging of small Parquet files"
    )
    rollups: RollupSettings = Field(
        default_factory=RollupSettings, title="Rollups",
        description="how often each sink recomputes the rollups of hours whose raw files changed",
    )
    sql: SqlSettings = Field(
        default_factory=SqlSettings, title="SQL limits",
        description="time, memory, threads and result size of the SQL people type (cockpit console, citytwin query)",
    )
    twin: TwinSettings = Field(
        default_factory=TwinSettings, title="Twin",
        description="memory, threads and spill folder of the twin's own queries (screen, rules, federation)",
    )
    exporters: Exporters = Field(
        default_factory=dict, title="Exporters",
        description="named exporters to standards-based platforms (type sensorthings or ngsild), run by `citytwin export`; "
        "nothing is exported if none is configured",
    )


class Camera(CameraSpec):
    """A camera: identity and geometry, the node that speaks for it, and the source that node reads."""

    source: SourceConfig | None = Field(
        None, title="Source", description="recorded file, network stream or local camera; needed by the edge node only"
    )
    node: Ident | None = Field(None, title="Node id", description="edge node id; default '{site}-{camera}'")


class Deployment(_Section):
    """The whole deployment file."""

    site: SiteSpec = Field(title="Site", description="the site and its plan")
    mqtt: MqttPublisherConfig = Field(
        default_factory=MqttPublisherConfig, title="MQTT", description="broker the edge nodes publish to and the bridge reads"
    )
    kafka: KafkaSettings = Field(default_factory=KafkaSettings, title="Kafka", description="cluster and topics")
    lake: LakeSettings | None = Field(None, title="Lake", description="the Parquet lake; required by the cloud services")
    cloud: CloudSettings = Field(default_factory=CloudSettings, title="Cloud", description="service settings")
    edge: EdgeSettings = Field(default_factory=EdgeSettings, title="Edge", description="pipeline settings of the edge nodes")
    cameras: list[Camera] = Field(default_factory=list, title="Cameras", description="the cameras of the site")
    rules: RulesSettings = Field(default_factory=RulesSettings, title="Rules", description="alert rules and where alerts go")
    retention: RetentionSettings = Field(
        default_factory=RetentionSettings, title="Retention", description="how long each dataset is kept"
    )
    audit: AuditSettings = Field(default_factory=AuditSettings, title="Audit", description="the tamper-evident audit log")
    residency: ResidencySettings = Field(
        default_factory=ResidencySettings, title="Residency", description="where the data physically lives"
    )
    cockpit: CockpitSettings = Field(
        default_factory=CockpitSettings, title="Cockpit", description="operators' screen: sessions, login throttle, failed-login audit"
    )
    metrics: MetricsSettings = Field(
        default_factory=MetricsSettings, title="Metrics",
        description="each service's Prometheus /metrics port (0, the default, for none) and the address they bind",
    )
    federation: FederationSettings | None = Field(
        None, title="Federation", description="aggregated counts published to a regional twin; nothing leaves the city if unset"
    )

    @model_validator(mode="before")
    @classmethod
    def _empty_sections_are_absent(cls, data: Any) -> Any:
        # `edge:` with nothing under it is YAML's null: the section's defaults, as when the key is left out.
        return {k: v for k, v in data.items() if v is not None} if isinstance(data, dict) else data

    @model_validator(mode="after")
    def _one_node_per_camera(self) -> Deployment:
        # One node id for two cameras would let one node's credentials speak for both.
        for kind, ids in (("camera ids", [c.id for c in self.cameras]), ("node ids", list(self.node_ids().values()))):
            dupes = duplicated(ids)
            if dupes:
                raise ValueError(f"cameras: duplicate {kind}: {', '.join(dupes)}; each camera needs its own id and node")
        return self

    @model_validator(mode="after")
    def _anchors_outside_the_lake(self) -> Deployment:
        # Retention prunes the lake and every reader of the lake could see the file: anchors belong elsewhere.
        if self.audit.anchor_path is not None and inside(self.audit.anchor_path, self.lake_dir):
            raise ValueError(f"audit.anchor_path: {self.audit.anchor_path} is inside the lake {self.lake_dir}; "
                             "put the anchor file outside it, e.g. next to the audit log")
        return self

    @property
    def lake_dir(self) -> Path:
        """The lake folder (``.run/lake`` for a file without a lake section, which only site tools accept)."""
        return self.lake.path if self.lake is not None else DEFAULT_LAKE

    def node_ids(self) -> dict[str, str]:
        """Camera id -> the id of the edge node that speaks for it."""
        return {c.id: self.node_id(c) for c in self.cameras}

    def node_id(self, camera: Camera) -> str:
        return node_id(self.site.id, camera.id, camera.node)

    def camera(self, camera_id: str | None) -> Camera:
        """The camera an edge node runs; with no id, the only one configured."""
        ids = ", ".join(c.id for c in self.cameras)
        if camera_id is None:
            if len(self.cameras) != 1:
                raise ConfigError(f"the config has several cameras ({ids}); choose one with --camera" if self.cameras
                                  else "the config has no cameras; add one under cameras, with its source")
            return self.cameras[0]
        for camera in self.cameras:
            if camera.id == camera_id:
                return camera
        raise ConfigError(f"camera {camera_id!r} is not in the config; configured: {ids}")

    def source(self, camera: Camera) -> SourceConfig:
        """The source an edge node reads ``camera`` from; only the edge needs one."""
        if camera.source is None:
            index = self.cameras.index(camera)
            raise ConfigError(f"cameras[{index}].source: camera {camera.id!r} has no source; "
                              "give the file or stream its edge node reads, e.g. source: {type: file, path: video.mp4}")
        return camera.source


def load(path: Path | str, environ: Mapping[str, str] | None = None, *, lake: bool = False) -> Deployment:
    """Validate a deployment file; with ``lake``, the ``lake`` section is required. Raises ``ConfigError`` naming the key."""
    deployment = configfile.load(path, Deployment, environ)
    if lake and deployment.lake is None:
        raise ConfigError(f"{safe(str(path))}: 1 problem(s) in the configuration:\n  lake: Field required")
    return deployment

"""The site registry part of a deployment file, for cloud tools that need only that.

The full cloud configuration (brokers, lake, services) lives in
``cloud.config``; this reads just the site, its cameras and where the lake is,
so that the twin's tools work from the same file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from citytwin import configfile
from citytwin.errors import ConfigError
from cloud.twin.lake import default_decision_log
from contract.site import CameraSpec, SiteSpec, duplicated, node_id


class _Registry(BaseModel):
    model_config = ConfigDict(extra="allow")

    site: SiteSpec
    cameras: list[dict[str, Any]]
    lake: dict[str, Any] | None = None
    rules: dict[str, Any] | None = None


@dataclass(frozen=True)
class SiteRegistry:
    """A site, its cameras (geometry only), each camera's node id, the lake folder and the operators' decisions log."""

    site: SiteSpec
    cameras: list[CameraSpec]
    nodes: dict[str, str]
    lake: Path
    decisions: Path


def load_site(path: Path | str, default_lake: Path = Path(".run/lake")) -> SiteRegistry:
    """Read the registry from a deployment file; raises ``ConfigError`` naming the key."""
    doc = configfile.load(path, _Registry)
    cameras = []
    for index, raw in enumerate(doc.cameras):
        geometry = {k: v for k, v in raw.items() if k in CameraSpec.model_fields}
        try:
            cameras.append(CameraSpec.model_validate(geometry))
        except ValueError as exc:
            raise ConfigError(f"{path}: cameras[{index}]: {exc}") from None
    nodes = {str(c["id"]): node_id(doc.site.id, str(c["id"]), c.get("node")) for c in doc.cameras}
    shared = duplicated(nodes.values())
    if shared:
        # One node id for two cameras would let one node's credentials speak for both.
        raise ConfigError(f"{path}: cameras: node ids {', '.join(shared)} are used by more than one camera")
    lake = Path(str((doc.lake or {}).get("path", default_lake)))
    decisions = (doc.rules or {}).get("decisions")
    return SiteRegistry(doc.site, cameras, nodes, lake, Path(str(decisions)) if decisions else default_decision_log(lake))

"""The edge's view of a deployment file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from citytwin.deployment import Deployment, load
from citytwin.errors import ConfigError
from citytwin.paths import REPO_ROOT

BASE = {
    "site": {"id": "s", "name": "S", "width_m": 10, "height_m": 10},
    "cameras": [{"id": "cam-1", "map": {"x_m": 1, "y_m": 1}, "source": {"type": "file", "path": "v.avi"}}],
}


def write(tmp_path: Path, doc: dict) -> Path:  # type: ignore[type-arg]
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_the_demo_site_is_valid() -> None:
    deployment = load(REPO_ROOT / "deploy" / "demo-site.yaml")
    assert [c.id for c in deployment.cameras] == ["cam-1", "cam-2", "cam-3"]
    assert deployment.node_id(deployment.cameras[0]) == "campus-cam-1"


def test_defaults_are_privacy_first(tmp_path: Path) -> None:
    deployment = load(write(tmp_path, BASE))
    assert deployment.edge.snapshots.enabled is False
    assert deployment.edge.detector.type == "nanodet"
    assert deployment.edge.tracker.type == "bytetrack"


def _with_camera(**changes: object) -> dict:  # type: ignore[type-arg]
    camera = {**BASE["cameras"][0], **changes}  # type: ignore[dict-item]
    return {**BASE, "cameras": [camera]}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (_with_camera(lines=[{"id": "l", "points": [[1, 1], [1, 1]]}]), "cameras[0].lines[0].points: a counting line needs two different points"),
        (_with_camera(zones=[{"id": "z", "polygon": [[0, 0], [1, 1]]}]), "cameras[0].zones[0].polygon: a zone polygon needs at least 3 corners"),
        (_with_camera(source={"type": "webcam", "path": "x"}), "cameras[0].source"),
        (_with_camera(id="Cam 1"), "cameras[0].id"),
        ({**BASE, "edge": {"detector": {"type": "nanodet", "treshold": 0.3}}}, "edge.detector.nanodet.treshold: unknown setting"),
        ({**BASE, "edge": {"detect_every": 0}}, "edge.detect_every"),
        ({**BASE, "cameras": BASE["cameras"] * 2}, "duplicate camera ids: cam-1"),
        ({**BASE, "kafak": {}}, "kafak: unknown setting"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, doc: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError) as exc:
        load(write(tmp_path, doc))
    assert message in str(exc.value)


def test_choosing_a_camera(tmp_path: Path) -> None:
    two = {**BASE, "cameras": [BASE["cameras"][0], {**BASE["cameras"][0], "id": "cam-2"}]}
    deployment = Deployment.model_validate(two)
    assert deployment.camera("cam-2").id == "cam-2"
    with pytest.raises(ConfigError, match="choose one with --camera"):
        deployment.camera(None)
    with pytest.raises(ConfigError, match="camera 'cam-9' is not in the config; configured: cam-1, cam-2"):
        deployment.camera("cam-9")


def test_a_camera_without_a_source_is_refused_when_a_node_runs_it(tmp_path: Path) -> None:
    deployment = load(write(tmp_path, _with_camera(source=None)))  # the cloud services need no source
    with pytest.raises(ConfigError, match=r"cameras\[0\]\.source: camera 'cam-1' has no source"):
        deployment.source(deployment.camera(None))

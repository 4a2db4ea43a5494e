"""The deployment file as the cloud services use it: the demo file loads, errors name the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import BaseModel

from citytwin import deployment
from citytwin.errors import ConfigError
from citytwin.paths import REPO_ROOT

DEMO = REPO_ROOT / "deploy" / "demo-site.yaml"
MINIMAL = "site: {id: campus, name: Campus, width_m: 10, height_m: 10}\nlake: {path: /tmp/lake}\n"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(text)
    return path


def test_the_demo_file_loads() -> None:
    cfg = deployment.load(DEMO, environ={})
    assert cfg.kafka.topics.events == "citytwin.events"
    assert cfg.kafka.bootstrap == "kafka:9092"
    assert [c.id for c in cfg.cameras] == ["cam-1", "cam-2", "cam-3"]


def test_defaults_fill_everything_but_site_and_lake(tmp_path: Path) -> None:
    cfg = deployment.load(_write(tmp_path, MINIMAL), environ={})
    assert (cfg.mqtt.port, cfg.kafka.topics.dlq, cfg.cloud.bridge.topic_prefix) == (1883, "citytwin.dlq", "citytwin")
    assert cfg.cloud.bridge.share_group is None


def test_environment_overrides_any_setting(tmp_path: Path) -> None:
    env = {"CITYTWIN_CFG__KAFKA__BOOTSTRAP": "127.0.0.1:19092", "CITYTWIN_CFG__CLOUD__SINK__BATCH_MAX_WAIT_S": "0.5"}
    cfg = deployment.load(_write(tmp_path, MINIMAL), environ=env)
    assert cfg.kafka.bootstrap == "127.0.0.1:19092"
    assert cfg.cloud.sink.batch_max_wait_s == 0.5


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("cloud: {sink: {batch_max_records: 0}}\n", "cloud.sink.batch_max_records"),
        ("cloud: {bridge: {share_group: 'a/b'}}\n", "cloud.bridge.share_group"),
        ("kafka: {topics: {event: x}}\n", "kafka.topics.event"),
        ("cloud: {sinc: {}}\n", "cloud.sinc"),
        ("cloud: {rollups: {interval_s: 0}}\n", "cloud.rollups.interval_s"),
        ("cloud: {rollups: {enabled: maybe}}\n", "cloud.rollups.enabled"),
        ("cloud: {rollups: {max_hours_per_pass: 0}}\n", "cloud.rollups.max_hours_per_pass"),
        ("cloud: {rollups: {open_hour_every_s: -1}}\n", "cloud.rollups.open_hour_every_s"),
        ("cloud: {rollups: {open_hour_every_s: .inf}}\n", "cloud.rollups.open_hour_every_s"),
        ("cloud: {rollups: {interval: 5}}\n", "cloud.rollups.interval"),
        ("rules: {rules: [{type: zone_capacity}]}\n", "rules.rules[0].zone_capacity.name"),
        ("rules: {rules: [{type: zone_capaciti, name: a}]}\n", "rules.rules[0]"),
        ("rules: {rules: [{type: dwell, name: a, zone: z, max_s: -1}]}\n", "rules.rules[0].dwell.max_s"),
    ],
)
def test_errors_name_the_file_and_key(tmp_path: Path, extra: str, key: str) -> None:
    path = _write(tmp_path, MINIMAL + extra)
    with pytest.raises(ConfigError) as caught:
        deployment.load(path, environ={})
    assert str(path) in str(caught.value) and key in str(caught.value)


def _models(model: type[BaseModel], seen: set[type[BaseModel]]) -> None:
    if model in seen:
        return
    seen.add(model)
    for info in model.model_fields.values():
        for arg in _types(info.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                _models(arg, seen)


def _types(annotation: Any) -> list[Any]:
    """``annotation`` and every type inside it: unions, lists, dict values, ``Annotated`` unions of plugins."""
    return [annotation, *(t for arg in get_args(annotation) for t in _types(arg))]


def test_every_setting_has_a_title_and_description() -> None:
    seen: set[type[BaseModel]] = set()
    _models(deployment.Deployment, seen)
    own = [m for m in seen if m.__module__.split(".")[0] in ("citytwin", "cloud", "edge", "contract")]
    assert len(own) >= 30
    for model in own:
        for name, info in model.model_fields.items():
            assert info.title and info.description, f"{model.__name__}.{name} needs a title and a description"


@pytest.mark.parametrize(
    ("cameras", "part"),
    [
        ("[{id: a, map: {x_m: 0, y_m: 0}, node: n1}, {id: b, map: {x_m: 0, y_m: 0}, node: n1}]", "duplicate node ids: n1"),
        # b's default node is campus-b: a camera configured with that node id would speak for both.
        ("[{id: a, map: {x_m: 0, y_m: 0}, node: campus-b}, {id: b, map: {x_m: 0, y_m: 0}}]", "duplicate node ids: campus-b"),
        ("[{id: a, map: {x_m: 0, y_m: 0}}, {id: a, map: {x_m: 0, y_m: 0}}]", "duplicate camera ids: a"),
    ],
)
def test_each_camera_has_a_node_of_its_own(tmp_path: Path, cameras: str, part: str) -> None:
    path = _write(tmp_path, MINIMAL + f"cameras: {cameras}\n")
    with pytest.raises(ConfigError, match=part):
        deployment.load(path, environ={})


def test_node_ids_default_to_site_and_camera(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL + "cameras: [{id: a, map: {x_m: 0, y_m: 0}}, {id: b, map: {x_m: 0, y_m: 0}, node: pi-7}]\n")
    cfg = deployment.load(path, environ={})
    assert cfg.node_ids() == {"a": "campus-a", "b": "pi-7"}
    assert cfg.cloud.bridge.max_clock_ahead_s == 300.0


def test_the_cloud_services_need_the_lake(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL.replace("lake: {path: /tmp/lake}\n", ""))
    assert deployment.load(path, environ={}).lake_dir == deployment.DEFAULT_LAKE  # the site tools default it
    with pytest.raises(ConfigError, match="lake: Field required"):
        deployment.load(path, environ={}, lake=True)


def test_an_empty_section_takes_its_defaults(tmp_path: Path) -> None:
    cfg = deployment.load(_write(tmp_path, MINIMAL + "edge:\nrules:\n"), environ={})
    assert cfg.edge.detector.type == "nanodet" and cfg.rules.rules == []

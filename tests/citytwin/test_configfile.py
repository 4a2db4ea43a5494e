"""Loading a deployment file: errors name the file and the key; env overrides apply."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field

from citytwin.configfile import apply_env_overrides, load
from citytwin.errors import ConfigError


class Broker(BaseModel):
    model_config = ConfigDict(extra="forbid")
    host: str = "127.0.0.1"
    port: int = Field(1883, ge=1, le=65535)


class Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mqtt: Broker = Field(default_factory=Broker)
    cameras: list[Broker] = Field(default_factory=list)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mqtt: {port: 99999}\n", "mqtt.port: Input should be less than or equal to 65535"),
        ("mqtt: {prot: 1}\n", "mqtt.prot: unknown setting"),
        ("cameras: [{port: 1}, {port: x}]\n", "cameras[1].port: Input should be a valid integer"),
        ("mqtt: [1, 2\n", "not valid YAML at line"),
        ("- just\n- a list\n", "the top level must be a mapping"),
    ],
)
def test_errors_name_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load(path, Doc, environ={})
    assert str(path) in str(exc.value)
    assert expected in str(exc.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load(tmp_path / "nope.yaml", Doc, environ={})


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    assert load(write(tmp_path, ""), Doc, environ={}).mqtt.port == 1883


def test_environment_overrides_nested_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "mqtt: {host: broker}\n")
    doc = load(path, Doc, environ={"CITYTWIN_CFG__MQTT__PORT": "11883", "UNRELATED": "1"})
    assert (doc.mqtt.host, doc.mqtt.port) == ("broker", 11883)


def test_environment_override_creates_sections() -> None:
    assert apply_env_overrides({}, {"CITYTWIN_CFG__A__B": "true"}) == {"a": {"b": True}}


def test_bad_override_is_reported_like_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="mqtt.port"):
        load(write(tmp_path, ""), Doc, environ={"CITYTWIN_CFG__MQTT__PORT": "many"})


def test_environment_variables_expand_in_strings(tmp_path: Path) -> None:
    path = write(tmp_path, "mqtt: {host: '${BROKER_HOST:-fallback}', port: 1883}\n")
    assert load(path, Doc, environ={}).mqtt.host == "fallback"
    assert load(path, Doc, environ={"BROKER_HOST": "b.example"}).mqtt.host == "b.example"


def test_unset_variable_without_default_names_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, "mqtt: {host: '${NOPE}'}\n")
    with pytest.raises(ConfigError, match="mqtt.host: environment variable NOPE is not set"):
        load(path, Doc, environ={})

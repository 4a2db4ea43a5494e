"""Load one deployment YAML file into a pydantic model, with clear errors.

String values may name environment variables, ``${NAME}`` or
``${NAME:-default}``, so one file serves a laptop, a container and CI
(``path: ${CITYTWIN_CACHE:-/var/lib/citytwin/cache}/fixtures/vtest.avi``).

Any setting can be overridden from the environment, which is how containers
and CI change a port or a path without editing the file:
``CITYTWIN_CFG__MQTT__PORT=11883`` sets ``mqtt.port``; values are parsed as
YAML scalars. Secrets are never in the file: models name the variable that
holds them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from citytwin.errors import ConfigError
from citytwin.terminal import safe

ENV_PREFIX = "CITYTWIN_CFG__"
M = TypeVar("M", bound=BaseModel)


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def describe(path: Path | str, error: ValidationError) -> str:
    """One line per problem: ``file: key.path: what is wrong``.

    Keys and messages come from the file, so each is escaped (``citytwin.terminal.safe``): a key holding a line
    break or a control sequence cannot add a line of its own or rewrite the ones around it.
    """
    lines = [f"{safe(str(path))}: {len(error.errors())} problem(s) in the configuration:"]
    for item in error.errors():
        # Discriminated unions put the chosen tag in the location; keep it, it helps.
        msg = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            msg = "unknown setting (misspelt, or not valid here)"
        lines.append(f"  {safe(_location(tuple(item['loc'])))}: {safe(msg)}")
    return "\n".join(lines)


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_vars(data: Any, environ: Mapping[str, str], where: str = "") -> Any:
    """Replace ``${NAME}`` and ``${NAME:-default}`` in every string of ``data``."""
    if isinstance(data, dict):
        return {k: expand_vars(v, environ, f"{where}.{k}" if where else str(k)) for k, v in data.items()}
    if isinstance(data, list):
        return [expand_vars(v, environ, f"{where}[{i}]") for i, v in enumerate(data)]
    if not isinstance(data, str) or "${" not in data:
        return data

    def value(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in environ:
            return environ[name]
        if default is not None:
            return default
        raise ConfigError(f"{where}: environment variable {name} is not set and has no default (${{{name}:-...}})")

    return _VAR.sub(value, data)


def apply_env_overrides(data: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """Set nested keys from ``CITYTWIN_CFG__A__B=value`` variables."""
    for name, raw in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX):
            continue
        keys = [k.lower() for k in name[len(ENV_PREFIX):].split("__") if k]
        if not keys:
            continue
        node: Any = data
        for key in keys[:-1]:
            child = node.get(key) if isinstance(node, dict) else None
            if not isinstance(child, dict):
                child = {}
                node[key] = child
            node = child
        node[keys[-1]] = yaml.safe_load(raw)
    return data


def read_yaml(path: Path | str) -> dict[str, Any]:
    """Parse a YAML mapping, naming the file and line on a syntax error."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"configuration file not found: {path}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read configuration file {path}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        raise ConfigError(f"{path}: not valid YAML{at}: {getattr(exc, 'problem', exc)}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of settings, got {type(data).__name__}")
    return data


def load(path: Path | str, model: type[M], environ: Mapping[str, str] | None = None) -> M:
    """Read, override from the environment, and validate ``path`` as ``model``."""
    env = os.environ if environ is None else environ
    data = apply_env_overrides(read_yaml(path), env)
    try:
        data = expand_vars(data, env)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe(path, exc)) from None

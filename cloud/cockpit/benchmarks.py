"""The benchmark table: one row per device, model and configuration from ``hardware/results/<device>/*.json``.

Files are read as plain JSON, tolerantly: a missing figure shows as empty,
and a file that is not JSON is skipped with a warning naming it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def rows(folder: Path) -> list[dict[str, Any]]:
    """Every configuration of every result file under ``folder``, by device and model."""
    out: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*/*.json")):
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            log.warning("benchmarks: skipping %s (%s)", path, exc)
            continue
        if not isinstance(doc, dict):
            continue
        device = _get(doc, "device", "name") or path.parent.name
        for config in doc.get("configs") or []:
            cfg = _get(config, "config") or {}
            out.append({
                "device": str(device),
                "model": str(cfg.get("model") or _get(doc, "model", "name") or ""),
                "input_size": _number(cfg.get("input_size")),
                "threads": _number(cfg.get("threads")),
                "provider": str(cfg.get("provider") or "").removesuffix("ExecutionProvider"),
                "pipeline_fps": _number(_get(config, "pipeline_fps")),
                "inference_fps": _number(_get(config, "inference_fps")),
                "p50_ms": _number(_get(config, "frame_latency", "p50_ms")),
                "p95_ms": _number(_get(config, "frame_latency", "p95_ms")),
                "file": f"{path.parent.name}/{path.name}",
            })
    return out

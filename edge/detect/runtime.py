"""onnxruntime sessions: provider choice, threads, and clear errors for bad model files."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import onnxruntime as ort

from citytwin.errors import CitytwinError
from citytwin.paths import models_dir

log = logging.getLogger(__name__)

PREFERENCE = ("TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider")


class ModelError(CitytwinError, RuntimeError):
    """A model file is missing or cannot be loaded."""


def resolve_model(path: Path) -> Path:
    """``path`` as given if it exists, else relative to the models folder."""
    if path.is_absolute() or path.exists():
        return path
    return models_dir() / path


def choose_providers(wanted: list[str] | None) -> list[str]:
    """The wanted providers that are installed, or the best available ones."""
    available = ort.get_available_providers()
    if wanted:
        chosen = [p for p in wanted if p in available]
        missing = [p for p in wanted if p not in available]
        if missing:
            log.warning("execution providers %s are not installed here; available: %s", missing, available)
        if not chosen:
            raise ModelError(f"none of the execution providers {wanted} is available; available: {available}")
        return chosen
    return [p for p in PREFERENCE if p in available] or available


def open_session(path: Path, threads: int | None = None, providers: list[str] | None = None) -> ort.InferenceSession:
    """An inference session for ``path``; raises ``ModelError`` naming the file."""
    path = resolve_model(path)
    if not path.is_file():
        raise ModelError(f"model file not found: {path} (models are in {models_dir()}; see models/README.md)")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or os.cpu_count() or 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    chosen = choose_providers(providers)
    try:
        session = ort.InferenceSession(str(path), options, providers=chosen)
    except Exception as exc:  # onnxruntime raises several unrelated types for a bad file
        raise ModelError(f"cannot load model {path}: {exc}") from exc
    log.info("loaded %s on %s with %d threads", path.name, session.get_providers()[0], options.intra_op_num_threads)
    return session

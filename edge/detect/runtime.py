"""onnxruntime sessions: provider choice, threads, clear errors for bad model files, and the detectors built on them."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import onnxruntime as ort

from citytwin.errors import CitytwinError
from citytwin.paths import models_dir
from edge.detect.base import Detector, Outputs, Prepared
from edge.detect.settings import DetectorSettings

log = logging.getLogger(__name__)

CPU = "CPUExecutionProvider"
PREFERENCE = ("TensorrtExecutionProvider", "CUDAExecutionProvider", CPU)


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


def providers_for(provider: str) -> list[str]:
    """The provider list for a session: accelerators fall back to the CPU (TensorRT to CUDA first) for unsupported ops.

    Example:
        >>> providers_for("TensorrtExecutionProvider")
        ['TensorrtExecutionProvider', 'CUDAExecutionProvider', 'CPUExecutionProvider']
    """
    if provider == CPU:
        return [CPU]
    if provider == "TensorrtExecutionProvider":
        return [provider, "CUDAExecutionProvider", CPU]
    return [provider, CPU]


def open_session(
    path: Path, threads: int | None = None, providers: list[str] | None = None, spin: bool = False
) -> ort.InferenceSession:
    """An inference session for ``path``, its idle threads sleeping unless ``spin``; raises ``ModelError`` naming the file."""
    path = resolve_model(path)
    if not path.is_file():
        raise ModelError(f"model file not found: {path} (models are in {models_dir()}; see models/README.md)")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or os.cpu_count() or 1
    options.inter_op_num_threads = 1
    # Busy-waiting threads take a core from the node's own decode and back-half threads between operators.
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
    options.log_severity_level = 3
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    chosen = choose_providers(providers)
    try:
        session = ort.InferenceSession(str(path), options, providers=chosen)
    except Exception as exc:  # onnxruntime raises several unrelated types for a bad file
        raise ModelError(f"cannot load model {path}: {exc}") from exc
    log.info("loaded %s on %s with %d threads", path.name, session.get_providers()[0], options.intra_op_num_threads)
    return session


class OnnxDetector(Detector):
    """A detector whose network is one onnxruntime session over one fixed square image input.

    The input is either float 1x3xSxS (the detector normalises) or uint8
    1xSxSx3 (``uint8_input``: the graph normalises, the detector only resizes).
    """

    def __init__(self, settings: DetectorSettings) -> None:
        self.session = open_session(settings.model, settings.threads, settings.providers, settings.spin)
        image = self.session.get_inputs()[0]
        self.uint8_input = image.type == "tensor(uint8)"
        shape = image.shape
        side = shape[1:3] if self.uint8_input else shape[2:4]
        channels = shape[3] if self.uint8_input else shape[1]
        if len(shape) != 4 or channels != 3 or not isinstance(side[0], int) or side[0] != side[1]:
            want = "1xSxSx3 uint8" if self.uint8_input else "1x3xSxS float"
            raise ModelError(f"{settings.model}: expected a fixed {want} input, got {shape}")
        self.size = int(side[0])
        self.input_name: str = image.name
        self.output_names: list[str] | None = None  # every output, in the graph's order

    def infer(self, prepared: Prepared) -> Outputs:
        return list(self.session.run(self.output_names, {self.input_name: prepared.blob}))

    def close(self) -> None:
        del self.session

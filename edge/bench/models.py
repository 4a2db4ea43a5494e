"""The models a benchmark measures, at the input sizes it asks for.

The shipped NanoDet graphs declare a fixed 1x3x416x416 input. NanoDet is
fully convolutional and its decoder reads the input side and the cell count
of each output from the session, so another size only needs the declared
shapes rewritten: the input to SxS and each output to (S / stride)^2 cells.
The rewritten copy goes to a temporary file and the ordinary plugin loads
it, so the benchmark measures exactly the code the edge node runs. Sizes
must be multiples of the largest stride (32).

YOLO exports usually bake their grid into reshape constants, so they are
measured at the size they were exported with.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import onnx
from pydantic import TypeAdapter

from edge.bench.flops import count_flops
from edge.detect.base import Detector
from edge.detect.registry import build_detector
from edge.detect.runtime import ModelError, providers_for, resolve_model
from edge.detect.settings import DetectorConfig, NanoDetConfig, YoloConfig
from hardware.result import ModelFacts

log = logging.getLogger(__name__)

MAX_STRIDE = 32
SHIPPED = {"nanodet-g-416": "fp32", "nanodet-g-416-int8": "int8"}
_DETECTOR_CONFIG: TypeAdapter[NanoDetConfig | YoloConfig] = TypeAdapter(DetectorConfig)


@dataclass(frozen=True)
class BenchModel:
    """A model file and how to decode it."""

    name: str
    path: Path
    plugin: Literal["nanodet", "yolo"]
    precision: str
    native_size: int

    def detector(self, path: Path, threads: int, provider: str) -> Detector:
        """This model's plugin built through the detector registry, loading ``path`` (the file or a resized copy)."""
        settings = {"type": self.plugin, "model": path, "threads": threads, "providers": providers_for(provider)}
        return build_detector(_DETECTOR_CONFIG.validate_python(settings))

    def supports(self, size: int) -> bool:
        """Whether the benchmark can measure this model at ``size``."""
        if self.plugin == "yolo":
            return size == self.native_size
        return size > 0 and size % MAX_STRIDE == 0

    @property
    def sizes_note(self) -> str:
        if self.plugin == "yolo":
            return f"the export's fixed input only ({self.native_size}); YOLO exports bake the grid into the graph"
        return (
            f"any multiple of {MAX_STRIDE}: the declared {self.native_size}x{self.native_size} input and the output "
            "cell counts are rewritten in memory; the network is fully convolutional"
        )


def _side_dims(model: onnx.ModelProto) -> list[int]:
    """Where the input's height and width are: 1x3xSxS float, or 1xSxSx3 uint8 with the normalisation in the graph."""
    return [1, 2] if model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.UINT8 else [2, 3]


def _native_size(model: onnx.ModelProto, path: Path) -> int:
    dims = model.graph.input[0].type.tensor_type.shape.dim
    h, w = _side_dims(model)
    if len(dims) != 4 or not dims[h].HasField("dim_value") or dims[h].dim_value != dims[w].dim_value:
        raise ModelError(f"{path}: expected a fixed 1x3xSxS (float) or 1xSxSx3 (uint8) input")
    return int(dims[h].dim_value)


def load_model(spec: str) -> BenchModel:
    """A shipped NanoDet by name (``nanodet-g-416``, ``nanodet-g-416-int8``) or a YOLO export by path."""
    if spec in SHIPPED:
        path = resolve_model(Path(f"{spec}.onnx"))
        plugin: Literal["nanodet", "yolo"] = "nanodet"
        precision = SHIPPED[spec]
    else:
        path = Path(spec)
        plugin, precision = "yolo", "int8" if "int8" in path.stem.lower() else "fp32"
    if not path.is_file():
        raise ModelError(f"model not found: {path} (shipped models: {', '.join(SHIPPED)}; or give a YOLO .onnx path)")
    proto = onnx.load(str(path), load_external_data=False)
    return BenchModel(path.stem, path, plugin, precision, _native_size(proto, path))


def resized(model: BenchModel, size: int) -> onnx.ModelProto:
    """The model's graph declaring a ``size``x``size`` input, outputs rescaled to match."""
    proto = onnx.load(str(model.path))
    if size == model.native_size:
        return proto
    if not model.supports(size):
        raise ModelError(f"{model.name} cannot run at input size {size}: {model.sizes_note}")
    graph = proto.graph
    dims = graph.input[0].type.tensor_type.shape.dim
    for dim in _side_dims(proto):
        dims[dim].dim_value = size
    for output in graph.output:
        out = output.type.tensor_type.shape.dim
        cells = out[1].dim_value
        stride = model.native_size // math.isqrt(cells)
        out[1].dim_value = (size // stride) ** 2
    # Intermediate shapes were inferred for the native size; let onnxruntime infer them again.
    del graph.value_info[:]
    return proto


def save_resized(model: BenchModel, size: int, folder: Path) -> Path:
    """The model file to load for ``size``: the original, or a rewritten copy in ``folder``."""
    if size == model.native_size:
        return model.path
    path = folder / f"{model.name}-{size}.onnx"
    if not path.exists():
        onnx.save(resized(model, size), str(path))
    return path


def gflop_at(model: BenchModel, size: int) -> float:
    """Model FLOPs of one inference at ``size``, in 1e9."""
    return count_flops(resized(model, size)).gflop


def sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def model_facts(model: BenchModel) -> ModelFacts:
    """What the result file says about the model."""
    shipped = model.name in SHIPPED
    return ModelFacts(
        name=model.name,
        file=model.path.name if shipped else str(model.path),
        sha256=sha256(model.path),
        plugin=model.plugin,
        precision=model.precision,
        native_input_size=model.native_size,
        sizes_note=model.sizes_note,
    )

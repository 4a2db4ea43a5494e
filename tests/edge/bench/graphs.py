"""Small ONNX graphs with known FLOPs for the benchmark's tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

YOLO_SIZE = 64
YOLO_CLASSES = 3
YOLO_STRIDE = 8


def yolo_stub(path: Path) -> Path:
    """A YOLO-layout export: one strided Conv to [1, 4 + C, 8, 8], sigmoid, reshaped to [1, 4 + C, 64].

    Its FLOPs are those of the Conv plus one per element of the sigmoid.
    """
    channels = 4 + YOLO_CLASSES
    rng = np.random.default_rng(1)
    weight = numpy_helper.from_array(rng.standard_normal((channels, 3, YOLO_STRIDE, YOLO_STRIDE)).astype(np.float32) * 0.01, "w")
    cells = (YOLO_SIZE // YOLO_STRIDE) ** 2
    shape = numpy_helper.from_array(np.array([1, channels, cells], np.int64), "shape")
    nodes = [
        helper.make_node("Conv", ["images", "w"], ["conv"], strides=[YOLO_STRIDE, YOLO_STRIDE]),
        helper.make_node("Sigmoid", ["conv"], ["sig"]),
        helper.make_node("Reshape", ["sig", "shape"], ["output0"]),
    ]
    graph = helper.make_graph(
        nodes,
        "yolo_stub",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, YOLO_SIZE, YOLO_SIZE])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, channels, cells])],
        [weight, shape],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


def yolo_stub_flops() -> int:
    channels = 4 + YOLO_CLASSES
    cells = (YOLO_SIZE // YOLO_STRIDE) ** 2
    conv = 2 * YOLO_STRIDE * YOLO_STRIDE * 3 * channels * cells
    return conv + channels * cells


def single_node(op: str, inputs: list[tuple[str, list[int]]], output: list[int], initialisers: dict[str, np.ndarray] | None = None,
                **attrs: Any) -> onnx.ModelProto:
    """A one-node graph; ``initialisers`` become constant inputs."""
    inits = [numpy_helper.from_array(v, k) for k, v in (initialisers or {}).items()]
    graph = helper.make_graph(
        [helper.make_node(op, [n for n, _ in inputs] + list((initialisers or {})), ["y"], **attrs)],
        "g",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, output)],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])

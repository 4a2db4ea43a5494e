"""YOLO-layout ONNX graphs whose output is a known constant, for the detector's and the CLI's tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SIZE = 64


def build_model(
    path: Path, rows: list[list[float]], classes: int, names: dict[int, str] | None = None, protos: bool = False
) -> Path:
    """A graph whose output is the constant ``rows`` (N, 4 + C) laid out as [1, 4 + C, N].

    ``protos`` adds a second output, as segmentation exports have (mask prototypes).
    """
    table = np.array(rows, np.float32).T[None]  # (1, 4 + C, N)
    assert table.shape[1] == 4 + classes
    outputs = {"output0": table} | ({"output1": np.ones((1, 32, 16, 16), np.float32)} if protos else {})
    graph = helper.make_graph(
        [helper.make_node("Constant", [], [name], value=numpy_helper.from_array(value, f"{name}_value")) for name, value in outputs.items()],
        "yolo_stub",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, SIZE, SIZE])],
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, list(value.shape)) for name, value in outputs.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    if names is not None:
        entry = model.metadata_props.add()
        entry.key, entry.value = "names", repr(names)
    onnx.save(model, path)
    return path


def row(cx: float, cy: float, w: float, h: float, scores: list[float]) -> list[float]:
    return [cx, cy, w, h, *scores]

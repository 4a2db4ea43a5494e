"""FLOPs counted from ONNX graphs: exact on small graphs, about 4.2 GFLOP for NanoDet-g at 416."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from edge.bench.flops import FlopCountError, count_flops
from edge.bench.models import load_model, resized
from tests.edge.bench.graphs import single_node, yolo_stub, yolo_stub_flops

W = np.zeros


@pytest.mark.parametrize(
    ("model", "kind", "expected"),
    [
        # 3x3 conv, 3 -> 16 channels, 8x8 output: 2 * 9 * 3 * 16 * 64
        (single_node("Conv", [("x", [1, 3, 8, 8])], [1, 16, 8, 8], {"w": W((16, 3, 3, 3), np.float32)}, pads=[1, 1, 1, 1]), "conv", 55296),
        # depthwise 3x3 on 8 channels: Cin per group is 1
        (single_node("Conv", [("x", [1, 8, 4, 4])], [1, 8, 4, 4], {"w": W((8, 1, 3, 3), np.float32)}, pads=[1, 1, 1, 1], group=8), "conv", 2 * 9 * 8 * 16),
        # stride 2 halves the output and the count
        (single_node("Conv", [("x", [1, 4, 8, 8])], [1, 4, 4, 4], {"w": W((4, 4, 1, 1), np.float32)}, strides=[2, 2]), "conv", 2 * 4 * 4 * 16),
        # batched matmul: 2 * batch * M * N * K
        (single_node("MatMul", [("a", [2, 5, 7]), ("b", [2, 7, 3])], [2, 5, 3]), "matmul", 2 * 2 * 5 * 3 * 7),
        # Gemm with transposed A: A is [K, M]
        (single_node("Gemm", [("a", [7, 5]), ("b", [7, 3])], [5, 3], transA=1), "matmul", 2 * 5 * 3 * 7),
        # one operation per output element
        (single_node("Relu", [("x", [1, 3, 4, 4])], [1, 3, 4, 4]), "other", 48),
        # max pooling: window size per output element
        (single_node("MaxPool", [("x", [1, 2, 4, 4])], [1, 2, 2, 2], kernel_shape=[2, 2], strides=[2, 2]), "other", 4 * 8),
    ],
    ids=["conv", "depthwise", "strided", "matmul", "gemm-transA", "relu", "maxpool"],
)
def test_counts_each_kind_exactly(model: onnx.ModelProto, kind: str, expected: int) -> None:
    count = count_flops(model)
    assert getattr(count, kind) == expected
    assert count.total == expected


def test_nanodet_g_at_416_is_about_4_2_gflop() -> None:
    fp32 = count_flops(onnx.load(str(load_model("nanodet-g-416").path)))
    assert 4.1 < fp32.gflop < 4.3
    assert fp32.conv > 0.99 * fp32.total  # convolutions are nearly all of it


def test_int8_graph_counts_like_fp32() -> None:
    fp32 = count_flops(onnx.load(str(load_model("nanodet-g-416").path)))
    int8 = count_flops(onnx.load(str(load_model("nanodet-g-416-int8").path)))
    assert int8.conv == fp32.conv


def test_flops_scale_with_input_area() -> None:
    model = load_model("nanodet-g-416")
    at_416 = count_flops(resized(model, 416)).conv
    at_320 = count_flops(resized(model, 320)).conv
    assert at_320 / at_416 == pytest.approx((320 / 416) ** 2, rel=0.02)


def test_yolo_layout_graph(tmp_path: Path) -> None:
    assert count_flops(onnx.load(str(yolo_stub(tmp_path / "y.onnx")))).total == yolo_stub_flops()


def test_dynamic_input_is_refused_with_the_node_named() -> None:
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, "h", "w"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [onnx.numpy_helper.from_array(W((4, 3, 1, 1), np.float32), "w")],
    )
    with pytest.raises(FlopCountError, match="Conv node"):
        count_flops(helper.make_model(graph))

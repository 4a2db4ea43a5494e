"""Count a model's floating-point operations from its ONNX graph.

Shapes come from ONNX shape inference. Convolutions and matrix products,
which dominate detectors, are counted exactly as two operations per
multiply-accumulate; elementwise and pooling ops add about one operation per
output element. Quantised (QDQ) graphs count the same: their convolutions are
ordinary Conv nodes between (De)QuantizeLinear pairs, which are not counted.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import onnx
from onnx import shape_inference

from citytwin.errors import CitytwinError

log = logging.getLogger(__name__)

# Ops that cost about one operation per output element.
_ELEMENTWISE = frozenset(
    "Add Sub Mul Div Relu LeakyRelu PRelu Sigmoid HardSigmoid HardSwish Tanh Clip Exp Log Sqrt Pow "
    "Softmax Max Min Sum Mean Erf Gelu BatchNormalization InstanceNormalization LayerNormalization Resize Upsample".split()
)
_POOLS = frozenset({"MaxPool", "AveragePool"})
_GLOBAL_POOLS = frozenset({"GlobalAveragePool", "GlobalMaxPool"})


class FlopCountError(CitytwinError, ValueError):
    """The graph lacks the shapes needed to count a node."""


@dataclass(frozen=True)
class FlopCount:
    """Operations of one inference, split by kind."""

    conv: int
    matmul: int
    other: int

    @property
    def total(self) -> int:
        return self.conv + self.matmul + self.other

    @property
    def gflop(self) -> float:
        return self.total / 1e9


Shapes = dict[str, list[int]]


def _shapes(model: onnx.ModelProto) -> Shapes:
    inferred = shape_inference.infer_shapes(model, data_prop=True)
    graph = inferred.graph
    shapes: Shapes = {init.name: list(init.dims) for init in graph.initializer}
    for info in [*graph.input, *graph.value_info, *graph.output]:
        dims = info.type.tensor_type.shape.dim
        if all(d.HasField("dim_value") for d in dims):
            shapes[info.name] = [int(d.dim_value) for d in dims]
    return shapes


def _need(shapes: Shapes, name: str, node: onnx.NodeProto) -> list[int]:
    shape = shapes.get(name)
    if shape is None:
        raise FlopCountError(f"no static shape for {name!r} ({node.op_type} node {node.name!r}); is the input size fixed?")
    return shape


def _attr(node: onnx.NodeProto, name: str, default: object) -> object:
    for attribute in node.attribute:
        if attribute.name == name:
            return onnx.helper.get_attribute_value(attribute)
    return default


def conv_flops(weight: list[int], output: list[int]) -> int:
    """2 * Kh * Kw * (Cin / groups) * Cout * Hout * Wout (times the batch).

    Example:
        >>> conv_flops([16, 3, 3, 3], [1, 16, 8, 8])
        55296
    """
    cout, cin_per_group, *kernel = weight
    return 2 * math.prod(kernel) * cin_per_group * cout * output[0] * math.prod(output[2:])


def matmul_flops(a: list[int], b: list[int], output: list[int]) -> int:
    """2 * M * N * K for each of the broadcast batch."""
    k = a[-1] if len(a) > 1 else a[0]
    return 2 * k * math.prod(output) if output else 2 * k * (b[-1] if len(b) > 1 else 1)


def _node_flops(node: onnx.NodeProto, shapes: Shapes) -> tuple[str, int]:
    op = node.op_type
    if op in ("Conv", "ConvTranspose"):
        weight = _need(shapes, node.input[1], node)
        if op == "ConvTranspose":
            # For a transposed convolution the roles of input and output swap.
            source = _need(shapes, node.input[0], node)
            cin, cout_per_group, *kernel = weight
            return "conv", 2 * math.prod(kernel) * cin * cout_per_group * source[0] * math.prod(source[2:])
        return "conv", conv_flops(weight, _need(shapes, node.output[0], node))
    if op in ("MatMul", "Gemm"):
        a, b = _need(shapes, node.input[0], node), _need(shapes, node.input[1], node)
        if op == "Gemm" and _attr(node, "transA", 0):
            a = a[::-1]
        return "matmul", matmul_flops(a, b, _need(shapes, node.output[0], node))
    if op in _POOLS:
        kernel_attr = _attr(node, "kernel_shape", [1])
        window = math.prod(int(k) for k in kernel_attr) if isinstance(kernel_attr, list) else 1
        return "other", window * math.prod(_need(shapes, node.output[0], node))
    if op in _GLOBAL_POOLS:
        return "other", math.prod(_need(shapes, node.input[0], node))
    if op in _ELEMENTWISE:
        return "other", math.prod(_need(shapes, node.output[0], node))
    return "other", 0


def count_flops(model: onnx.ModelProto) -> FlopCount:
    """Operations of one inference of ``model``; needs static input shapes.

    Example:
        >>> from onnx import TensorProto, helper, numpy_helper
        >>> import numpy as np
        >>> w = numpy_helper.from_array(np.zeros((16, 3, 3, 3), np.float32), "w")
        >>> conv = helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1])
        >>> graph = helper.make_graph([conv], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        ...     [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w])
        >>> count_flops(helper.make_model(graph)).conv
        55296
    """
    shapes = _shapes(model)
    totals = {"conv": 0, "matmul": 0, "other": 0}
    for node in model.graph.node:
        kind, flops = _node_flops(node, shapes)
        totals[kind] += flops
    log.debug("counted %s", totals)
    return FlopCount(**totals)

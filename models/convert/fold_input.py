"""Give the NanoDet graph a uint8 NHWC input with its normalisation inside, and fold every Pad into the op after it.

The detector then only resizes a decoded frame into a preallocated uint8
buffer: the graph casts, transposes and subtracts the mean, and 1/std is
folded into the first convolution's weights (exact: the zero padding before
that convolution commutes with a per-channel scale). Folding each constant
Pad into the Conv or MaxPool that consumes it is the same maths; it matters
for the int8 graph, where onnxruntime no longer fuses a Pad once Q/DQ nodes
sit between it and its convolution.

    python fold_input.py IN.onnx OUT.onnx
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from graphfile import rewrite

# The normalisation the upstream graph expects (BGR order); the same values as edge/detect/nanodet.py.
MEAN = np.array([103.53, 116.28, 123.675], np.float64)
STD = np.array([57.375, 57.12, 58.395], np.float64)
FEEDS = "image_centred"


def _initialisers(model: onnx.ModelProto) -> dict[str, onnx.TensorProto]:
    return {i.name: i for i in model.graph.initializer}


def _consumers(model: onnx.ModelProto, name: str) -> list[onnx.NodeProto]:
    return [n for n in model.graph.node if name in n.input]


def _hw_pads(pads: list[int]) -> list[int]:
    """ONNX Pad's [n, c, h, w begin, n, c, h, w end] as a Conv/MaxPool's [h begin, w begin, h end, w end]."""
    return [pads[2], pads[3], pads[6], pads[7]]


def fold_pads(model: onnx.ModelProto) -> onnx.ModelProto:
    """Pad(0) before a Conv and Pad(-inf) before a MaxPool become that op's own ``pads``."""
    inits = _initialisers(model)
    for pad in list(model.graph.node):
        users = _consumers(model, pad.output[0]) if pad.op_type == "Pad" else []
        if len(users) != 1 or next((a.s for a in pad.attribute if a.name == "mode"), b"constant") != b"constant":
            continue
        value = numpy_helper.to_array(inits[pad.input[2]]) if len(pad.input) > 2 and pad.input[2] else np.float32(0)
        pads = numpy_helper.to_array(inits[pad.input[1]]).tolist()
        user = users[0]
        fits = (user.op_type == "Conv" and value == 0) or (user.op_type == "MaxPool" and np.isneginf(value))
        if not fits or any(pads[i] for i in (0, 1, 4, 5)):
            continue
        old = next((a for a in user.attribute if a.name == "pads"), None)
        base = list(old.ints) if old is not None else [0, 0, 0, 0]
        if old is not None:
            user.attribute.remove(old)
        user.attribute.append(helper.make_attribute("pads", [b + p for b, p in zip(base, _hw_pads(pads))]))
        user.input[0] = pad.input[0]
        model.graph.node.remove(pad)
    return model


def _first_conv(model: onnx.ModelProto, feeds: str) -> onnx.NodeProto:
    node = _consumers(model, feeds)[0]
    if node.op_type == "Pad":
        node = _consumers(model, node.output[0])[0]
    if node.op_type != "Conv":
        raise SystemExit(f"fold_input.py: the input feeds a {node.op_type}, expected a (padded) Conv")
    return node


def uint8_input(model: onnx.ModelProto) -> onnx.ModelProto:
    """Replace the float NCHW input by uint8 NHWC ``image``: Cast, Transpose, Sub mean; 1/std into the first Conv."""
    graph = model.graph
    old = graph.input[0]
    size = old.type.tensor_type.shape.dim[2].dim_value
    conv = _first_conv(model, old.name)
    inits = _initialisers(model)
    weight = numpy_helper.to_array(inits[conv.input[1]]).astype(np.float64) / STD[None, :, None, None]
    inits[conv.input[1]].CopyFrom(numpy_helper.from_array(weight.astype(np.float32), conv.input[1]))
    for node in graph.node:
        node.input[:] = [FEEDS if x == old.name else x for x in node.input]
    nodes = [
        helper.make_node("Cast", ["image"], ["image_float"], to=TensorProto.FLOAT),
        helper.make_node("Transpose", ["image_float"], ["image_nchw"], perm=[0, 3, 1, 2]),
        helper.make_node("Sub", ["image_nchw", "image_mean"], [FEEDS]),
    ]
    graph.initializer.append(numpy_helper.from_array(MEAN.astype(np.float32).reshape(1, 3, 1, 1), "image_mean"))
    del graph.input[:]
    graph.input.append(helper.make_tensor_value_info("image", TensorProto.UINT8, [1, size, size, 3]))
    for index, node in enumerate(nodes):
        graph.node.insert(index, node)
    return model


def fold(model: onnx.ModelProto) -> onnx.ModelProto:
    """The deployable graph: uint8 NHWC input, normalisation inside, no separate Pad ops."""
    model = fold_pads(uint8_input(model))
    used = {name for node in model.graph.node for name in node.input}
    unused = [i for i in model.graph.initializer if i.name not in used]
    for init in unused:
        model.graph.initializer.remove(init)
    del model.graph.value_info[:]
    return model


if __name__ == "__main__":
    rewrite(fold)

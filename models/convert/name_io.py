"""Give the converted NanoDet graph stable input and output names.

tf2onnx names tensors after TensorFlow's (``input_1:0``, ``Identity_3:0``);
the detector pairs outputs by shape, but stable names make the graph readable
and the manifest checkable: ``image``, ``cls_8``, ``reg_8``, ``cls_16``, ...

    python name_io.py IN.onnx OUT.onnx
"""

from __future__ import annotations

import math

import numpy as np
import onnx
import onnxruntime as ort

from graphfile import rewrite


def output_shapes(model: onnx.ModelProto, size: int) -> dict[str, list[int]]:
    """Shapes from one real run: the converter leaves output dimensions unnamed."""
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    blob = np.zeros((1, 3, size, size), np.float32)
    values = session.run(None, {session.get_inputs()[0].name: blob})
    return {out.name: list(v.shape) for out, v in zip(session.get_outputs(), values)}


def rename(model: onnx.ModelProto, size: int = 416) -> onnx.ModelProto:
    graph = model.graph
    shapes = output_shapes(model, size)
    mapping = {graph.input[0].name: "image"}
    for out in graph.output:
        dims = shapes[out.name]
        for dim, value in zip(out.type.tensor_type.shape.dim, dims):
            dim.Clear()
            dim.dim_value = value
        stride = size // int(math.isqrt(dims[1]))
        mapping[out.name] = f"{'cls' if dims[2] == 80 else 'reg'}_{stride}"
    for node in graph.node:
        node.input[:] = [mapping.get(n, n) for n in node.input]
        node.output[:] = [mapping.get(n, n) for n in node.output]
    for value in list(graph.input) + list(graph.output):
        value.name = mapping.get(value.name, value.name)
    order = sorted(graph.output, key=lambda v: (int(v.name.split("_")[1]), v.name))
    outputs = [onnx.ValueInfoProto.FromString(v.SerializeToString()) for v in order]
    del graph.output[:]
    graph.output.extend(outputs)
    return model


if __name__ == "__main__":
    rewrite(rename)

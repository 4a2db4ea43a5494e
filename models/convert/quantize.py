"""Build the int8 NanoDet by onnxruntime's static quantisation: QDQ, per-channel weights, calibrated on recorded frames.

The input is the folded graph (``fold_input.py``: uint8 NHWC, no Pad ops), so
the quantised graph has no float islands between its convolutions.
Calibration (MinMax) reads frames from ``--first`` on (default 400, the
second half of vtest.avi); the benchmark measures agreement with the fp32
model on the frames before it, so calibration and agreement never share a
frame. Quantised: the backbone/PAN/head convolutions and what joins them
(Conv, MaxPool, Concat, Resize, LeakyRelu, Add); the sigmoid/softmax heads
and reshapes stay float (quantising every op loses every detection).
``--exclude-head`` also keeps the last convolution of each level (the class
and box logits) in float.

    python quantize.py FP32.onnx INT8.onnx VIDEO [--frames 40] [--first 400] [--exclude-head]
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import onnx
from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static

OPS = ["Conv", "MaxPool", "Concat", "Resize", "LeakyRelu", "Add"]


def frames(video: Path, count: int, first: int, size: int) -> Iterator[np.ndarray]:
    """``count`` frames spread evenly from frame ``first`` to the end, resized as the detector does (uint8 NHWC)."""
    cap = cv2.VideoCapture(str(video))
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    if total <= first + count:
        raise SystemExit(f"quantize.py: {video} has {total} frames; calibration needs more than {first} + {count}")
    wanted = set(np.linspace(first, total - 1, count).astype(int).tolist())
    try:
        for index in itertools.count():
            ok, image = cap.read()
            if not ok:
                return
            if index in wanted:
                yield cv2.resize(image, (size, size), interpolation=cv2.INTER_LINEAR)[None]
    finally:
        cap.release()


class VideoReader(CalibrationDataReader):
    def __init__(self, batches: Iterator[np.ndarray], input_name: str) -> None:
        self._batches = iter([{input_name: blob} for blob in batches])

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._batches, None)


def head_nodes(model: onnx.ModelProto) -> list[str]:
    """The last Conv before each output, and every node after it."""
    graph = model.graph
    producer = {out: node for node in graph.node for out in node.output}
    heads: set[str] = set()
    for output in graph.output:
        frontier = [output.name]
        while frontier:
            node = producer.get(frontier.pop())
            if node is None or node.name in heads:
                continue
            heads.add(node.name)
            if node.op_type != "Conv":
                frontier += [name for name in node.input if name in producer]
    return sorted(heads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("fp32", type=Path)
    parser.add_argument("int8", type=Path)
    parser.add_argument("video", type=Path)
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--first", type=int, default=400, help="first frame calibration may read")
    parser.add_argument("--exclude-head", action="store_true", help="keep each level's last Conv in float")
    args = parser.parse_args()
    model = onnx.load(str(args.fp32))
    image = model.graph.input[0]
    if image.type.tensor_type.elem_type != onnx.TensorProto.UINT8:
        raise SystemExit(f"quantize.py: {args.fp32} takes a float input; run fold_input.py on it first")
    size = image.type.tensor_type.shape.dim[1].dim_value
    quantize_static(
        str(args.fp32),
        str(args.int8),
        VideoReader(frames(args.video, args.frames, args.first, size), image.name),
        quant_format=QuantFormat.QDQ,
        op_types_to_quantize=OPS,
        nodes_to_exclude=head_nodes(model) if args.exclude_head else [],
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        per_channel=True,
        calibrate_method=CalibrationMethod.MinMax,
        extra_options={"CalibMovingAverage": False},
    )
    print(f"wrote {args.int8}")


if __name__ == "__main__":
    main()

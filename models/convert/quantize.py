"""Build the int8 NanoDet by static quantisation, calibrated on recorded video.

Only Conv, MaxPool, Concat and Resize are quantised: quantising every op
(the sigmoid and softmax heads included) loses every detection.

    python quantize.py FP32.onnx INT8.onnx VIDEO [--frames 40]
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

from edge.detect.nanodet import MEAN, STD

OPS = ["Conv", "MaxPool", "Concat", "Resize"]


def frames(video: Path, count: int, size: int) -> Iterator[np.ndarray]:
    """``count`` frames spread over the whole video, preprocessed as the detector does."""
    cap = cv2.VideoCapture(str(video))
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) or count
    wanted = set(np.linspace(0, total - 1, count).astype(int).tolist())
    for index in itertools.count():
        ok, image = cap.read()
        if not ok:
            break
        if index in wanted:
            resized = cv2.resize(image, (size, size)).astype(np.float32)
            yield ((resized - MEAN) / STD).transpose(2, 0, 1)[None].copy()
    cap.release()


class VideoReader(CalibrationDataReader):
    def __init__(self, video: Path, count: int, size: int, input_name: str) -> None:
        self._batches = iter([{input_name: blob} for blob in frames(video, count, size)])

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._batches, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("fp32", type=Path)
    parser.add_argument("int8", type=Path)
    parser.add_argument("video", type=Path)
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--size", type=int, default=416)
    args = parser.parse_args()
    quantize_static(
        str(args.fp32),
        str(args.int8),
        VideoReader(args.video, args.frames, args.size, "image"),
        quant_format=QuantFormat.QDQ,
        op_types_to_quantize=OPS,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        per_channel=True,
    )
    print(f"wrote {args.int8}")


if __name__ == "__main__":
    main()

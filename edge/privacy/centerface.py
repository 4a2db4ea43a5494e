"""CenterFace face detector (ONNX), used only to find faces to blur.

The published graph declares a fixed 32x32 input and lists its weights as
inputs; both are rewritten on load so one session serves any size.
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import onnx
import onnxruntime as ort

log = logging.getLogger(__name__)


def _dynamic_graph(path: Path) -> bytes:
    try:
        model = onnx.load(str(path))
    except Exception as exc:  # onnx raises several types for a bad file
        raise RuntimeError(f"face model {path} is not a readable ONNX file: {exc}") from exc
    weights = {init.name for init in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in weights]
    del model.graph.input[:]
    model.graph.input.extend(inputs)
    dims = model.graph.input[0].type.tensor_type.shape.dim
    for dim, name in zip(dims, ("n", None, "h", "w")):
        if name:
            dim.dim_param = name
    for output in model.graph.output:
        for dim, name in zip(output.type.tensor_type.shape.dim, ("n", None, "h4", "w4")):
            if name:
                dim.dim_param = name
    return bytes(model.SerializeToString())


class CenterFace:
    """Find faces in a BGR image; returns boxes (N, 4) in pixels and scores (N,)."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        if not path.is_file():
            raise FileNotFoundError(f"face model not found: {path} (see models/README.md)")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.log_severity_level = 3
        self.session = ort.InferenceSession(_dynamic_graph(path), options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name

    def detect(self, image: np.ndarray, threshold: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
        h, w = image.shape[:2]
        th, tw = max(32, int(np.ceil(h / 32)) * 32), max(32, int(np.ceil(w / 32)) * 32)
        # Pad rather than stretch so faces keep their shape.
        padded = np.zeros((th, tw, 3), np.uint8)
        padded[:h, :w] = image
        blob = cv2.cvtColor(padded, cv2.COLOR_BGR2RGB).transpose(2, 0, 1)[None].astype(np.float32)
        heat, scale, offset, _landmarks = self.session.run(None, {self.input: blob})
        return self._decode(heat[0, 0], scale[0], offset[0], threshold, w, h)

    @staticmethod
    def _decode(
        heat: np.ndarray, scale: np.ndarray, offset: np.ndarray, threshold: float, w: int, h: int
    ) -> tuple[np.ndarray, np.ndarray]:
        ys, xs = np.nonzero(heat > threshold)
        if len(ys) == 0:
            return np.zeros((0, 4), np.float32), np.zeros((0,), np.float32)
        bh = np.exp(scale[0, ys, xs]) * 4
        bw = np.exp(scale[1, ys, xs]) * 4
        cy = (ys + offset[0, ys, xs] + 0.5) * 4
        cx = (xs + offset[1, ys, xs] + 0.5) * 4
        boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
        boxes = np.clip(boxes, 0, [w, h, w, h]).astype(np.float32)
        scores = heat[ys, xs].astype(np.float32)
        keep = cv2.dnn.NMSBoxes(
            [[float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])] for b in boxes],
            scores.tolist(), threshold, 0.3,
        )
        idx = np.array(keep, dtype=np.int64).reshape(-1)
        return boxes[idx], scores[idx]

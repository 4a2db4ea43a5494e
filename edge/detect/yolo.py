"""YOLOv8 / YOLO11 plugin for Ultralytics ONNX exports.

The export takes a letterboxed 1x3xSxS RGB image scaled to 0..1 and returns
``[1, 4 + C, N]``: box centre, width and height in input pixels, then C class
scores (already sigmoid; there is no objectness column). NMS is not in the
graph unless the export asked for it, which this plugin does not support.
"""

from __future__ import annotations

import ast
import logging

import cv2
import numpy as np

from edge.detect.base import Outputs, Prepared, Thresholds
from edge.detect.labels import coco80
from edge.detect.nms import nms
from edge.detect.runtime import ModelError, OnnxDetector, resolve_model
from edge.detect.settings import YoloConfig
from edge.types import Detections

log = logging.getLogger(__name__)

PAD_VALUE = 114


def letterbox(image: np.ndarray, size: int) -> tuple[np.ndarray, float, tuple[float, float]]:
    """Resize keeping the aspect ratio and pad to ``size``; returns image, scale and (pad_x, pad_y)."""
    h, w = image.shape[:2]
    scale = min(size / h, size / w)
    nw, nh = round(w * scale), round(h * scale)
    pad_x, pad_y = (size - nw) / 2, (size - nh) / 2
    out = np.full((size, size, 3), PAD_VALUE, np.uint8)
    left, top = int(round(pad_x - 0.1)), int(round(pad_y - 0.1))
    out[top : top + nh, left : left + nw] = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR)
    return out, scale, (float(left), float(top))


class Yolo(OnnxDetector):
    """Run an Ultralytics detection export."""

    def __init__(self, config: YoloConfig) -> None:
        self.config = config
        super().__init__(config)
        first = self.session.get_outputs()[0]
        out = first.shape
        if len(out) != 3 or not isinstance(out[1], int) or out[1] <= 4:
            raise ModelError(f"{config.model}: expected output [1, 4 + classes, N], got {out}")
        self.output_names = [first.name]  # any further outputs (masks, protos) are not decoded
        self.labels = self._labels(int(out[1]) - 4)
        self.thresholds = Thresholds(config, self.labels)

    def _labels(self, count: int) -> list[str]:
        if self.config.labels:
            names = [n.strip() for n in resolve_model(self.config.labels).read_text().splitlines() if n.strip()]
        else:
            stored = self.session.get_modelmeta().custom_metadata_map.get("names")
            if stored:
                table = ast.literal_eval(stored)
                names = [str(table[i]) for i in sorted(table)]
            elif count == 80:
                names = coco80()
            else:
                names = [f"class{i}" for i in range(count)]
        if len(names) != count:
            raise ModelError(f"{self.config.model}: the model has {count} classes but {len(names)} labels were given")
        return names

    def preprocess(self, image: np.ndarray) -> Prepared:
        boxed, scale, pad = letterbox(image, self.size)
        blob = cv2.cvtColor(boxed, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
        return Prepared(np.ascontiguousarray(blob.transpose(2, 0, 1)[None]), image.shape[1], image.shape[0], scale, pad)

    def postprocess(self, outputs: Outputs, prepared: Prepared) -> Detections:
        rows = outputs[0][0].T  # (N, 4 + C)
        scores = rows[:, 4:]
        class_id = scores.argmax(axis=1)
        score = scores[np.arange(len(rows)), class_id]
        keep = self.thresholds.keep(score, class_id)
        if not keep.any():
            return Detections.empty()
        cx, cy, bw, bh = rows[keep, :4].T
        pad, width, height = prepared.pad, prepared.width, prepared.height
        xyxy = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
        xyxy = (xyxy - np.array([pad[0], pad[1], pad[0], pad[1]], np.float32)) / prepared.scale
        xyxy = np.clip(xyxy, 0, [width, height, width, height]).astype(np.float32)
        conf, cid = score[keep], class_id[keep]
        kept = nms(xyxy, conf, cid, self.config.iou_threshold)
        return Detections(xyxy[kept], conf[kept], cid[kept])

"""NanoDet plugin: anchor-free detector with distribution-focal box regression.

The graph takes a BGR image stretched to S: either uint8 1xSxSx3 with the
normalisation inside the graph (the shipped models), or float 1x3xSxS
normalised per channel by the plugin. It returns, for each stride (8, 16, 32), sigmoid class scores
[1, HW, C] and box distributions [1, HW, 4*(R+1)]. Each side of a box is the
expectation of a softmax over R+1 bins, in units of the stride, measured from
the cell centre. NMS is not in the graph.
"""

from __future__ import annotations

import cv2
import numpy as np

from edge.detect.base import Outputs, Prepared, Thresholds
from edge.detect.labels import coco80
from edge.detect.nms import nms
from edge.detect.runtime import ModelError, OnnxDetector
from edge.detect.settings import NanoDetConfig
from edge.types import Detections

MEAN = np.array([103.53, 116.28, 123.675], np.float32)
STD = np.array([57.375, 57.12, 58.395], np.float32)


class _Level:
    """Grid centres of one output stride, precomputed once."""

    def __init__(self, stride: int, size: int) -> None:
        cells = size // stride
        ys, xs = np.mgrid[0:cells, 0:cells]
        self.stride = stride
        self.cx = ((xs.reshape(-1) + 0.5) * stride).astype(np.float32)
        self.cy = ((ys.reshape(-1) + 0.5) * stride).astype(np.float32)


class NanoDet(OnnxDetector):
    """Run a NanoDet ONNX model.

    Example:
        >>> det = NanoDet(NanoDetConfig(threads=2))  # doctest: +SKIP
        >>> det.detect(cv2.imread("person.jpg")).class_id  # doctest: +SKIP
        array([ 0, 16, 17], dtype=int32)
    """

    def __init__(self, config: NanoDetConfig) -> None:
        self.config = config
        self.labels = coco80()
        self.thresholds = Thresholds(config, self.labels)
        super().__init__(config)
        self.output_names, self.levels = self._pair_outputs()

    def _pair_outputs(self) -> tuple[list[str], list[_Level]]:
        """Match class and box outputs by their cell count, finest stride first."""
        cls: dict[int, str] = {}
        reg: dict[int, str] = {}
        for out in self.session.get_outputs():
            cells, width = out.shape[1], out.shape[2]
            (cls if width == len(self.labels) else reg)[cells] = out.name
        if set(cls) != set(reg) or not cls:
            raise ModelError(f"{self.config.model}: outputs do not pair into class/box levels: {list(cls)} vs {list(reg)}")
        names, levels = [], []
        for cells in sorted(cls, reverse=True):
            stride = self.size // int(round(cells**0.5))
            names += [cls[cells], reg[cells]]
            levels.append(_Level(stride, self.size))
        return names, levels

    def preprocess(self, image: np.ndarray) -> Prepared:
        # A new input per frame: the next frame is preprocessed while the network still reads this one.
        resized = cv2.resize(image, (self.size, self.size), interpolation=cv2.INTER_LINEAR)
        if self.uint8_input:
            return Prepared(resized[None], width=image.shape[1], height=image.shape[0])
        blob = np.empty((1, 3, self.size, self.size), np.float32)
        for channel in range(3):
            np.subtract(resized[:, :, channel], MEAN[channel], out=blob[0, channel], dtype=np.float32)
            blob[0, channel] /= STD[channel]
        return Prepared(blob, width=image.shape[1], height=image.shape[0])

    def postprocess(self, outputs: Outputs, prepared: Prepared) -> Detections:
        boxes, scores, classes = [], [], []
        for level, cls, reg in zip(self.levels, outputs[0::2], outputs[1::2]):
            cls, reg = cls[0], reg[0]
            class_id = cls.argmax(axis=1)
            score = cls[np.arange(len(cls)), class_id]
            keep = np.nonzero(self.thresholds.keep(score, class_id))[0]
            if keep.size == 0:
                continue
            dist = reg[keep].reshape(-1, 4, reg.shape[1] // 4)
            dist = np.exp(dist - dist.max(axis=2, keepdims=True))
            dist /= dist.sum(axis=2, keepdims=True)
            sides = (dist * np.arange(dist.shape[2], dtype=np.float32)).sum(axis=2) * level.stride
            cx, cy = level.cx[keep], level.cy[keep]
            boxes.append(np.stack([cx - sides[:, 0], cy - sides[:, 1], cx + sides[:, 2], cy + sides[:, 3]], axis=1))
            scores.append(score[keep])
            classes.append(class_id[keep])
        if not boxes:
            return Detections.empty()
        width, height = prepared.width, prepared.height
        xyxy = np.concatenate(boxes) * np.array([width, height, width, height], np.float32) / self.size
        xyxy = np.clip(xyxy, 0, [width, height, width, height])
        conf, cid = np.concatenate(scores), np.concatenate(classes)
        kept = nms(xyxy, conf, cid, self.config.iou_threshold)
        return Detections(xyxy[kept], conf[kept], cid[kept])

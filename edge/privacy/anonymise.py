"""Blur faces and vehicle plates before any pixel leaves the node."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from edge.privacy.centerface import CenterFace

log = logging.getLogger(__name__)

VEHICLE_CLASSES = frozenset({2, 3, 5, 7})  # COCO car, motorcycle, bus, truck
PERSON_CLASS = 0


@dataclass(frozen=True)
class Anonymised:
    """An anonymised copy of a frame and what was blurred in it."""

    image: np.ndarray
    faces: int
    vehicles: int


def blur_region(image: np.ndarray, box: np.ndarray, pad: float = 0.2) -> None:
    """Pixelate then blur ``box`` (x1, y1, x2, y2) in place, padded by ``pad`` of its size."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = box.astype(np.float64)
    px, py = (x2 - x1) * pad, (y2 - y1) * pad
    x1, y1 = int(max(0, x1 - px)), int(max(0, y1 - py))
    x2, y2 = int(min(w, np.ceil(x2 + px))), int(min(h, np.ceil(y2 + py)))
    if x2 <= x1 or y2 <= y1:
        return
    roi = image[y1:y2, x1:x2]
    # Coarse mosaic first: unlike a blur alone, it cannot be sharpened back.
    cells = (max(1, (x2 - x1) // 12), max(1, (y2 - y1) // 12))
    mosaic = cv2.resize(cv2.resize(roi, cells, interpolation=cv2.INTER_AREA), (x2 - x1, y2 - y1), interpolation=cv2.INTER_NEAREST)
    k = max(3, ((min(x2 - x1, y2 - y1) // 4) | 1))
    image[y1:y2, x1:x2] = cv2.GaussianBlur(mosaic, (k, k), 0)


class Anonymiser:
    """Finds faces on the whole frame and on the head of every person box, and blurs them.

    The lower part of vehicle boxes, where plates are, is blurred too: no
    plate detector ships with citytwin, so the whole band is covered.
    """

    def __init__(self, faces: CenterFace, threshold: float = 0.3, full_frame_width: int = 640) -> None:
        self.faces = faces
        self.threshold = threshold
        self.full_frame_width = full_frame_width

    def _faces_full_frame(self, image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        scale = min(1.0, self.full_frame_width / w)
        small = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA) if scale < 1 else image
        boxes, _ = self.faces.detect(small, self.threshold)
        scaled: np.ndarray = boxes / scale
        return scaled

    def _faces_in_heads(self, image: np.ndarray, people: np.ndarray) -> list[np.ndarray]:
        h, w = image.shape[:2]
        found = []
        for x1, y1, x2, y2 in people:
            bw, bh = x2 - x1, y2 - y1
            hx1, hy1 = int(max(0, x1 - 0.1 * bw)), int(max(0, y1 - 0.1 * bh))
            hx2, hy2 = int(min(w, x2 + 0.1 * bw)), int(min(h, y1 + 0.4 * bh))
            if hx2 - hx1 < 4 or hy2 - hy1 < 4:
                continue
            crop = image[hy1:hy2, hx1:hx2]
            # Small heads are upscaled: CenterFace misses faces under ~20 px.
            zoom = max(1.0, 96.0 / max(1, crop.shape[0]))
            if zoom > 1:
                crop = cv2.resize(crop, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_LINEAR)
            boxes, _ = self.faces.detect(crop, self.threshold)
            if len(boxes):
                found.append(boxes / zoom + np.array([hx1, hy1, hx1, hy1], np.float32))
        return found

    def anonymise(self, image: np.ndarray, xyxy: np.ndarray, class_id: np.ndarray) -> Anonymised:
        out = image.copy()
        people = xyxy[class_id == PERSON_CLASS]
        face_boxes = [self._faces_full_frame(image), *self._faces_in_heads(image, people)]
        faces = np.concatenate(face_boxes) if face_boxes else np.zeros((0, 4), np.float32)
        for box in faces:
            blur_region(out, box)
        vehicles = xyxy[np.isin(class_id, list(VEHICLE_CLASSES))]
        for x1, y1, x2, y2 in vehicles:
            blur_region(out, np.array([x1, y1 + 0.55 * (y2 - y1), x2, y2]), pad=0.05)
        return Anonymised(out, faces=len(faces), vehicles=len(vehicles))


def encode_jpeg(image: np.ndarray, quality: int = 80) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return bytes(buf.tobytes())

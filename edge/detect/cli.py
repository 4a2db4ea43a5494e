"""``citytwin detect``: run a detector over a video or image and print what it finds."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from edge.detect.nanodet import NanoDet
from edge.detect.runtime import ModelError
from edge.detect.settings import NanoDetConfig
from edge.types import Detections

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


def _frames(media: Path, start: int, count: int, every: int) -> Iterator[tuple[int, np.ndarray]]:
    if media.suffix.lower() in IMAGE_SUFFIXES:
        image = cv2.imread(str(media))
        if image is None:
            raise ValueError(f"{media} is not an image OpenCV can read")
        yield 0, image
        return
    cap = cv2.VideoCapture(str(media))
    if not cap.isOpened():
        raise ValueError(f"{media} is not a video OpenCV can decode")
    index, emitted = 0, 0
    try:
        while count == 0 or emitted < count:
            ok = cap.grab()
            if not ok:
                break
            if index >= start and (index - start) % every == 0:
                ok, image = cap.retrieve()
                if ok:
                    yield index, image
                    emitted += 1
            index += 1
    finally:
        cap.release()
    if index == 0:
        raise ValueError(f"{media} has no decodable frames (corrupt or truncated?)")


def _summary(found: Detections, labels: list[str]) -> str:
    counts = Counter(labels[c] for c in found.class_id)
    return ", ".join(f"{n} {name}" for name, n in counts.most_common()) or "nothing"


def run(args: argparse.Namespace) -> int:
    media: Path = args.media
    if not media.exists():
        print(f"citytwin detect: {media} not found", file=sys.stderr)
        return 2
    model = Path(args.model if args.model.endswith(".onnx") else f"{args.model}.onnx")
    try:
        detector = NanoDet(NanoDetConfig(model=model, threads=args.threads))
    except ModelError as exc:
        print(f"citytwin detect: {exc}", file=sys.stderr)
        return 2
    total: Counter[str] = Counter()
    timings: list[float] = []
    try:
        for index, image in _frames(media, args.start, args.frames, max(1, args.every)):
            start = time.perf_counter()
            found = detector.detect(image)
            timings.append((time.perf_counter() - start) * 1000)
            total.update(detector.labels[c] for c in found.class_id)
            if args.json:
                print(json.dumps({
                    "frame": index,
                    "objects": [
                        {"class": detector.labels[c], "confidence": round(float(s), 3), "xyxy": [round(float(v), 1) for v in b]}
                        for b, s, c in zip(found.xyxy, found.confidence, found.class_id)
                    ],
                }), flush=True)
            else:
                print(f"frame {index:>5}: {_summary(found, detector.labels)}", flush=True)
    except ValueError as exc:
        print(f"citytwin detect: {exc}", file=sys.stderr)
        return 2
    if timings and not args.json:
        print(
            f"{len(timings)} frames, median {np.median(timings):.1f} ms/frame with {model.name}; "
            f"most seen: {', '.join(f'{k} ({v})' for k, v in total.most_common(4)) or 'nothing'}"
        )
    return 0

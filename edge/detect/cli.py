"""``citytwin detect``: run a detector over a video, an image or a configured camera and print what it finds.

The detector is built through the registry from a config, the same way an
edge node builds it: the deployment's ``edge.detector`` (``--config``), or
one described by flags (``--detector``, ``--model``, ``--labels``), so a
YOLO export can be checked before a site is configured to use it.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from pydantic import TypeAdapter, ValidationError

from citytwin.deployment import Camera, Deployment
from citytwin.errors import ConfigError, UsageError, refused_as
from edge.detect.registry import build_detector
from edge.detect.settings import DetectorConfig, NanoDetConfig, YoloConfig
from edge.source.registry import build_source
from edge.types import Detections

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
FLAGS = {"type": "--detector", "model": "--model", "labels": "--labels", "threads": "--threads"}
_CONFIG: TypeAdapter[NanoDetConfig | YoloConfig] = TypeAdapter(DetectorConfig)

Frames = Iterator[tuple[int, np.ndarray]]


def _media_frames(media: Path, start: int, count: int, every: int) -> Frames:
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


def _camera_frames(deployment: Deployment, camera: Camera, start: int, count: int, every: int) -> Frames:
    """Frames of a configured camera's source, as its edge node reads them."""
    emitted = 0
    with build_source(deployment.source(camera), camera.id) as source:
        for frame in source.frames():
            if count and emitted >= count:
                return
            if frame.index >= start and (frame.index - start) % every == 0:
                yield frame.index, frame.image
                emitted += 1


def _from_flags(args: argparse.Namespace) -> NanoDetConfig | YoloConfig:
    settings: dict[str, Any] = {"type": args.detector or "nanodet"}
    if args.model is not None:
        settings["model"] = Path(args.model if args.model.endswith(".onnx") else f"{args.model}.onnx")
    if args.labels is not None:
        settings["labels"] = args.labels
    try:
        return _CONFIG.validate_python(settings)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = str(error["loc"][-1]) if error["loc"] else "type"  # a tag no plugin has is the union's own error
            flag = FLAGS.get(key, key)
            said = f"the {settings['type']} detector takes no such setting" if error["type"] == "extra_forbidden" else error["msg"]
            problems.append(f"{flag}: {said}")
        raise ConfigError(f"the detector flags do not describe a detector: {'; '.join(problems)}") from None


def detector_config(args: argparse.Namespace) -> tuple[NanoDetConfig | YoloConfig, Deployment | None]:
    """The detector to run, from ``--config`` or the flags, with ``--threads`` applied; and the deployment, if any."""
    deployment = None
    if args.config is not None:
        given = [flag for flag, value in (("--detector", args.detector), ("--model", args.model), ("--labels", args.labels)) if value is not None]
        if given:
            raise ConfigError(f"{', '.join(given)} and --config both choose the detector; give one or the other")
        deployment = args.deployment
        config = deployment.edge.detector
    else:
        if args.camera is not None:
            raise ConfigError("--camera names a camera of a deployment: give its --config too")
        config = _from_flags(args)
    if args.threads is not None:
        config = config.model_copy(update={"threads": args.threads})
    return config, deployment


def _frames(args: argparse.Namespace, deployment: Deployment | None) -> Frames:
    start, count, every = args.start, args.frames, max(1, args.every)
    if args.media is not None:
        if args.camera is not None:
            raise ConfigError("--camera reads a configured camera instead of a file: give one or the other")
        if not args.media.exists():
            raise ValueError(f"{args.media} not found")
        return _media_frames(args.media, start, count, every)
    if deployment is None:
        raise ConfigError("give a video or image, or --config (and --camera) to read a configured camera")
    return _camera_frames(deployment, deployment.camera(args.camera), start, count, every)


def _summary(found: Detections, labels: list[str]) -> str:
    counts = Counter(labels[c] for c in found.class_id)
    return ", ".join(f"{n} {name}" for name, n in counts.most_common()) or "nothing"


def _print(index: int, found: Detections, labels: list[str], as_json: bool) -> None:
    if not as_json:
        print(f"frame {index:>5}: {_summary(found, labels)}", flush=True)
        return
    objects = [
        {"class": labels[c], "confidence": round(float(s), 3), "xyxy": [round(float(v), 1) for v in b]}
        for b, s, c in zip(found.xyxy, found.confidence, found.class_id)
    ]
    print(json.dumps({"frame": index, "objects": objects}), flush=True)


def run(args: argparse.Namespace) -> int:
    with refused_as(UsageError, ValueError):  # a value the flags, the model or the media carry that cannot be used
        config, deployment = detector_config(args)
        frames = _frames(args, deployment)
        detector = build_detector(config)
    total: Counter[str] = Counter()
    timings: list[float] = []
    try:
        with refused_as(UsageError, ValueError):  # the media's frames are read, and judged, as they come
            for index, image in frames:
                start = time.perf_counter()
                found = detector.detect(image)
                timings.append((time.perf_counter() - start) * 1000)
                total.update(detector.labels[c] for c in found.class_id)
                _print(index, found, detector.labels, args.json)
    finally:
        detector.close()
    if timings and not args.json:
        print(
            f"{len(timings)} frames, median {np.median(timings):.1f} ms/frame with {config.model.name}; "
            f"most seen: {', '.join(f'{k} ({v})' for k, v in total.most_common(4)) or 'nothing'}"
        )
    return 0

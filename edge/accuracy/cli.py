"""``citytwin accuracy``: run a deployment's nodes over a recorded video and score them against a hand tally."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from citytwin.deployment import Deployment
from citytwin.errors import ConfigError, Failed, UsageError, refused_as
from edge.accuracy.replay import replay
from edge.accuracy.score import Score, score_camera, table, total
from edge.accuracy.tally import load_tally
from edge.source.base import SourceError
from edge.source.settings import FileSourceConfig

log = logging.getLogger(__name__)


def _video(deployment: Deployment, camera_id: str, given: Path | None) -> Path:
    if given is not None:
        video = given
    else:
        source = deployment.source(deployment.camera(camera_id))
        if not isinstance(source, FileSourceConfig):
            raise UsageError(f"camera {camera_id!r} reads a stream, not a recorded file; give the recording with --video")
        video = source.path
    if not video.is_file():
        raise SourceError(f"video {video} not found; give the recording the tally was made on with --video")
    return video


def _floors(args: argparse.Namespace) -> tuple[float, float]:
    floors = (args.min_precision, args.min_recall)
    if not all(0.0 <= f <= 1.0 for f in floors):
        raise UsageError(f"--min-precision and --min-recall lie in 0..1, got {floors[0]} and {floors[1]}")
    if args.tolerance < 0:
        raise UsageError(f"--tolerance is a number of frames >= 0, got {args.tolerance}")
    return floors


def run(args: argparse.Namespace) -> int:
    """Entry point of ``citytwin accuracy``."""
    deployment: Deployment = args.deployment
    min_precision, min_recall = _floors(args)
    tally = load_tally(args.tally)
    cameras = [args.camera] if args.camera else list(tally.cameras)
    unknown = [c for c in cameras if c not in tally.cameras]
    if unknown:
        raise UsageError(f"{args.tally} tallies cameras {sorted(tally.cameras)}, not {unknown}")
    scores: dict[str, list[Score]] = {}
    for camera_id in cameras:
        camera_tally = tally.cameras[camera_id]
        camera = deployment.camera(camera_id)
        missing = sorted(set(camera_tally.lines) - {l.id for l in camera.lines}) + sorted(
            set(camera_tally.zones) - {z.id for z in camera.zones}
        )
        if missing:
            raise ConfigError(f"{args.tally}: camera {camera_id!r} of the deployment has no line or zone {missing}")
        video = _video(deployment, camera_id, args.video)
        with refused_as(ConfigError, FileNotFoundError, ValueError):  # a setting a plugin refused when it was built
            observed = replay(deployment, camera_id, video)
        scores[camera_id] = score_camera(camera_id, camera_tally, observed, args.tolerance)
    print(table(scores))
    overall = total("overall", [s for items in scores.values() for s in items])
    if overall.precision < min_precision or overall.recall < min_recall:
        raise Failed(
            f"overall precision {overall.precision:.3f} and recall {overall.recall:.3f} against {args.tally}; "
            f"the floors are {min_precision} and {min_recall}"
        )
    return 0

"""``citytwin edge``: build one camera's node from the config, run it, stop it cleanly."""

from __future__ import annotations

import argparse
import itertools
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from citytwin.deployment import Camera, Deployment
from citytwin.errors import ConfigError, refused_as
from citytwin.lifecycle import stop_on_signals
from edge.detect.registry import build_detector
from edge.detect.runtime import resolve_model
from edge.events.factory import EventFactory
from edge.events.sequence import SequenceBlocks
from edge.privacy.anonymise import Anonymiser
from edge.privacy.centerface import CenterFace
from edge.publish.base import Publisher
from edge.publish.mqtt import MqttPublisher
from edge.runtime.metrics import EdgeSeries
from edge.runtime.node import EdgeNode, Parts
from edge.runtime.stats import StageTimer
from edge.source.base import SourceError
from edge.source.registry import build_source
from edge.source.settings import FileSourceConfig, SourceConfig
from edge.track.registry import build_tracker

log = logging.getLogger(__name__)


def numbering(source: SourceConfig, spool_dir: Path, node_id: str) -> Callable[[], int]:
    """Sequence numbers for a node's events.

    A replay whose capture times repeat (a fast replay, or one with a fixed
    ``start_time``) restarts at 0 so that its event ids repeat too. Anything
    stamped from the clock (a live camera, or a file paced in real time as an
    emulated camera) continues from blocks reserved on disk: a restart must
    never reuse an id, or the twin would take new events for duplicates.
    """
    if isinstance(source, FileSourceConfig) and (source.start_time is not None or not source.realtime):
        return itertools.count().__next__
    return SequenceBlocks(spool_dir / f"{node_id}.seq").next


def build_node(deployment: Deployment, camera: Camera, source_config: SourceConfig, publisher: Publisher) -> EdgeNode:
    """The node of ``camera`` reading ``source_config`` and publishing to ``publisher``; raises on a bad model or source."""
    node_id = deployment.node_id(camera)
    source = build_source(source_config, camera.id)
    detector = build_detector(deployment.edge.detector)
    tracker = build_tracker(deployment.edge.tracker)
    snapshots = deployment.edge.snapshots
    anonymiser = None
    if snapshots.enabled:
        anonymiser = Anonymiser(CenterFace(resolve_model(snapshots.face_model)), snapshots.face_threshold)
    factory = EventFactory(deployment.site.id, camera.id, node_id, numbering(source_config, deployment.mqtt.spool_dir, node_id))
    return EdgeNode(deployment.edge, camera, Parts(source, detector, tracker, publisher, anonymiser), factory)


def build(deployment: Deployment, camera_id: str | None) -> tuple[EdgeNode, MqttPublisher]:
    """Everything a node needs, in start order; raises on a bad config, model or source."""
    camera = deployment.camera(camera_id)
    source_config = deployment.source(camera)
    publisher = MqttPublisher(deployment.mqtt, deployment.site.id, camera.id, deployment.node_id(camera))
    return build_node(deployment, camera, source_config, publisher), publisher


def _run(node: EdgeNode, publisher: MqttPublisher, deployment: Deployment, max_frames: int | None) -> StageTimer:
    """Start publishing, run the node until its source ends or it is stopped, then drain the publisher."""
    publisher.start()
    log.info("edge node %s: camera %s, publishing to %s:%d", node.factory.node, node.camera.id,
             deployment.mqtt.host, deployment.mqtt.port)
    try:
        timer = node.run(max_frames)
    except SourceError:
        publisher.stop()
        raise
    finally:
        node.parts.detector.close()
    publisher.stop(drain_timeout=30.0)
    return timer


def run(args: argparse.Namespace) -> int:
    deployment: Deployment = args.deployment
    with refused_as(ConfigError, FileNotFoundError, ValueError):  # a setting a plugin refused when it was built
        node, publisher = build(deployment, args.camera)

    series = EdgeSeries(deployment.metrics, node.timer)
    series.follow(node, publisher)
    stop_on_signals(node.stop, "finishing the current frame")
    series.exposition.start()
    try:
        timer = _run(node, publisher, deployment, args.max_frames)
    finally:
        series.exposition.stop()
    print(
        f"edge node {node.factory.node}: {timer.frames} frames, {node.detections_run} detections, "
        f"{node.published} events ({publisher.pending} still buffered, {publisher.dropped} dropped)",
        file=sys.stderr,
    )
    if args.stats:
        print(timer.table())
    return 0

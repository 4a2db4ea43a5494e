"""``citytwin bench`` with no MQTT broker listening: every figure it can measure, and a note instead of a traceback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from hardware.result import BenchResult

pytestmark = pytest.mark.slow

NODE_STAGES = ["decode", "preprocess", "infer", "postprocess", "track", "analytics", "publish"]


def _closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_bench_without_a_broker_measures_and_says_publishing_was_skipped(tmp_path: Path, vtest_path: Path) -> None:
    env = {**os.environ, "CITYTWIN_MQTT_PORT": str(_closed_port())}
    argv = [
        sys.executable, "-m", "citytwin.cli", "bench", "--quick", "--models", "nanodet-g-416", "--frames", "4",
        "--warmup", "1", "--device", "no-broker", "--results", str(tmp_path), "--video", str(vtest_path), "--no-progress",
    ]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    (path,) = (tmp_path / "no-broker").glob("*.json")
    result = BenchResult.model_validate(json.loads(path.read_text()))
    (config,) = result.configs
    assert [s.stage for s in config.stages] == NODE_STAGES
    assert all(s.latency.samples == config.frames for s in config.stages)
    assert config.inference_fps > 0 and config.pipeline_fps > 0
    assert result.end_to_end is None
    assert any("sending to a broker was skipped" in note for note in result.notes), result.notes
    assert "publishing to MQTT was skipped" in done.stdout


def test_a_deployment_whose_broker_is_down_measures_and_says_publishing_was_skipped(tmp_path: Path, vtest_path: Path) -> None:
    site = tmp_path / "site.yaml"
    site.write_text(
        "site: {id: lab, name: lab, width_m: 10, height_m: 10}\n"
        f"mqtt: {{host: 127.0.0.1, port: {_closed_port()}, spool_dir: {tmp_path / 'spool'}}}\n"
        "cameras: [{id: cam-1, map: {x_m: 1, y_m: 1}, source: {type: file, path: " + str(vtest_path) + "}}]\n"
    )
    argv = [
        sys.executable, "-m", "citytwin.cli", "bench", "--config", str(site), "--quick", "--models", "nanodet-g-416",
        "--sizes", "320", "--threads", "1", "--frames", "2", "--warmup", "1", "--device", "down",
        "--results", str(tmp_path), "--video", str(vtest_path), "--no-progress",
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "publishing to MQTT was skipped" in done.stdout
    assert f"the mqtt section of {site}" in done.stderr
    (path,) = (tmp_path / "down").glob("*.json")
    assert BenchResult.model_validate(json.loads(path.read_text())).end_to_end is None

"""``citytwin bench --quick`` end to end: real frames, live Mosquitto, results valid against the committed schema."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from citytwin.cli import main
from hardware import schema
from hardware.result import BenchResult
from tests.edge.bench.graphs import yolo_stub
from tests.support.brokers import MqttBroker

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

DEVICE = "test-quick"
# What an edge node times on every frame with the motion gate off and no snapshots, named as its node_health names them.
NODE_STAGES = ["decode", "preprocess", "infer", "postprocess", "track", "analytics", "publish"]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory, mqtt_broker: MqttBroker, vtest_path: Path) -> tuple[Path, str]:
    """One quick run (NanoDet fp32 and int8 and a YOLO-layout stub) into a scratch results folder; returns it and stdout."""
    tmp = tmp_path_factory.mktemp("bench")
    stub = yolo_stub(tmp / "yolo-stub.onnx")
    results = tmp / "results"
    argv = [
        "bench", "--quick", "--device", DEVICE, "--results", str(results), "--video", str(vtest_path),
        "--mqtt", f"{mqtt_broker.host}:{mqtt_broker.port}", "--yolo", str(stub), "--no-progress",
    ]
    capture = tmp / "stdout.txt"
    with capture.open("w") as fh, contextlib.redirect_stdout(fh):
        assert main(argv) == 0
    return results, capture.read_text()


def committed_schema() -> dict[str, Any]:
    return dict(json.loads(schema.SCHEMA_FILE.read_text()))


def result_files(results: Path) -> dict[str, dict[str, Any]]:
    files = sorted((results / DEVICE).glob("*.json"))
    return {json.loads(f.read_text())["model"]["name"]: json.loads(f.read_text()) for f in files}


def test_committed_schema_is_current() -> None:
    assert schema.main(["--check"]) == 0, "run: python -m hardware.schema"


def test_one_schema_valid_file_per_model(quick_run: tuple[Path, str]) -> None:
    by_model = result_files(quick_run[0])
    assert sorted(by_model) == ["nanodet-g-416", "nanodet-g-416-int8", "yolo-stub"]
    validator = jsonschema.Draft202012Validator(committed_schema())
    for name, document in by_model.items():
        errors = sorted(validator.iter_errors(document), key=str)
        assert not errors, f"{name}: {errors[0].message} at {list(errors[0].absolute_path)}"
        assert document["quick"] is True and document["device"]["name"] == DEVICE
        assert len({d["run_id"] for d in by_model.values()}) == 1


def test_every_stage_is_measured_on_every_frame(quick_run: tuple[Path, str]) -> None:
    for document in result_files(quick_run[0]).values():
        result = BenchResult.model_validate(document)
        for config in result.configs:
            assert [s.stage for s in config.stages] == NODE_STAGES
            assert {s.latency.samples for s in config.stages} == {config.frames}
            inference = next(s for s in config.stages if s.stage == "infer").latency
            assert config.inference_fps == pytest.approx(1000 / inference.p50_ms, rel=0.01)
            assert 0 < inference.p50_ms <= inference.p95_ms <= inference.p99_ms
            assert config.pipeline_fps == pytest.approx(1000 / config.frame_cycle.p50_ms, rel=0.01)
            assert config.frame_cycle.samples == config.frames
            assert 0 < config.pipeline_ratio <= 1.05 and config.wall_fps > 0 and config.rounds == 1
            assert config.resources.cpu_percent > 0 and config.resources.rss_mb_peak > 0


def test_int8_alone_carries_its_agreement_with_fp32(quick_run: tuple[Path, str]) -> None:
    by_model = {name: BenchResult.model_validate(d) for name, d in result_files(quick_run[0]).items()}
    agreement = by_model["nanodet-g-416-int8"].agreement
    assert agreement is not None and agreement.reference == "nanodet-g-416" and agreement.object_class == "person"
    assert agreement.frames == 10 and agreement.matched > 0 and 0.9 <= agreement.f1 <= 1.0
    assert by_model["nanodet-g-416"].agreement is None and by_model["yolo-stub"].agreement is None
    assert "int8 detections against nanodet-g-416: F1" in quick_run[1]


def test_efficiency_against_the_gemm_peak(quick_run: tuple[Path, str]) -> None:
    fp32 = BenchResult.model_validate(result_files(quick_run[0])["nanodet-g-416"])
    config = fp32.configs[0]
    assert config.config.input_size == 320
    assert config.gflop == pytest.approx(4.19 * (320 / 416) ** 2, rel=0.02)
    peak = fp32.gemm.at(config.config.threads)
    assert peak is not None and peak > 0
    assert config.efficiency == pytest.approx(config.achieved_gflops / peak, abs=0.002)


def test_end_to_end_through_mosquitto(quick_run: tuple[Path, str]) -> None:
    by_model = {name: BenchResult.model_validate(d) for name, d in result_files(quick_run[0]).items()}
    assert by_model["nanodet-g-416"].end_to_end is None
    e2e = by_model["nanodet-g-416-int8"].end_to_end
    assert e2e is not None and e2e.endpoint == "mqtt" and e2e.realtime
    assert e2e.events_published > 0 and e2e.events_seen == e2e.events_published
    assert 0 < e2e.latency.p50_ms <= e2e.latency.p95_ms < 5000


def test_output_is_a_table_with_the_headline(quick_run: tuple[Path, str]) -> None:
    out = quick_run[1]
    assert "| device | model | size | threads | provider | pipeline FPS |" in out
    assert "int8 / fp32 pipeline FPS" in out and "end to end (mqtt" in out
    assert out.count(f"wrote {quick_run[0] / DEVICE}") == 3


def test_report_renders_markdown_and_png(quick_run: tuple[Path, str]) -> None:
    results = quick_run[0]
    assert main(["bench", "report", "--results", str(results)]) == 0
    report = (results / "REPORT.md").read_text()
    assert f"{DEVICE} (quick)" in report and "![FPS and latency" in report and "## End to end" in report
    assert (results / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_schema_catches_a_broken_file(quick_run: tuple[Path, str]) -> None:
    document = result_files(quick_run[0])["nanodet-g-416"]
    del document["configs"][0]["stages"]
    document["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, committed_schema())

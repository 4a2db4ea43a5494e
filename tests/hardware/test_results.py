"""The results kept in the repository: valid against the schema of their version, and the CI x86 reference is complete."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from hardware.lab import RESULTS_DIR as RESULTS
from hardware.report import latest_results
from hardware.result import RESULT_VERSION, V1_STAGE_NAMES, BenchResult

FILES = sorted(RESULTS.glob("*/*.json"))


def schema(version: int) -> dict[str, Any]:
    """The current schema, or the one kept for files of an older version."""
    name = "schema.json" if version == RESULT_VERSION else f"schema-v{version}.json"
    return dict(json.loads((RESULTS / name).read_text()))


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(RESULTS)) for p in FILES])
def test_committed_result_is_valid(path: Path) -> None:
    document = json.loads(path.read_text())
    jsonschema.Draft202012Validator(schema(document["result_version"])).validate(document)
    result = BenchResult.model_validate(document)
    assert path.parent.name == result.device.name
    assert path.name == f"{result.created:%Y-%m-%d}-{result.model.name}.json"


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(RESULTS)) for p in FILES])
def test_older_files_load_with_the_node_s_stage_names_and_the_same_figures(path: Path) -> None:
    document = json.loads(path.read_text())
    result = BenchResult.model_validate(document)
    assert result.result_version == RESULT_VERSION
    jsonschema.Draft202012Validator(schema(RESULT_VERSION)).validate(json.loads(result.model_dump_json()))
    for stored, loaded in zip(document["configs"], result.configs):
        renamed = V1_STAGE_NAMES if document["result_version"] == 1 else {}
        assert [renamed.get(s["stage"], s["stage"]) for s in stored["stages"]] == [s.stage for s in loaded.stages]
        assert [s["latency"] for s in stored["stages"]] == [s.latency.model_dump() for s in loaded.stages]
        assert stored["inference_fps"] == loaded.inference_fps


def test_a_version_nobody_wrote_is_refused() -> None:
    document = json.loads(FILES[0].read_text())
    with pytest.raises(ValueError, match="result_version"):
        BenchResult.model_validate({**document, "result_version": 4})


def test_ci_x86_reference_is_a_full_run_of_both_precisions() -> None:
    ours = [r for r in latest_results(RESULTS) if r.device.name == "ci-x86"]
    by_precision = {r.model.precision: r for r in ours}
    assert set(by_precision) == {"fp32", "int8"}
    assert len({r.run_id for r in ours}) == 1, "the reference files come from one run"
    for result in ours:
        assert not result.quick
        sizes = {c.config.input_size for c in result.configs}
        threads = {c.config.threads for c in result.configs}
        assert len(sizes) >= 2 and len(threads) >= 2, "the matrix covers sizes and threads"
    e2e = [r.end_to_end for r in ours if r.end_to_end is not None]
    assert len(e2e) == 1 and e2e[0].events_seen > 20


def test_report_is_rendered_from_the_committed_results() -> None:
    report = (RESULTS / "REPORT.md").read_text()
    for device in {p.parent.name for p in FILES}:
        assert f"| {device} |" in report
    assert (RESULTS / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

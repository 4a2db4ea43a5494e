"""The results kept in the repository: valid against the schema, and the CI x86 reference is complete."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from edge.bench.lab import HARDWARE_DIR
from edge.bench.report import latest_results
from edge.bench.results import BenchResult

RESULTS = HARDWARE_DIR / "results"
FILES = sorted(RESULTS.glob("*/*.json"))


def schema() -> dict[str, Any]:
    return dict(json.loads((RESULTS / "schema.json").read_text()))


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(RESULTS)) for p in FILES])
def test_committed_result_is_valid(path: Path) -> None:
    document = json.loads(path.read_text())
    jsonschema.Draft202012Validator(schema()).validate(document)
    result = BenchResult.model_validate(document)
    assert path.parent.name == result.device.name
    assert path.name == f"{result.created:%Y-%m-%d}-{result.model.name}.json"


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

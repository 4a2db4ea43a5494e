"""The contract's closed vocabularies match what the edge really produces."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pydantic import ValidationError

from citytwin.paths import REPO_ROOT
from contract.bodies import NodeHealthBody
from contract.vocab import OBJECT_CLASSES, RETIRED_STAGES, STAGES
from edge.detect.labels import coco80


def test_object_classes_are_the_shipped_detectors_labels() -> None:
    assert list(OBJECT_CLASSES) == coco80()
    assert list(OBJECT_CLASSES) == (REPO_ROOT / "models" / "labels" / "coco80.txt").read_text().split("\n")[:80]


def _timed_stages(path: Path) -> set[str]:
    """The names passed to ``timer.stage(...)`` or ``timer.add(...)`` in ``path``."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("stage", "add"):
            arg = node.args[0]
            assert isinstance(arg, ast.Constant) and isinstance(arg.value, str), ast.dump(node)
            names.add(arg.value)
    return names


def test_stages_are_the_ones_the_node_times() -> None:
    assert _timed_stages(REPO_ROOT / "edge" / "runtime" / "node.py") == set(STAGES)


def test_retired_stages_are_no_longer_timed() -> None:
    assert not set(RETIRED_STAGES) & _timed_stages(REPO_ROOT / "edge" / "runtime" / "node.py")


HEALTH = {"fps": 9.5, "frames": 1, "dropped_frames": 0, "cpu_percent": 1.0, "rss_mb": 1.0, "uptime_s": 1.0}


@pytest.mark.parametrize("stage", [*STAGES, *RETIRED_STAGES])
def test_every_stage_a_node_reports_is_accepted(stage: str) -> None:
    assert NodeHealthBody.model_validate({**HEALTH, "stage_ms": {stage: 1.0}}).stage_ms == {stage: 1.0}


@pytest.mark.parametrize("stage", ["inference", "tracking", "Detect", "infer ", "frame"])
def test_other_stage_names_are_refused(stage: str) -> None:
    with pytest.raises(ValidationError, match="stage_ms"):
        NodeHealthBody.model_validate({**HEALTH, "stage_ms": {stage: 1.0}})

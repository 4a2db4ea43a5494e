"""The contract's closed vocabularies match what the edge really produces."""

from __future__ import annotations

import ast
from pathlib import Path

from citytwin.paths import REPO_ROOT
from contract.vocab import OBJECT_CLASSES, STAGES
from edge.detect.labels import coco80


def test_object_classes_are_the_shipped_detectors_labels() -> None:
    assert list(OBJECT_CLASSES) == coco80()
    assert list(OBJECT_CLASSES) == (REPO_ROOT / "models" / "labels" / "coco80.txt").read_text().split("\n")[:80]


def _timed_stages(path: Path) -> set[str]:
    """The names passed to ``timer.stage(...)`` in ``path``."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "stage":
            (arg,) = node.args
            assert isinstance(arg, ast.Constant) and isinstance(arg.value, str), ast.dump(node)
            names.add(arg.value)
    return names


def test_stages_are_the_ones_the_node_times() -> None:
    assert _timed_stages(REPO_ROOT / "edge" / "runtime" / "node.py") == set(STAGES)

"""onnxruntime sessions: accelerators keep the CPU to fall back on for the ops they lack."""

from __future__ import annotations

import pytest

from edge.detect.runtime import providers_for


@pytest.mark.parametrize(
    ("provider", "expected"),
    [
        ("CPUExecutionProvider", ["CPUExecutionProvider"]),
        ("CUDAExecutionProvider", ["CUDAExecutionProvider", "CPUExecutionProvider"]),
        ("TensorrtExecutionProvider", ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]),
    ],
)
def test_accelerators_fall_back_to_the_cpu(provider: str, expected: list[str]) -> None:
    assert providers_for(provider) == expected

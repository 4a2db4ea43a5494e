"""onnxruntime sessions: accelerators keep the CPU to fall back on for the ops they lack; idle threads sleep."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.detect.nanodet import NanoDet
from edge.detect.runtime import providers_for
from edge.detect.settings import NanoDetConfig


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


@pytest.mark.parametrize(("spin", "entry"), [(False, "0"), (True, "1")])
def test_idle_threads_sleep_unless_told_to_spin(spin: bool, entry: str) -> None:
    detector = NanoDet(NanoDetConfig(model=Path("nanodet-g-416-int8.onnx"), threads=2, spin=spin))
    try:
        options = detector.session.get_session_options()
        assert options.get_session_config_entry("session.intra_op.allow_spinning") == entry
        assert options.intra_op_num_threads == 2
    finally:
        detector.close()

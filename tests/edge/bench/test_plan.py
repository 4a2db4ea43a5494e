"""The benchmark matrix: thread and provider axes, profile defaults, sizes per model."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from edge.bench.plan import FULL, QUICK, REWARM, make_plan
from hardware.lab import load_profile
from tests.edge.bench.graphs import yolo_stub


def test_accelerators_run_with_the_most_threads_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("onnxruntime.get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    plan = make_plan(quick=False, models=["nanodet-g-416"], sizes=[320, 416], threads=[1, 4],
                     providers=["CPUExecutionProvider", "CUDAExecutionProvider"])
    points = plan.points(plan.models[0])
    assert [p for p in points if p[2] == "CUDAExecutionProvider"] == [(320, 4, "CUDAExecutionProvider"), (416, 4, "CUDAExecutionProvider")]
    assert len([p for p in points if p[2] == "CPUExecutionProvider"]) == 4
    assert plan.total_frames == 6 * FULL.frames_per_point


def test_quick_plan_is_small() -> None:
    plan = make_plan(quick=True)
    assert [m.name for m in plan.models] == ["nanodet-g-416", "nanodet-g-416-int8"]
    assert plan.sizes == [320] and plan.providers == ["CPUExecutionProvider"] and len(plan.threads) == 1
    assert plan.lengths == QUICK
    assert (plan.e2e.model, plan.e2e.size) == ("nanodet-g-416-int8", 320)


def test_full_plan_end_to_end_runs_the_default_node() -> None:
    plan = make_plan(quick=False, threads=[1, 2])
    assert (plan.e2e.model, plan.e2e.size, plan.e2e.threads) == ("nanodet-g-416-int8", 416, 2)


def test_profile_sets_matrix_and_end_to_end() -> None:
    profile = load_profile("raspberry-pi-5")
    plan = make_plan(quick=False, profile=profile)
    assert plan.sizes == sorted(profile.bench.sizes) and plan.threads == profile.bench.threads
    assert plan.lengths.frames == profile.bench.frames
    assert (plan.e2e.model, plan.e2e.size, plan.e2e.threads) == ("nanodet-g-416-int8", 320, 4)
    assert any("XnnpackExecutionProvider" in n for n in plan.notes) or "XnnpackExecutionProvider" in plan.providers


def test_yolo_keeps_its_exported_size(tmp_path: Path) -> None:
    plan = make_plan(quick=False, models=["nanodet-g-416"], yolo=[str(yolo_stub(tmp_path / "y.onnx"))], sizes=[320], threads=[1])
    yolo = plan.models[1]
    assert plan.points(yolo) == [(yolo.native_size, 1, "CPUExecutionProvider")]
    assert any("measured at its exported size" in n for n in plan.notes)


@pytest.mark.parametrize(("frames", "rounds", "chunks"), [(200, 4, [50, 50, 50, 50]), (10, 3, [4, 3, 3]), (5, 1, [5])])
def test_rounds_split_the_frames(frames: int, rounds: int, chunks: list[int]) -> None:
    lengths = replace(FULL, frames=frames, rounds=rounds)
    assert [lengths.chunk(r) for r in range(rounds)] == chunks
    assert lengths.warmup_in(0) == FULL.warmup and all(lengths.warmup_in(r) == REWARM for r in range(1, rounds))


def test_fewer_frames_than_rounds_means_fewer_rounds() -> None:
    assert make_plan(quick=False, models=["nanodet-g-416"], frames=2).lengths.rounds == 2


def test_agreement_frames_default_per_run_length_and_can_be_turned_off() -> None:
    assert make_plan(quick=False).lengths.agreement_frames == 200
    assert make_plan(quick=True).lengths.agreement_frames == 10
    assert make_plan(quick=True, agreement_frames=0).lengths.agreement_frames == 0

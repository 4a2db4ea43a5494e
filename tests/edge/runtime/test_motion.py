"""The motion gate skips still frames and wakes on change."""

from __future__ import annotations

import numpy as np

from edge.runtime.motion import MotionGate


def frame(patch_x: int | None = None) -> np.ndarray:
    image = np.full((240, 320, 3), 90, np.uint8)
    if patch_x is not None:
        image[100:160, patch_x : patch_x + 40] = 250
    return image


def test_still_scene_is_skipped_until_max_skip() -> None:
    gate = MotionGate(max_skip=4)
    decisions = [gate.should_detect(frame()) for _ in range(11)]
    assert decisions == [True, False, False, False, False, True, False, False, False, False, True]


def test_a_moving_object_triggers_detection() -> None:
    gate = MotionGate(max_skip=100)
    assert gate.should_detect(frame(10))
    assert not gate.should_detect(frame(10))
    assert gate.should_detect(frame(60))


def test_sensor_noise_is_not_motion() -> None:
    rng = np.random.default_rng(0)
    gate = MotionGate(max_skip=100)
    gate.should_detect(frame())
    noisy = np.clip(frame().astype(int) + rng.integers(-6, 7, (240, 320, 3)), 0, 255).astype(np.uint8)
    assert not gate.should_detect(noisy)

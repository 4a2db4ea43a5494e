"""Batched constant-velocity Kalman filter on boxes, one row per track.

State per track: ``[cx, cy, w, h, vx, vy, vw, vh]`` in pixels and pixels per
frame. Noise scales with the box size (x terms with the width, y terms with
the height), so that near and far objects are equally easy to follow.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

# Standard deviations as fractions of the box size; values proven on MOT-style video.
STD_POSITION = 1.0 / 20.0
STD_VELOCITY = 1.0 / 160.0
# Smallest box side a prediction may shrink to, so that IoU stays defined.
MIN_SIDE = 1e-3

_F = np.eye(8)
_F[:4, 4:] = np.eye(4)


def xyxy_to_state(xyxy: NDArray[Any]) -> Array:
    """Boxes ``(N, 4)`` as measurements ``[cx, cy, w, h]``."""
    box = np.asarray(xyxy, dtype=np.float64)
    size = box[:, 2:] - box[:, :2]
    return np.concatenate([box[:, :2] + size / 2.0, size], axis=1)


def state_to_xyxy(mean: Array) -> NDArray[np.float32]:
    """Box corners of the states ``(N, 8)``, with sides kept positive."""
    out = np.empty((mean.shape[0], 4), dtype=np.float32)
    half = np.maximum(mean[:, 2:4], MIN_SIDE) / 2.0
    out[:, :2] = mean[:, :2] - half
    out[:, 2:] = mean[:, :2] + half
    return out


def _scale(mean_or_z: Array) -> Array:
    """Per-row size vector ``[w, h, w, h]`` that noise is proportional to."""
    w = np.maximum(mean_or_z[:, 2], MIN_SIDE)
    h = np.maximum(mean_or_z[:, 3], MIN_SIDE)
    return np.stack([w, h, w, h], axis=1)


def _diag(variances: Array) -> Array:
    """``(N, D)`` variances as ``(N, D, D)`` diagonal covariances."""
    n, d = variances.shape
    out = np.zeros((n, d, d))
    idx = np.arange(d)
    out[:, idx, idx] = variances
    return out


def initiate(z: Array) -> tuple[Array, Array]:
    """New states from first measurements ``(N, 4)``: at rest, with a wide velocity prior."""
    mean = np.concatenate([z, np.zeros_like(z)], axis=1)
    size = _scale(z)
    std = np.concatenate([2.0 * STD_POSITION * size, 10.0 * STD_VELOCITY * size], axis=1)
    return mean, _diag(std**2)


def predict(mean: Array, cov: Array) -> tuple[Array, Array]:
    """Advance every state by one frame."""
    size = _scale(mean)
    q = _diag(np.concatenate([STD_POSITION * size, STD_VELOCITY * size], axis=1) ** 2)
    new_mean = mean @ _F.T
    new_cov = _F @ cov @ _F.T + q
    return new_mean, new_cov


def update(mean: Array, cov: Array, z: Array) -> tuple[Array, Array]:
    """Correct states ``(N, 8)`` with their matched measurements ``(N, 4)``."""
    r = _diag((STD_POSITION * _scale(mean)) ** 2)
    s = cov[:, :4, :4] + r  # innovation covariance, H P H^T + R
    pht = cov[:, :, :4]  # P H^T
    # K = P H^T S^-1, via a solve on the symmetric S rather than an inverse.
    gain = np.linalg.solve(s, pht.transpose(0, 2, 1)).transpose(0, 2, 1)
    innovation = z - mean[:, :4]
    new_mean = mean + np.einsum("nij,nj->ni", gain, innovation)
    new_cov = cov - gain @ pht.transpose(0, 2, 1)
    return new_mean, new_cov

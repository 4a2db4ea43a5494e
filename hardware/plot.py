"""The report's PNG: FPS and frame latency per device and configuration.

Drawn with matplotlib's file-only backend, so it works on headless lab
machines and in CI.
"""

from __future__ import annotations

import logging
from pathlib import Path

from hardware.result import BenchResult

log = logging.getLogger(__name__)


def plot(results: list[BenchResult], path: Path) -> Path:
    """Two panels side by side: pipeline and inference-only FPS; frame latency p50 with p95 and p99 marks."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [(f"{r.device.name}{' (quick)' if r.quick else ''}  {c.config.model}  {c.config.label}", c) for r in results for c in r.configs]
    rows.reverse()  # matplotlib draws the first bar at the bottom
    labels = [label for label, _ in rows]
    ys = list(range(len(rows)))
    height = max(3.0, 0.32 * len(rows) + 1.5)
    fig, (fps_ax, lat_ax) = plt.subplots(1, 2, figsize=(15, height), sharey=True)
    fps_ax.barh([y + 0.2 for y in ys], [c.inference_fps for _, c in rows], height=0.4, label="inference only", color="#9ecae1")
    fps_ax.barh([y - 0.2 for y in ys], [c.pipeline_fps for _, c in rows], height=0.4, label="whole pipeline", color="#3182bd")
    fps_ax.set_xlabel("frames per second")
    fps_ax.set_yticks(ys, labels, fontsize=8)
    fps_ax.legend(loc="lower right", fontsize=8)
    fps_ax.grid(axis="x", alpha=0.3)
    p50 = [c.frame_latency.p50_ms for _, c in rows]
    lat_ax.barh(ys, p50, height=0.6, color="#fdae6b", label="p50")
    lat_ax.scatter([c.frame_latency.p95_ms for _, c in rows], ys, marker="|", s=120, color="#d94801", label="p95", zorder=3)
    lat_ax.scatter([c.frame_latency.p99_ms for _, c in rows], ys, marker="x", s=30, color="#7f2704", label="p99", zorder=3)
    lat_ax.set_xlabel("frame latency, all stages (ms)")
    lat_ax.legend(loc="lower right", fontsize=8)
    lat_ax.grid(axis="x", alpha=0.3)
    fig.suptitle("citytwin bench: edge path per device and configuration")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    log.info("wrote %s", path)
    return path

"""What one ``citytwin bench`` run measures: the matrix, run lengths, and the end-to-end point.

Defaults come from the device profile when one is given, else from the
device itself: every thread count that is a power of two up to the core
count (and the core count), and every execution provider this onnxruntime
build offers among CPU, XNNPACK, OpenVINO, CUDA and TensorRT. Providers that
were asked for but are not installed are skipped and noted in the results.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace

from edge.bench.models import MAX_STRIDE, SHIPPED, BenchModel, load_model
from edge.detect.runtime import CPU
from hardware.device import default_threads, usable_providers
from hardware.lab import DeviceProfile

log = logging.getLogger(__name__)

DEFAULT_MODELS = tuple(SHIPPED)
DEFAULT_SIZES = (320, 416, 512)


@dataclass(frozen=True)
class RunLengths:
    """Frames and probe sizes: ``FULL`` for ``make bench``, ``QUICK`` for the test suite."""

    warmup: int
    frames: int
    e2e_frames: int
    gemm_size: int
    gemm_runs: int
    rounds: int = 1
    agreement_frames: int = 200  # frames an int8 model's detections are compared with its fp32 original's on

    def warmup_in(self, round_index: int) -> int:
        """Warm-up frames of a round: the full warm-up first, a short one after each reload."""
        return self.warmup if round_index == 0 else min(REWARM, self.warmup)

    def chunk(self, round_index: int) -> int:
        """Measured frames of a round; the rounds add up to ``frames``."""
        share, extra = divmod(self.frames, self.rounds)
        return share + (1 if round_index < extra else 0)

    @property
    def frames_per_point(self) -> int:
        return sum(max(self.warmup_in(r), 1) + self.chunk(r) for r in range(self.rounds))


REWARM = 3
FULL = RunLengths(warmup=15, frames=200, e2e_frames=300, gemm_size=1024, gemm_runs=10, rounds=8)
QUICK = RunLengths(warmup=2, frames=12, e2e_frames=20, gemm_size=512, gemm_runs=5, rounds=1, agreement_frames=10)
QUICK_SIZES = (320,)


@dataclass(frozen=True)
class Choice:
    """One matrix point by name (the model is resolved later)."""

    model: str
    size: int
    threads: int
    provider: str


@dataclass
class BenchPlan:
    """The resolved matrix and run lengths."""

    models: list[BenchModel]
    sizes: list[int]
    threads: list[int]
    providers: list[str]
    lengths: RunLengths
    e2e: Choice
    quick: bool
    notes: list[str] = field(default_factory=list)

    def points(self, model: BenchModel) -> list[tuple[int, int, str]]:
        """(size, threads, provider) to measure for ``model``; accelerators use the most threads only."""
        sizes = [s for s in self.sizes if model.supports(s)] or [model.native_size]
        result = []
        for provider in self.providers:
            threads = self.threads if provider == CPU else [max(self.threads)]
            result += [(size, t, provider) for size in sizes for t in threads]
        return result

    @property
    def total_frames(self) -> int:
        return sum(len(self.points(m)) for m in self.models) * self.lengths.frames_per_point


def make_plan(
    *,
    quick: bool,
    profile: DeviceProfile | None = None,
    models: list[str] | None = None,
    yolo: list[str] | None = None,
    sizes: list[int] | None = None,
    threads: list[int] | None = None,
    providers: list[str] | None = None,
    frames: int | None = None,
    warmup: int | None = None,
    e2e_frames: int | None = None,
    agreement_frames: int | None = None,
) -> BenchPlan:
    """The plan from explicit options, then the profile, then the device's defaults."""
    notes: list[str] = []
    cores = os.cpu_count() or 1
    lengths = QUICK if quick else FULL
    if profile is not None and not quick:
        lengths = replace(lengths, warmup=profile.bench.warmup, frames=profile.bench.frames)
    lengths = replace(
        lengths,
        warmup=warmup if warmup is not None else lengths.warmup,
        frames=frames if frames is not None else lengths.frames,
        e2e_frames=e2e_frames if e2e_frames is not None else lengths.e2e_frames,
        agreement_frames=agreement_frames if agreement_frames is not None else lengths.agreement_frames,
    )
    lengths = replace(lengths, rounds=max(1, min(lengths.rounds, lengths.frames)))
    loaded = [load_model(m) for m in (models or list(DEFAULT_MODELS))] + [load_model(p) for p in (yolo or [])]
    chosen_sizes = sizes or (list(QUICK_SIZES) if quick else list(profile.bench.sizes if profile else DEFAULT_SIZES))
    bad = [s for s in chosen_sizes if s <= 0 or s % MAX_STRIDE]
    if bad:
        raise ValueError(f"input sizes must be positive multiples of {MAX_STRIDE}, got {bad}")
    chosen_threads = threads or ([cores] if quick else list(profile.bench.threads if profile else default_threads(cores)))
    chosen_providers = usable_providers(providers or (list(profile.bench.providers) if profile else None), notes)
    for model in loaded:
        if model.plugin == "yolo" and any(s != model.native_size for s in chosen_sizes):
            notes.append(f"{model.name}: measured at its exported size {model.native_size} only ({model.sizes_note})")
    return BenchPlan(
        models=loaded,
        sizes=sorted(set(chosen_sizes)),
        threads=sorted(set(chosen_threads)),
        providers=chosen_providers,
        lengths=lengths,
        e2e=_e2e_choice(loaded, chosen_sizes, max(chosen_threads), chosen_providers, profile, quick),
        quick=quick,
        notes=notes,
    )


def _e2e_choice(
    models: list[BenchModel], sizes: list[int], threads: int, providers: list[str], profile: DeviceProfile | None, quick: bool
) -> Choice:
    """The profile's recommended settings where they can run here, else what a node runs by default."""
    rec = profile.recommended if profile is not None else None
    if rec is not None and not quick and rec.model in [m.name for m in models] and rec.provider in providers:
        return Choice(rec.model, rec.input_size, rec.threads, rec.provider)
    # The default node: the int8 model at its native size, on every core.
    model = next((m for m in models if m.precision == "int8"), models[0])
    size = model.native_size
    if quick:
        size = min((s for s in sizes if model.supports(s)), default=model.native_size)
    return Choice(model.name, size, threads, providers[0])

"""Class labels shipped with the models."""

from __future__ import annotations

from functools import cache

from citytwin.paths import models_dir


@cache
def coco80() -> list[str]:
    """The 80 COCO class names, in model output order."""
    path = models_dir() / "labels" / "coco80.txt"
    names = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if len(names) != 80:
        raise ValueError(f"{path} must list 80 class names, found {len(names)}")
    return names

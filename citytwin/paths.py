"""Where citytwin keeps its models, caches and run state.

Every location can be moved with an environment variable so that CI, a lab
device and a container can each put data where it belongs.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def models_dir() -> Path:
    """Folder with the ONNX models and their manifest (``CITYTWIN_MODELS``)."""
    return Path(os.environ.get("CITYTWIN_MODELS", REPO_ROOT / "models"))


def cache_dir() -> Path:
    """Download cache shared by every clone (``CITYTWIN_CACHE``)."""
    default = Path.home() / ".cache" / "citytwin"
    return Path(os.environ.get("CITYTWIN_CACHE", default))


def fixtures_dir() -> Path:
    """Recorded video and stills fetched by ``tests/fixtures/fetch.sh``."""
    return cache_dir() / "fixtures"


def run_dir() -> Path:
    """Broker data, logs and pid files of local services (``CITYTWIN_RUN``)."""
    return Path(os.environ.get("CITYTWIN_RUN", REPO_ROOT / ".run"))

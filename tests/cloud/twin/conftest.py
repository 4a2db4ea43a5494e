"""A small synthetic lake, with duplicate rows and a damaged file, shared by the twin tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cloud.twin.twin import Twin
from cloud.twin.synth import CityShape, generate
from contract.site import CameraSpec, SiteSpec

SHAPE = CityShape(site="city", cameras=4, days=2, events=20_000)
SITE = SiteSpec(id="city", name="City", width_m=100, height_m=100)
CAMERAS = [CameraSpec(id=f"cam-{i}", map={"x_m": i, "y_m": i}) for i in range(SHAPE.cameras)]  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def clean_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lake = tmp_path_factory.mktemp("lake")
    generate(lake, SHAPE)
    return lake


@pytest.fixture
def lake(tmp_path: Path, clean_lake: Path) -> Path:
    """A private copy of the clean lake, for tests that change its files."""
    copy = tmp_path / "lake"
    shutil.copytree(clean_lake, copy)
    return copy


@pytest.fixture(scope="session")
def messy_lake(tmp_path_factory: pytest.TempPathFactory, clean_lake: Path) -> Path:
    """The clean lake plus a replayed copy of some files, a truncated file and a temporary file."""
    lake = tmp_path_factory.mktemp("messy")
    shutil.copytree(clean_lake, lake, dirs_exist_ok=True)
    files = sorted(lake.glob("date=*/hour=*/*.parquet"))
    for original in files[::5]:
        shutil.copy(original, original.with_name("replayed-copy.parquet"))
    victim = files[3].with_name("half-written.parquet")
    victim.write_bytes(files[3].read_bytes()[:500])
    (files[4].parent / ".in-progress.parquet.tmp").write_bytes(b"partial")
    return lake


@pytest.fixture
def twin(messy_lake: Path) -> Twin:
    return Twin(messy_lake, SITE, CAMERAS)

"""``citytwin rollup``: one pass over the deployment's lake, with progress; ``--since`` and ``--all`` bound it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from citytwin.cli import main
from citytwin.errors import UsageError
from tests.cloud.rollup.support import raw_totals, totals


def _config(tmp: Path, lake: Path) -> Path:
    path = tmp / "site.yaml"
    path.write_text(yaml.safe_dump({
        "site": {"id": "city", "name": "City", "width_m": 1, "height_m": 1}, "lake": {"path": str(lake)},
        "cloud": {"twin": {"state_dir": str(tmp / "state")}},
    }))
    return path


def test_rollup_by_hand(tmp_path: Path, clean_lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lake = tmp_path / "lake"
    shutil.copytree(clean_lake, lake)
    config = _config(tmp_path, lake)
    assert main(["rollup", "-c", str(config), "--since", "2026-01-02"]) == 0
    out = capsys.readouterr().out
    assert "rollups: 24/24 hours (2026-01-02/23)" in out and "24 hours made" in out
    assert main(["rollup", "-c", str(config)]) == 0
    assert "24 hours made" in capsys.readouterr().out  # the first day, left out before
    assert totals(lake) == raw_totals(lake)
    assert main(["rollup", "-c", str(config)]) == 0
    assert "0 hours made" in capsys.readouterr().out
    assert main(["rollup", "-c", str(config), "--all", "--since", "2026-01-02"]) == 0
    assert "24 hours made" in capsys.readouterr().out


@pytest.mark.parametrize("since", ["yesterday", "2026-13-01", "'; DROP TABLE x"])
def test_a_bad_since_is_a_usage_error(tmp_path: Path, since: str, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, tmp_path / "lake")
    assert main(["rollup", "-c", str(config), "--since", since]) == UsageError.exit_code
    assert "is not a date like 2026-03-01" in capsys.readouterr().err

"""``citytwin bench`` says what is wrong with its options before measuring anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from citytwin.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--sizes", "320,big"], "--sizes takes comma-separated integers"),
        (["--sizes", "330"], "multiples of 32"),
        (["--providers", "TPUExecutionProvider"], "unknown execution providers"),
        (["--models", "nanodet-x"], "model not found"),
        (["--mqtt", "127.0.0.1:1"], "does not answer"),
        (["--mqtt", "no-port"], "HOST:PORT"),
        (["--profile", "toaster"], "no device profile 'toaster'"),
        (["--video", "/nonexistent.avi"], "not found"),
    ],
)
def test_bad_options_exit_2_with_a_reason(argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["bench", "--results", str(tmp_path), "--no-progress", "--e2e-frames", "0", "--frames", "1", "--warmup", "1", *argv]
    assert main(args) == 2
    assert message in capsys.readouterr().err
    assert not list(tmp_path.glob("*/*.json"))


def test_report_without_results_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "report", "--results", str(tmp_path)]) == 1
    assert "no results" in capsys.readouterr().err


def test_report_names_a_corrupt_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "dev" / "2026-01-01-x.json"
    bad.parent.mkdir()
    bad.write_text('{"result_version": 1}')
    assert main(["bench", "report", "--results", str(tmp_path)]) == 2
    assert str(bad) in capsys.readouterr().err

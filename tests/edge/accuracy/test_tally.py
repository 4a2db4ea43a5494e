"""The tally file: the committed one loads, and a bad one is refused naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from citytwin.errors import ConfigError
from edge.accuracy.tally import load_tally

VTEST_TALLY = Path(__file__).parents[2] / "fixtures" / "tally" / "vtest-demo.yaml"


def test_the_vtest_tally_loads_and_says_how_it_was_made() -> None:
    tally = load_tally(VTEST_TALLY)
    assert set(tally.cameras) == {"cam-1", "cam-2"}
    lines = tally.cameras["cam-1"].lines["path-crossing"] + tally.cameras["cam-2"].lines["gate"]
    assert len(lines) >= 40 and {c.direction for c in lines} == {"in", "out"}
    assert "How it was made" in VTEST_TALLY.read_text() and "Rules for ambiguous cases" in VTEST_TALLY.read_text()


GOOD = "tally_version: 1\nvideo: v.avi\nframes: 100\ncameras:\n  cam-1:\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD + "    lines: {gate: [{frame: 5, direction: sideways}]}\n", "cameras.cam-1.lines.gate[0].direction"),
        (GOOD + "    lines: {gate: [{frame: 100, direction: in}]}\n", "frames must be below frames"),
        (GOOD + "    lines: {gate: [{frame: -1, direction: in}]}\n", "cameras.cam-1.lines.gate[0].frame"),
        (GOOD + "    zones: {plaza: [{frame: 5, count: 2, who: bob}]}\n", "who"),
        (GOOD + "    lines: {'../x': []}\n", "cameras.cam-1.lines"),
        (GOOD.replace("tally_version: 1", "tally_version: 2") + "    lines: {}\n", "tally_version"),
        ("tally_version: 1\nvideo: v.avi\nframes: 10\ncameras: {}\n", "cameras"),
    ],
)
def test_a_bad_tally_is_refused_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "tally.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as refused:
        load_tally(path)
    assert str(path) in str(refused.value) and message in str(refused.value)


def test_a_missing_tally_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_tally(tmp_path / "none.yaml")

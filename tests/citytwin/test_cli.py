"""The citytwin command line: every subcommand explains itself."""

from __future__ import annotations

import subprocess
import sys

import pytest

from citytwin.cli import main
from citytwin.commands import COMMANDS

NAMES = [command.name for command in COMMANDS]


def test_command_names_are_unique() -> None:
    assert len(NAMES) == len(set(NAMES))


@pytest.mark.parametrize("command", COMMANDS, ids=NAMES)
def test_help_says_what_the_command_does(command, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([command.name, "--help"])
    assert exc.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"citytwin {command.name}" in out
    assert " ".join(command.description.split())[:60] in out


def test_unknown_command_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["teleport"])
    assert exc.value.code == 2


def test_console_script_is_installed() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "citytwin.cli", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("citytwin ")

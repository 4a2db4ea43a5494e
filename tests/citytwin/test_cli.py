"""The citytwin command line: every subcommand explains itself."""

from __future__ import annotations

import subprocess
import sys

import pytest

from citytwin.cli import NOT_BUILT, build_parser, main
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


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.handler is None], ids=lambda c: c.name)
def test_unbuilt_commands_say_so_and_fail(command, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [command.name]
    parser = build_parser()
    # Fill in required arguments from the parser itself so the test follows the table.
    for action in parser._subparsers._group_actions[0].choices[command.name]._actions:  # type: ignore[union-attr]
        if action.required and action.option_strings:
            argv += [action.option_strings[0], "site.yaml"]
        elif action.required and not action.option_strings and action.choices:
            argv.append(list(action.choices)[0])
        elif action.required and not action.option_strings and action.dest != "help":
            argv.append("x")
    assert main(argv) == NOT_BUILT
    err = capsys.readouterr().err
    assert "not built yet" in err and "When built, it will" in err


def test_unknown_command_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["teleport"])
    assert exc.value.code == 2


def test_console_script_is_installed() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "citytwin.cli", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("citytwin ")

"""One error base: every project exception derives from ``CitytwinError``, and the command line ends on it once."""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import pytest

from citytwin.cli import main
from citytwin.errors import EXIT_FAILED, EXIT_NOT_AUDITED, EXIT_USAGE, CitytwinError, ConfigError, Failed, UsageError
from citytwin.paths import REPO_ROOT
from cloud.audit.chain import AuditWriteError

PACKAGES = ("citytwin", "contract", "edge", "cloud", "hardware")


def _classes() -> dict[str, tuple[str, list[str]]]:
    """Every class the packages define: name -> (where, names of its bases)."""
    found: dict[str, tuple[str, list[str]]] = {}
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.ClassDef):
                    bases = [b.id if isinstance(b, ast.Name) else b.attr for b in node.bases if isinstance(b, ast.Name | ast.Attribute)]
                    found[node.name] = (f"{path.relative_to(REPO_ROOT)}:{node.lineno}", bases)
    return found


def _is_builtin_exception(name: str) -> bool:
    value = getattr(builtins, name, None)
    return isinstance(value, type) and issubclass(value, BaseException)


def _ancestors(name: str, classes: dict[str, tuple[str, list[str]]]) -> set[str]:
    seen: set[str] = set()
    todo = [name]
    while todo:
        for base in classes.get(todo.pop(), ("", []))[1]:
            if base not in seen:
                seen.add(base)
                todo.append(base)
    return seen


def test_every_project_exception_derives_from_the_base() -> None:
    classes = _classes()
    exceptions = {
        name: where for name, (where, _) in classes.items()
        if name != "CitytwinError" and any(
            _is_builtin_exception(a) or a.endswith(("Error", "Exception")) for a in _ancestors(name, classes))
    }
    assert len(exceptions) >= 15, sorted(exceptions)  # the walk finds them: ConfigError, QueryRefused, TopicError, ...
    outside = sorted(f"{name} ({where})" for name, where in exceptions.items()
                     if "CitytwinError" not in _ancestors(name, classes))
    assert outside == []


@pytest.mark.parametrize(
    ("error", "code"),
    [(ConfigError("x"), EXIT_USAGE), (UsageError("x"), EXIT_USAGE), (Failed("x"), EXIT_FAILED),
     (AuditWriteError("x"), EXIT_NOT_AUDITED)],
)
def test_exit_codes(error: CitytwinError, code: int) -> None:
    assert error.exit_code == code


def test_audit_write_error_is_still_an_os_error() -> None:
    assert isinstance(AuditWriteError("disk full"), OSError)


@pytest.mark.parametrize("hostile", ["\x1b[2J\x1b[31m", "\u202egnp.exe", "\r\ncitytwin: all good", "\x00\x07\x9b"])
def test_main_prints_the_message_escaped_and_exits_2(tmp_path: Path, hostile: str, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "site.yaml"
    key = f"lake_days{hostile}"
    config.write_text(f'site: {{id: c, name: C, width_m: 1, height_m: 1}}\nlake: {{path: {tmp_path}}}\n'
                      f'retention: {{"{key.encode("unicode_escape").decode()}": 3}}\n')
    assert main(["residency", "-c", str(config), "--no-kafka"]) == EXIT_USAGE
    err = capsys.readouterr().err
    first, *problems = err.removesuffix("\n").split("\n")
    assert first.startswith("citytwin residency: ") and first.endswith("1 problem(s) in the configuration:")
    assert len(problems) == 1 and problems[0].startswith("  retention.lake_days"), repr(err)  # no line of its own
    assert not any(ch in err.replace("\n", "") for ch in hostile if not ch.isprintable()), repr(err)

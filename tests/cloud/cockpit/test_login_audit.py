"""Failed-login aggregation over a real audit log, on a clock the test moves; the sanitising of names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cloud.audit.chain import AuditLog, verify
from cloud.cockpit.login_audit import MAX_TEXT, SUMMARY_ACTION, FailedLogins, sanitise
from cloud.cockpit.settings import LoginAuditSettings


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def _logins(tmp_path: Path, **settings: Any) -> tuple[FailedLogins, Clock]:
    clock = Clock()
    return FailedLogins(AuditLog(tmp_path / "audit.jsonl"), LoginAuditSettings.model_validate(settings), clock), clock


def _records(logins: FailedLogins, action: str) -> list[dict[str, Any]]:
    return [r for r in logins.audit.records() if r["action"] == action]


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("ada", "ada"),
        (None, "-"),
        ("a b.c-d_e@f", "a b.c-d_e@f"),
        ("\x1b[2J", "\\x1b[2J"),  # a terminal escape cannot clear the screen of whoever reads the log
        ("ad\u202ea", "ad\\u202ea"),  # nor can a bidi override reorder what they see
        ("\U0001f600", "\\U0001f600"),
        ("a\\x1b", "a\\x5cx1b"),  # a typed backslash is escaped too, so an escape cannot be forged
        ("x" * 64, "x" * MAX_TEXT + "..."),
        ("\u202e" * 64, "\\u202e" * 10 + "\\u20..."),  # cut after escaping: 64 characters at most, then the mark
    ],
)
def test_sanitise(raw: str | None, stored: str) -> None:
    assert sanitise(raw) == stored


def test_the_first_failure_of_each_pair_is_recorded_alone_the_rest_are_summed(tmp_path: Path) -> None:
    logins, clock = _logins(tmp_path, window_s=60, individual=2, summary_sources=3)
    for user, client in [("ada", "a"), ("ada", "a"), ("bob", "a"), ("cy", "b"), ("dan", "c"), ("dan", "c")]:
        logins.failed(user, client)
    logins.throttled("ada", "a")
    assert [(r["actor"], r["details"]) for r in _records(logins, "cockpit.login")] == [
        ("ada", {"ok": False, "client": "a"}), ("bob", {"ok": False, "client": "a"})]
    assert logins.flush() is False  # the window is still open
    clock.now += 60
    assert logins.flush() is True and logins.flush() is False
    (summary,) = _records(logins, SUMMARY_ACTION)
    assert summary["actor"] == "cockpit"
    details = summary["details"]
    assert details["failed"] == 6 and details["throttled"] == 1 and details["recorded_individually"] == 2
    assert details["by_source"] == [
        {"username": "ada", "client": "a", "failed": 2, "throttled": 1},
        {"username": "bob", "client": "a", "failed": 1, "throttled": 0},
        {"username": "cy", "client": "b", "failed": 1, "throttled": 0},
    ]
    assert details["other"] == {"failed": 2, "throttled": 0}  # dan did not fit in the table of sources
    assert details["window_end"] > details["window_start"]
    assert verify(logins.audit.path).ok


def test_a_window_with_only_first_failures_needs_no_summary(tmp_path: Path) -> None:
    logins, clock = _logins(tmp_path, window_s=60)
    logins.failed("ada", "a")
    logins.failed("bob", "b")
    clock.now += 61
    assert logins.flush() is False and _records(logins, SUMMARY_ACTION) == []


def test_the_next_attempt_after_a_window_writes_its_summary_and_opens_the_next(tmp_path: Path) -> None:
    logins, clock = _logins(tmp_path, window_s=60)
    logins.failed("ada", "a")
    logins.failed("ada", "a")
    clock.now += 120
    logins.failed("ada", "a")  # a new window: its first failure is recorded alone again
    assert len(_records(logins, SUMMARY_ACTION)) == 1
    assert len(_records(logins, "cockpit.login")) == 2


def test_a_forced_flush_writes_the_open_window(tmp_path: Path) -> None:
    logins, clock = _logins(tmp_path, window_s=60)
    logins.throttled("ada", "a")
    assert logins.flush(force=True) is True
    (summary,) = _records(logins, SUMMARY_ACTION)
    assert summary["details"]["throttled"] == 1 and summary["details"]["failed"] == 0


def test_bytes_per_window_are_bounded_whatever_the_names(tmp_path: Path) -> None:
    settings = {"window_s": 60, "individual": 20, "summary_sources": 50}
    logins, clock = _logins(tmp_path, **settings)
    hostile = [f"{i:04d}" + "\U0001f600\u202e\x1b" * 20 for i in range(5000)]  # distinct in what is kept
    for name in hostile:
        logins.failed(name, "\u202e" * 40)
        logins.throttled(name, "\u202e" * 40)
    logins.flush(force=True)
    size = logins.audit.path.stat().st_size
    assert len(logins.audit.records()) == 20 + 1
    assert size <= 20 * 500 + 50 * 250 + 1000, size
    (summary,) = _records(logins, SUMMARY_ACTION)
    assert summary["details"]["failed"] == 5000 and summary["details"]["throttled"] == 5000

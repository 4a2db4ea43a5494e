"""Typed SQL through the real ``citytwin query`` command can change nothing and stays within ``cloud.sql``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.security.support import ATTACKS, LIMITS, MARKER, NO_ALLOWLIST, Baseline, Place, assert_unharmed, mebibytes



def query(config: Path, sql: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """``citytwin query -c config sql`` as its own process."""
    command = [sys.executable, "-m", "citytwin.cli", "query", "-c", str(config), *extra, sql]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def _assert_said_nothing_secret(run: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in run.stderr, run.stderr
    assert MARKER not in run.stdout + run.stderr and "root:x:" not in run.stdout + run.stderr


@pytest.mark.parametrize("name", ATTACKS)
def test_every_attack_is_refused_and_changes_nothing(name: str, place: Place, baseline: Baseline) -> None:
    run = query(place.config(LIMITS), ATTACKS[name].format(**place.fields()))
    assert run.returncode == 1 and run.stderr.startswith("citytwin query: "), (run.returncode, run.stdout, run.stderr)
    _assert_said_nothing_secret(run)
    assert_unharmed(place, baseline, LIMITS)


@pytest.mark.parametrize("name", ATTACKS)
def test_the_sandbox_alone_stops_every_attack(name: str, place: Place, baseline: Baseline) -> None:
    """With ``cloud.sql.statement_allowlist: false`` DuckDB runs each statement: the construction must hold."""
    run = query(place.config(NO_ALLOWLIST), ATTACKS[name].format(**place.fields()))
    assert run.returncode in (0, 1), (run.returncode, run.stdout, run.stderr)
    _assert_said_nothing_secret(run)
    assert_unharmed(place, baseline, NO_ALLOWLIST)


def test_a_20_mb_value_never_comes_back(place: Place) -> None:
    run = query(place.config(LIMITS), "SELECT repeat('x', 20000000) AS big")
    assert run.returncode == 1 and len(run.stdout) < 1000
    assert "'big'" in run.stderr and "cloud.sql.max_cell_kb" in run.stderr


def test_a_result_over_the_byte_limit_is_cut_and_says_so(place: Place) -> None:
    run = query(place.config(LIMITS.model_copy(update={"max_result_mb": 1.0})),
                "SELECT i, repeat('x', 1000) AS s FROM range(5000) t(i) ORDER BY i", "--format", "csv")
    assert run.returncode == 0, run.stderr
    rows = run.stdout.splitlines()[1:]
    assert 500 < len(rows) < 1100 and len(run.stdout) < 1.5 * 2**20
    assert f"{len(rows)} rows shown" in run.stderr and "cloud.sql.max_result_mb" in run.stderr


def test_a_query_over_the_memory_limit_fails_clearly(place: Place) -> None:
    tight = LIMITS.model_copy(update={"memory_limit_mb": 64, "max_spill_mb": 0})
    run = query(place.config(tight),
                "SELECT count(*) FROM (SELECT DISTINCT i::VARCHAR || repeat('x', 40) FROM range(4000000) t(i))")
    assert run.returncode == 1 and "64 MB of memory" in run.stderr and "cloud.sql.memory_limit_mb" in run.stderr, run.stderr
    _assert_said_nothing_secret(run)


def test_threads_and_memory_are_the_configured_ones(place: Place) -> None:
    run = query(place.config(LIMITS), "SELECT current_setting('threads') AS threads, current_setting('memory_limit') AS memory, "
                "current_setting('enable_external_access') AS files", "--format", "json")
    assert run.returncode == 0, run.stderr
    row = json.loads(run.stdout)
    assert (row["threads"], mebibytes(row["memory"]), row["files"]) == (3, 256, False)


def test_a_bad_cloud_sql_setting_names_the_file_and_key(place: Place) -> None:
    config = place.config(LIMITS)
    config.write_text(config.read_text().replace("threads: 3", "threads: lots"))
    run = query(config, "SELECT 1")
    assert run.returncode == 2 and str(config) in run.stderr and "cloud.sql.threads" in run.stderr, run.stderr

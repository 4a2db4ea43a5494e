"""``citytwin retention``: the policy and the audit log come from the config; ``--every`` enforces on a schedule."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from citytwin.cli import main
from tests.support.services import ServiceProcess


def _config(tmp: Path, **retention: float) -> Path:
    path = tmp / "site.yaml"
    path.write_text(yaml.safe_dump({
        "site": {"id": "c", "name": "C", "width_m": 1, "height_m": 1},
        "lake": {"path": str(tmp / "data" / "lake")}, "retention": {"lake_days": 3, **retention},
    }))
    return path


def _partition(tmp: Path, age_days: int) -> Path:
    day = date.today() - timedelta(days=age_days)
    folder = tmp / "data" / "lake" / f"date={day.isoformat()}" / "hour=00"
    folder.mkdir(parents=True)
    (folder / "part.parquet").write_bytes(b"x" * 10)
    return folder.parent


def _audited(tmp: Path) -> list[str]:
    log = tmp / "data" / "audit" / "audit.jsonl"  # the config's default audit path, next to the lake
    records = [json.loads(line) for line in log.read_text().splitlines()]
    return [r["details"]["path"] for r in records if r["action"] == "retention.delete"]


def test_days_and_audit_log_default_to_the_config(tmp_path: Path) -> None:
    old, kept = _partition(tmp_path, 10), _partition(tmp_path, 1)
    assert main(["retention", "-c", str(_config(tmp_path))]) == 0
    assert not old.exists() and kept.exists()
    assert _audited(tmp_path) == [str(old)]


def test_a_zero_day_policy_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["retention", "-c", str(_config(tmp_path)), "--days", "0"]) == 2
    assert "retention must keep at least 1 day, got 0" in capsys.readouterr().err


def test_every_enforces_on_a_schedule_until_sigterm(tmp_path: Path) -> None:
    first = _partition(tmp_path, 10)
    config = _config(tmp_path, interval_s=0.3)
    proc = ServiceProcess("retention", config, tmp_path / "retention.log", "--every")
    try:
        deadline = time.monotonic() + 30
        while first.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        second = _partition(tmp_path, 20)  # appears after the first pass: only a later pass removes it
        while second.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not first.exists() and not second.exists()
    finally:
        code = proc.stop(10)
    assert code == 0, proc.text()
    assert "received SIGTERM" in proc.text()
    assert _audited(tmp_path) == [str(first), str(second)]

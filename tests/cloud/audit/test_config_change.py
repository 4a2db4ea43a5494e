"""A cloud service started on a changed deployment file leaves an audit record naming what changed."""

from __future__ import annotations

import json
from pathlib import Path

from citytwin.cli import main
from cloud.audit.chain import AuditLog, verify
from cloud.audit.config_change import record_config

BASE = "site: {id: campus, name: Campus, width_m: 10, height_m: 10}\nlake: {path: LAKE}\nkafka: {bootstrap: '127.0.0.1:1'}\n"


def _config(tmp: Path, extra: str = "") -> Path:
    path = tmp / "site.yaml"
    path.write_text(BASE.replace("LAKE", str(tmp / "lake")) + extra)
    return path


def _changes(log: Path) -> list[dict[str, object]]:
    return [r["details"] for r in map(json.loads, log.read_text().splitlines()) if r["action"] == "config.change"]


def test_first_start_changes_and_unchanged_restarts(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit" / "audit.jsonl")
    config = _config(tmp_path)
    assert record_config(audit, config, "service:sink") is True
    assert record_config(audit, config, "service:bridge") is False  # same file, nothing to record
    config.write_text(config.read_text().replace("127.0.0.1:1", "10.0.0.5:9092") + "retention: {lake_days: 7}\n")
    assert record_config(audit, config, "service:sink") is True
    first, second = _changes(audit.path)
    assert first["previous"] is None and first["changed"] == ["kafka", "lake", "site"]
    assert second["previous"] == first["sha256"] and second["changed"] == ["kafka", "retention"]
    assert Path(str(second["snapshot"])).read_text() == config.read_text()
    assert verify(audit.path).ok


def test_the_command_line_records_the_file_a_service_starts_with(tmp_path: Path) -> None:
    config = _config(tmp_path)
    assert main(["retention", "--config", str(config), "--days", "30", "--dry-run"]) == 0
    log = tmp_path / "audit" / "audit.jsonl"  # the default: audit/ next to the lake folder
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["actor"], r["action"]) for r in records if r["action"] == "config.change"] == [("service:retention", "config.change")]


def test_services_starting_together_record_a_change_once(tmp_path: Path) -> None:
    import subprocess
    import sys

    config = _config(tmp_path)
    code = ("import sys; from pathlib import Path; from citytwin.deployment import load; "
            "from cloud.audit.config_change import on_start; on_start(load(sys.argv[1]), Path(sys.argv[1]), sys.argv[2])")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(config), f"s{i}"]) for i in range(6)]
    assert [p.wait(timeout=60) for p in procs] == [0] * 6
    log = tmp_path / "audit" / "audit.jsonl"
    assert len(_changes(log)) == 1
    assert verify(log).ok

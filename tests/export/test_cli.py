"""``citytwin export -c site.yaml`` end to end: the real FROST-Server, the audit log, the exit status."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from citytwin.cli import main
from cloud.audit.chain import AuditLog
from cloud.export.cli import since
from citytwin.errors import UsageError
from tests.export.support import START, cameras, exporter_doc, lake_twin, site
from tests.support.frost import Frost

pytestmark = [pytest.mark.slow]


def config(tmp: Path, site_id: str, exporters: dict[str, Any]) -> Path:
    doc = {"site": {"id": site_id, "name": "Test site", "width_m": 200, "height_m": 100},
           "lake": {"path": str(tmp / "lake")}, "audit": {"path": str(tmp / "audit" / "audit.jsonl")},
           "cameras": [c.model_dump(mode="json", exclude_none=True) for c in cameras()],
           "cloud": {"exporters": exporters}}
    path = tmp / "site.yaml"
    path.write_text(json.dumps(doc))
    return path


def test_export_command_exports_once_and_a_rerun_adds_nothing(tmp_path: Path, frost: Frost,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    spec = site()
    lake_twin(tmp_path, spec, events=800).close()
    path = config(tmp_path, spec.id, {"frost": exporter_doc("sensorthings", frost.root),
                                      "elsewhere": exporter_doc("ngsild", "http://127.0.0.1:9")})
    assert main(["export", "-c", str(path), "--exporter", "frost", "--since", START.date().isoformat()]) == 0
    first = capsys.readouterr().out
    assert main(["export", "-c", str(path), "--exporter", "frost", "--since", START.date().isoformat()]) == 0
    second = capsys.readouterr().out
    created = int(first.split("frost: ")[1].split(" created")[0])
    assert created > 0 and f"frost: 0 created, {created} already there" in second
    actions = [r["action"] for r in AuditLog(tmp_path / "audit" / "audit.jsonl").records()]
    assert actions.count("export.sensorthings") == 4


def test_a_failed_exporter_exits_1_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = site()
    lake_twin(tmp_path, spec, events=100).close()
    path = config(tmp_path, spec.id, {"fiware": exporter_doc("ngsild", "http://127.0.0.1:9", timeout_s=2)})
    assert main(["export", "-c", str(path), "--since", "2026-01-01"]) == 1
    err = capsys.readouterr().err
    assert "exporter fiware: POST http://127.0.0.1:9/ngsi-ld/v1/entityOperations/upsert failed" in err
    assert "the next run sends the same buckets" in err


def test_an_unknown_exporter_and_a_bad_key_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = site()
    path = config(tmp_path, spec.id, {"frost": exporter_doc("sensorthings", "http://f/v1.1")})
    assert main(["export", "-c", str(path), "--exporter", "datex"]) == 2
    assert "--exporter 'datex' is not in cloud.exporters; configured: frost" in capsys.readouterr().err
    path = config(tmp_path, spec.id, {"frost": exporter_doc("sensorthings", "http://f/v1.1", buckets_s=[700])})
    assert main(["export", "-c", str(path)]) == 2
    assert "cloud.exporters.frost.sensorthings.buckets_s" in capsys.readouterr().err


def test_since_takes_dates_and_times() -> None:
    assert str(since("2026-01-02T06:00:00+01:00")) == "2026-01-02 06:00:00+01:00"
    with pytest.raises(UsageError, match="not an ISO date"):
        since("last tuesday")

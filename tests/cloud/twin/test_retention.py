"""Retention deletes whole expired partitions and audits every deletion."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from cloud.audit.chain import AuditLog, verify
from cloud.twin.retention import enforce



def test_deletes_old_days_and_audits_them(lake: Path, tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl")
    now = datetime(2026, 1, 3, 12, tzinfo=timezone.utc)  # lake holds 2026-01-01 and 2026-01-02
    deleted = enforce(lake, keep_days=1, now=now, audit=audit)
    assert [d.day.isoformat() for d in deleted] == ["2026-01-01"]
    assert sorted(p.name for p in lake.glob("date=*")) == ["date=2026-01-02"]
    records = [json.loads(line) for line in audit.path.read_text().splitlines()]
    assert [r["action"] for r in records] == ["retention.delete"]
    assert records[0]["details"]["date"] == "2026-01-01" and records[0]["details"]["files"] == 24
    assert verify(audit.path).ok


def test_dry_run_deletes_nothing(lake: Path) -> None:
    before = sorted(lake.rglob("*.parquet"))
    assert enforce(lake, keep_days=1, now=datetime(2026, 2, 1, tzinfo=timezone.utc), dry_run=True)
    assert sorted(lake.rglob("*.parquet")) == before


def test_keeps_everything_within_the_window(lake: Path) -> None:
    assert enforce(lake, keep_days=30, now=datetime(2026, 1, 3, tzinfo=timezone.utc)) == []


def test_refuses_a_zero_day_policy(lake: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        enforce(lake, keep_days=0, now=datetime(2026, 1, 3, tzinfo=timezone.utc))


def _rolled(lake: Path) -> None:
    from cloud.rollup.reconcile import Reconciler
    from cloud.twin.listing import LakeFiles

    reconciler = Reconciler(lake, LakeFiles(lake))
    reconciler.run()
    reconciler.close()


def test_a_removed_day_takes_its_rollups_and_the_month_is_made_again(lake: Path, tmp_path: Path) -> None:
    from tests.cloud.rollup.support import raw_totals, totals

    _rolled(lake)
    audit = AuditLog(tmp_path / "audit.jsonl")
    enforce(lake, keep_days=1, now=datetime(2026, 1, 3, 12, tzinfo=timezone.utc), audit=audit)
    for kind in ("crossings", "occupancy", "dwell", "health"):
        for resolution in ("minute", "quarter", "hour"):
            assert [p.name for p in (lake / "rollups" / f"{kind}_{resolution}").iterdir()] == ["date=2026-01-02"]
    assert totals(lake) == raw_totals(lake) and totals(lake)["crossings"][0] > 0
    details = json.loads(audit.path.read_text().splitlines()[0])["details"]
    # raw, then minute, quarter and hour files of the day, four kinds each
    assert len(details["rollups"]) == 12 and details["files"] == 24 + 4 * 24 + 4 + 4
    assert verify(audit.path).ok


def test_rollups_of_a_day_with_no_raw_folder_left_expire_too(lake: Path, tmp_path: Path) -> None:
    _rolled(lake)
    shutil.rmtree(lake / "date=2026-01-01")  # removed by hand, before any reconciler pass
    deleted = enforce(lake, keep_days=1, now=datetime(2026, 1, 3, 12, tzinfo=timezone.utc),
                      audit=AuditLog(tmp_path / "audit.jsonl"))
    assert [d.day.isoformat() for d in deleted] == ["2026-01-01"] and len(deleted[0].rollups) == 12
    assert not list((lake / "rollups").glob("*/date=2026-01-01"))

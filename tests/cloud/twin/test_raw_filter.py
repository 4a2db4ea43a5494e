"""``raw_filter``: the raw hours a rollup does not answer, as partition conditions, for every shape of window."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import duckdb
import pytest

from cloud.twin.rollups import raw_filter

U = timezone.utc
D1 = datetime(2026, 1, 1, tzinfo=U)


def _hours(*spans: tuple[int, int]) -> list[datetime]:
    return [D1 + timedelta(hours=h) for lo, hi in spans for h in range(lo, hi)]


@pytest.mark.parametrize(("start", "end", "held", "want"), [
    (D1, D1 + timedelta(days=1), _hours((0, 24)), "false"),
    (D1, D1 + timedelta(days=1), [], "(date BETWEEN DATE '2026-01-01' AND DATE '2026-01-01')"),
    (D1 + timedelta(minutes=30), D1 + timedelta(hours=2), [], "((date = DATE '2026-01-01' AND hour IN ('00', '01')))"),
    (D1, D1 + timedelta(days=3), _hours((24, 47)),
     "(date BETWEEN DATE '2026-01-01' AND DATE '2026-01-01' OR (date = DATE '2026-01-02' AND hour IN ('23')) "
     "OR date BETWEEN DATE '2026-01-03' AND DATE '2026-01-03')"),
    (D1, D1 + timedelta(days=3), [], "(date BETWEEN DATE '2026-01-01' AND DATE '2026-01-03')"),
    (D1 + timedelta(hours=23), D1 + timedelta(hours=25), [], "((date = DATE '2026-01-01' AND hour IN ('23')) "
     "OR (date = DATE '2026-01-02' AND hour IN ('00')))"),
])
def test_the_filter_keeps_exactly_the_hours_not_held(start: datetime, end: datetime, held: list[datetime], want: str) -> None:
    assert raw_filter(start, end, held) == want


def test_the_filter_selects_those_hours_in_duckdb() -> None:
    held = _hours((2, 20), (30, 40))
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT CAST(h AS DATE) AS date, strftime(h, '%H') AS hour FROM "
                "range(TIMESTAMP '2026-01-01', TIMESTAMP '2026-01-04', INTERVAL 1 HOUR) r(h)")
    kept = con.execute(f"SELECT count(*) FROM t WHERE {raw_filter(D1, D1 + timedelta(days=3), held)}").fetchone()
    assert kept == (72 - 28,)


def test_with_the_lakes_hours_a_century_costs_what_the_lake_holds() -> None:
    slots = [(D1.date(), "05"), (D1.date(), "06"), ((D1 + timedelta(days=1)).date(), "00")]
    century = raw_filter(datetime(1970, 1, 1, tzinfo=U), datetime(2146, 1, 1, tzinfo=U), _hours((6, 7)), slots)
    assert century == "((date = DATE '2026-01-01' AND hour IN ('05')) OR (date = DATE '2026-01-02' AND hour IN ('00')))"
    # The same hours as the calendar walk gives, wherever the lake has rows.
    assert raw_filter(D1, D1 + timedelta(days=2), [], slots) == (
        "((date = DATE '2026-01-01' AND hour IN ('05', '06')) OR (date = DATE '2026-01-02' AND hour IN ('00')))")
    assert raw_filter(D1, D1 + timedelta(days=2), [], []) == "false"

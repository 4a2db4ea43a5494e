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


def test_minute_spans_and_the_raw_rows_around_them_cover_a_window_once() -> None:
    """Every instant of [start, end) is answered once: by a held hour, a whole minute of the minute table, or raw."""
    import random

    from cloud.twin.rollups import minute_filter, minute_spans

    rng = random.Random(7)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Kolkata'")  # the filters must not depend on the session's zone
    # One row a second over three days; the minute table's buckets are those rows' minutes.
    con.execute("CREATE TABLE raw AS SELECT ts, CAST(timezone('UTC', ts) AS DATE) AS date, "
                "strftime(timezone('UTC', ts), '%H') AS hour FROM "
                "range(TIMESTAMPTZ '2026-01-01 00:00:00+00', TIMESTAMPTZ '2026-01-04 00:00:00+00', INTERVAL 1 SECOND) r(ts)")
    con.execute("CREATE TABLE minutes AS SELECT time_bucket(INTERVAL 1 MINUTE, ts) AS bucket_start, date, hour, "
                "count(*) AS n FROM raw GROUP BY ALL")
    for _ in range(60):
        start = D1 + timedelta(seconds=rng.uniform(0, 86_400 * 2), microseconds=rng.choice([0, 1, 999_999]))
        end = start + timedelta(seconds=rng.choice([30, 59.5, 60, 3600, 5000, 86_400 * rng.random()]))
        hours = [D1 + timedelta(hours=h) for h in range(72)]
        held = [h for h in hours if start <= h and h + timedelta(hours=1) <= end and rng.random() < 0.5]
        # Some hours' minute files hold all of them, some only their first minutes (an open hour's, ``Twin.minutes``).
        exact = {h: h + timedelta(minutes=rng.choice([60, 60, rng.randrange(1, 60)])) for h in hours
                 if h not in held and rng.random() < 0.7}
        spans = minute_spans(exact, start, end)
        assert all(h in exact and lo < hi <= exact[h] for h, (lo, hi) in spans.items())
        window = {"start": start, "end": end}
        raw = con.execute(f"SELECT count(*) FROM raw WHERE ts >= $start AND ts < $end "
                          f"AND {raw_filter(start, end, held, None, spans)}", window).fetchone()
        rolled = con.execute(f"SELECT coalesce(sum(n), 0) FROM minutes WHERE {minute_filter(spans)}").fetchone()
        in_held = con.execute("SELECT count(*) FROM raw WHERE ts >= $start AND ts < $end AND "
                              "time_bucket(INTERVAL 1 HOUR, ts) IN (SELECT unnest($held::TIMESTAMPTZ[]))",
                              {**window, "held": held or [D1 - timedelta(days=9)]}).fetchone()
        total = con.execute("SELECT count(*) FROM raw WHERE ts >= $start AND ts < $end", window).fetchone()
        assert raw and rolled and in_held and total
        assert raw[0] + rolled[0] + in_held[0] == total[0], (start, end, spans)

"""CSV cells that a spreadsheet would run as formulas are neutralised, in the cockpit's downloads and `citytwin query`."""

from __future__ import annotations

import csv
import io

import pytest

from cloud.twin.cli import render
from cloud.twin.readonly import QueryResult
from cloud.twin.spreadsheet import csv_text, spreadsheet_safe

HOSTILE = [
    "=1+1", "+1", "-1+2", "@SUM(A1:A9)", "=HYPERLINK(\"http://evil\",\"x\")", "=cmd|' /C calc'!A0",
    " =1+1", "  @x", "\t=1", "\r=1", "\n=1", "\x00=1", "\x0b=1", "\tplain", "\r", "＝1+1", "＋1", "－1", "＠x",
]
HARMLESS = ["plain", " plain", "1-2", "a=b", "2026-01-01T00:00:00+00:00", "", "'=already quoted"]


@pytest.mark.parametrize("value", HOSTILE)
def test_text_that_could_start_a_formula_is_prefixed(value: str) -> None:
    assert spreadsheet_safe(value) == "'" + value


@pytest.mark.parametrize("value", [*HARMLESS, 0, -3, 2.5, None, True])
def test_data_that_cannot_start_a_formula_is_kept(value: object) -> None:
    assert spreadsheet_safe(value) == value


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_no_cell_of_a_written_csv_starts_a_formula() -> None:
    rows = [[value, -3, value] for value in HOSTILE + HARMLESS]
    cells = _cells(csv_text(["=header", "n", "text"], rows))
    assert cells[0] == ["'=header", "n", "text"]
    assert len(cells) == len(rows) + 1, "a carriage return or newline inside a cell split a row"
    for row, (value, *_rest) in zip(cells[1:], rows):
        assert row[1] == "-3", "a number is written as the number"
        for cell in (row[0], row[2]):
            visible = cell.lstrip(" \t\r\n\x0b\x0c\x00")
            assert visible[:1] not in set("=+-@＝＋－＠") and cell[:1] not in set("\t\r\n\x00\x0b"), (value, cell)


def test_citytwin_query_csv_is_spreadsheet_safe() -> None:
    result = QueryResult(columns=["camera", "n"], rows=[("=1+1", -1), ("@SUM(A1)", 2), ("cam-1", 3)], truncated=False,
                         elapsed_ms=1.0)
    assert _cells(render(result, "csv")) == [["camera", "n"], ["'=1+1", "-1"], ["'@SUM(A1)", "2"], ["cam-1", "3"]]

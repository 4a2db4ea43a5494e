"""CSV that a spreadsheet opens as data: a text cell that would start a formula is prefixed with an apostrophe.

Excel, LibreOffice and Google Sheets evaluate a cell that begins with ``=``,
``+``, ``-`` or ``@`` (and some also after a leading tab, carriage return or
line feed, or in the full-width forms ``＝ ＋ － ＠``), so an attacker who gets a
string into a downloaded table could run ``=HYPERLINK(...)`` or a DDE call in
the reader's spreadsheet. Such text, and text whose first visible character is
one of those after leading spaces, and text that starts with a tab or another
control character, gets a ``'`` first; numbers stay numbers, so a negative
count is still ``-3``, and `` plain`` stays as it is.

Example:
    >>> [spreadsheet_safe(v) for v in ["=1+1", " @SUM(A1)", "\\t-2", "＝1", " plain", -3, None]]
    ["'=1+1", "' @SUM(A1)", "'\\t-2", "'＝1", ' plain', -3, None]
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

# What makes a cell a formula in at least one spreadsheet, as its first visible character.
FORMULA_STARTS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
# First characters some readers act on (or trim before looking for a formula) though they are not visible.
HIDDEN_STARTS = frozenset("\t\r\n\x0b\x0c\x00")


def spreadsheet_safe(value: Any) -> Any:
    """``value`` as a spreadsheet must read it: text that could start a formula gets a leading apostrophe."""
    if not isinstance(value, str) or not value:
        return value
    visible = value.lstrip(" " + "".join(HIDDEN_STARTS))
    if value[0] in HIDDEN_STARTS or visible[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[Any]], lineterminator: str = "\r\n") -> str:
    """A header and the rows as CSV, every cell spreadsheet-safe; None is an empty cell.

    Lines end in CRLF (RFC 4180) by default: the writer quotes a cell only if it
    holds a character of the line terminator, so with a bare ``\n`` a lone
    ``\r`` in a cell would be left unquoted and split its row in most readers.
    Pass ``"\n"`` only for cells already free of control characters.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=lineterminator)
    writer.writerow([spreadsheet_safe(c) for c in columns])
    writer.writerows([[spreadsheet_safe(v) for v in row] for row in rows])
    return buffer.getvalue()

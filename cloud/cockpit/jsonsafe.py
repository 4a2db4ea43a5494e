"""Turn DuckDB values into JSON-safe ones (datetimes as ISO, NaN as null, bytes as hex)."""

from __future__ import annotations

import datetime as dt
import decimal
import math
import uuid
from typing import Any


def cell(value: Any) -> Any:
    """One value, JSON-safe; containers are converted recursively."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): cell(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [cell(v) for v in value]
    return str(value)


def records(columns: list[str], rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [{c: cell(v) for c, v in zip(columns, row)} for row in rows]

"""k-suppression: an aggregate below ``k`` never leaves the city, so a count of one or two cannot single anyone out.

Every flow out of the city (federation, the standards exporters) suppresses
through this one function.

Example:
    >>> suppress([{"n": 3}, {"n": 12}], 10, lambda r: r["n"])
    ([{'n': 12}], 1)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


def suppress(items: Iterable[T], k: int, value: Callable[[T], int]) -> tuple[list[T], int]:
    """The items whose ``value`` is at least ``k``, and how many were held back."""
    kept: list[T] = []
    held = 0
    for item in items:
        if value(item) >= k:
            kept.append(item)
        else:
            held += 1
    return kept, held

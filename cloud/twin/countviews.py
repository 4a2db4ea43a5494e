"""The twin's views of the aggregates inside ``count`` events: one row per turn, queue, speed and heatmap cell.

A ``count`` event (``contract.bodies.CountBody``) carries lists: origin-destination
trips (``turns``), queue lengths per zone (``queues``), ground speeds per line,
direction and class (``speeds``) and the cells of a coarse ground grid
(``heatmap.cells``, with the grid's ``cell_m`` and ``origin`` beside them). Each
view unnests one of them from the deduplicated count events, so a replayed
file never counts a trip twice.

Bodies are read leniently: a field an older node does not send (speeds and
the heatmap are newer than turns and queues; an uncalibrated camera sends no
speeds and a null heatmap), or a value that is not of the declared shape, gives
no row (or a NULL cell) instead of an error, so the views serve lakes written by
every node version. A number that does not fit its column (a count of 2^31 or
more, a value that is not finite) is NULL too.

Every row starts with the event's envelope and its interval:
``event_id, site, camera, node, ts, date, hour, interval_start, interval_s``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# Deduplicated events of one type with the given columns: ``views._deduplicated``.
Deduplicated = Callable[[str, str], str]

_INTERVAL = ("TRY_CAST(json_extract_string(body, 'interval_start') AS TIMESTAMPTZ) AS interval_start, "
             "TRY_CAST(json_extract_string(body, 'interval_s') AS DOUBLE) AS interval_s")


def _read(value: str, path: str, name: str, sql: str = "VARCHAR") -> str:
    """The JSON ``value``'s member at ``path`` as a column ``name`` of type ``sql``; NULL where it does not read so.

    A DOUBLE must be finite (``"nan"`` as text would cast to NaN); counts are INTEGER, which holds every count
    the contract allows (below 2^31), so that sums of any number of them stay within BIGINT.
    """
    text = f"json_extract_string({value}, '$.{path}')"
    if sql == "VARCHAR":
        return f"{text} AS {name}"
    number = f"TRY_CAST({text} AS {sql})"
    return f"CASE WHEN isfinite({number}) THEN {number} END AS {name}" if sql == "DOUBLE" else f"{number} AS {name}"


@dataclass(frozen=True)
class Listed:
    """A list inside a count body's ``field``, and the columns a view reads from it."""

    field: str  # the body field
    path: str  # where the list is inside the field: '$' when the field is the list
    items: tuple[tuple[str, str, str], ...]  # per list item: (JSON path, column, SQL type)
    outer: tuple[tuple[str, str, str], ...] = ()  # per event, read from the field itself

    def columns(self) -> str:
        return ", ".join([*(name for _, name, _ in self.outer), *(_read("item", p, n, t) for p, n, t in self.items)])


_GATES = tuple(
    (f"{end}.{part}", f"{end}{suffix}", "VARCHAR")
    for end in ("origin", "destination") for part, suffix in (("kind", "_kind"), ("id", ""), ("direction", "_direction"))
)

LISTS: dict[str, Listed] = {
    "turns": Listed("turns", "$", (*_GATES, ("object_class", "object_class", "VARCHAR"), ("trips", "trips", "INTEGER"))),
    "queues": Listed("queues", "$", (("zone", "zone", "VARCHAR"), ("mean", "mean", "DOUBLE"), ("peak", "peak", "INTEGER"))),
    "speeds": Listed("speeds", "$", (
        ("line", "line", "VARCHAR"), ("direction", "direction", "VARCHAR"), ("object_class", "object_class", "VARCHAR"),
        ("samples", "samples", "INTEGER"), ("mean_kmh", "mean_kmh", "DOUBLE"), ("p85_kmh", "p85_kmh", "DOUBLE"),
    )),
    "heatmap": Listed(
        "heatmap", "$.cells",
        (("east", "east", "INTEGER"), ("north", "north", "INTEGER"), ("objects", "objects", "INTEGER")),
        outer=(("cell_m", "cell_m", "DOUBLE"), ("origin.lon", "origin_lon", "DOUBLE"), ("origin.lat", "origin_lat", "DOUBLE")),
    ),
}


def _unnested(listed: Listed, source: str, envelope: str) -> str:
    """One row per JSON object in the list of each event of ``source``; none where it is absent or not a list."""
    field, path = listed.field, listed.path
    outer = "".join(f"{_read(field, p, n, t)}, " for p, n, t in listed.outer)
    items = (f"CASE WHEN json_type(json_extract({field}, '{path}')) = 'ARRAY' "
             f"THEN json_extract({field}, '{path}[*]') END")
    return (f"SELECT {envelope}, interval_start, interval_s, {listed.columns()} FROM ("
            f"SELECT * EXCLUDE ({field}), {outer}unnest({items}) AS item FROM ({source})) "
            "WHERE json_type(item) = 'OBJECT'")


def count_views(deduplicated: Deduplicated, envelope: str) -> dict[str, str]:
    """The views of the count events' lists, each over deduplicated count events holding only its field.

    ``envelope`` is the envelope columns every typed view starts with (their key among them).
    """
    views: dict[str, str] = {}
    for name, listed in LISTS.items():
        field = listed.field
        source = deduplicated(f"{envelope}, seq, {_INTERVAL}, json_extract(body, '{field}') AS {field}", "type = 'count'")
        views[name] = _unnested(listed, source, envelope)
    return views

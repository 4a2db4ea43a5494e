"""Observations in bulk, each once: read what the server already holds in the window, push only the rest.

An Observation is known by its Datastream and its phenomenonTime, the bucket
``start/end``. Before pushing, the exporter reads the phenomenonTimes each
camera's Datastreams already hold from the window's start (one paged query
per Thing) and leaves those rows out, so a re-run, or a run after a failure
half-way, creates no duplicate. The rest goes as ``CreateObservations``
(the dataArray extension) in batches of ``batch_size`` rows; FROST answers
one link per row created, or an error string for a row it refused.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from cloud.export.base import ExportFailed
from cloud.export.http import JsonClient
from cloud.export.ids import odata_string
from cloud.export.sensorthings.sync import listing

log = logging.getLogger(__name__)

Row = tuple[Any, str, str, int]  # datastream id, phenomenonTime, resultTime, result


def iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def interval(start: datetime, bucket_s: int) -> tuple[str, str]:
    """The bucket as a phenomenonTime ``start/end``, and its end as the resultTime."""
    end = start + timedelta(seconds=bucket_s)
    return f"{iso(start)}/{iso(end)}", iso(end)


def start_of(phenomenon: Any) -> datetime | None:
    if not isinstance(phenomenon, str):
        return None
    try:
        return datetime.fromisoformat(phenomenon.split("/", 1)[0].replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        return None


def present(client: JsonClient, thing_ids: Iterable[Any], since: datetime) -> set[tuple[Any, datetime]]:
    """(datastream id, bucket start) of every Observation the Things' Datastreams hold from ``since`` on."""
    found: set[tuple[Any, datetime]] = set()
    for thing_id in thing_ids:
        literal = thing_id if isinstance(thing_id, int) else odata_string(str(thing_id))
        rows = listing(client, "Observations", {
            "$filter": f"Datastream/Thing/id eq {literal} and phenomenonTime ge {iso(since)}",
            "$select": "phenomenonTime", "$expand": "Datastream($select=id)"})
        for obs in rows:
            start, stream = start_of(obs.get("phenomenonTime")), obs.get("Datastream")
            if start is not None and isinstance(stream, dict):
                found.add((stream.get("@iot.id"), start))
    return found


def push(client: JsonClient, rows: list[Row], batch_size: int) -> int:
    """Create ``rows`` with CreateObservations in batches; returns how many were created."""
    created = 0
    for first in range(0, len(rows), batch_size):
        batch = rows[first:first + batch_size]
        by_stream: dict[Any, list[list[Any]]] = {}
        for stream_id, phenomenon, result_time, result in batch:
            by_stream.setdefault(stream_id, []).append([phenomenon, result_time, result])
        body = [{"Datastream": {"@iot.id": sid}, "components": ["phenomenonTime", "resultTime", "result"],
                 "dataArray@iot.count": len(data), "dataArray": data} for sid, data in by_stream.items()]
        # FROST writes the body before the status: small batches get 201, large ones 200.
        answer = client.call("POST", "CreateObservations", body=body, ok=(200, 201))
        links = answer.body if isinstance(answer.body, list) else []
        refused = [x for x in links if not (isinstance(x, str) and x.startswith("http"))]
        created += len(links) - len(refused)
        if refused or len(links) != len(batch):
            raise ExportFailed(f"exporter {client.name}: CreateObservations created {len(links) - len(refused)} of "
                               f"{len(batch)} rows; the server said: {str(refused[:3])[:300]}")
    return created

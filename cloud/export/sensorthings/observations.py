"""Observations in bulk, each once: read what the server already holds in the window, push only the rest.

An Observation is known by its Datastream and its phenomenonTime, the bucket
``start/end``. Before pushing, the exporter reads the Observations each
camera's Datastreams already hold from the window's start (one paged query
per Thing) and leaves those rows out, so a re-run, or a run after a failure
half-way, creates no duplicate; a stored bucket that now counts at least k
more (events that reached the lake after it was exported) has its result
patched, a smaller change is held back like any count below k. The rest goes as ``CreateObservations``
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
from cloud.export.sensorthings.sync import entity, listing, server_id

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


Stored = dict[tuple[Any, datetime], tuple[Any, Any]]  # (datastream id, bucket start) -> (observation id, result)


def present(client: JsonClient, thing_ids: Iterable[int | str], since: datetime) -> Stored:
    """Every Observation the Things' Datastreams hold from ``since`` on, by datastream and bucket start."""
    found: Stored = {}
    for thing_id in thing_ids:
        literal = thing_id if isinstance(thing_id, int) else odata_string(thing_id)
        rows = listing(client, "Observations", {
            "$filter": f"Datastream/Thing/id eq {literal} and phenomenonTime ge {iso(since)}",
            "$select": "id,phenomenonTime,result", "$expand": "Datastream($select=id)"})
        for obs in rows:
            start, stream = start_of(obs.get("phenomenonTime")), obs.get("Datastream")
            if start is not None and isinstance(stream, dict) and server_id(obs.get("@iot.id")) is not None:
                found[(stream.get("@iot.id"), start)] = (obs.get("@iot.id"), obs.get("result"))
    return found


def correct(client: JsonClient, stored: Stored, rows: list[Row], k: int) -> int:
    """Patch the result of each stored Observation whose bucket now counts at least ``k`` more or less (late events).

    A smaller change is not sent: the new result less the old one would be a count below k (the events of a
    node that was offline for a few minutes), so the stored one stays, off by less than k, until the change grows.
    """
    patched = 0
    for stream_id, phenomenon, _result_time, result in rows:
        start = start_of(phenomenon)
        obs_id, old = stored.get((stream_id, start), (None, result)) if start is not None else (None, result)
        if obs_id is None or old == result:
            continue
        if isinstance(old, (int, float)) and not isinstance(old, bool) and abs(result - old) < k:
            continue
        client.call("PATCH", entity("Observations", obs_id), body={"result": result})
        patched += 1
    return patched


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

"""Read-only twin routes: map, live tiles, the live stream, history, past state, a camera's flows, nodes, benchmarks."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timezone
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from cloud.audit.writeahead import begin
from cloud.cockpit import benchmarks, live
from cloud.cockpit.flows import CameraFlows, camera_flows
from cloud.cockpit.auth import Session, current_session, current_user
from cloud.cockpit.downloads import MEDIA_TYPES, Format, file_name, history_file
from cloud.cockpit.errors import BadRequest
from cloud.cockpit.routes_auth import cockpit_of
from cloud.cockpit.users import User
from cloud.twin.named import check_instant
from cloud.twin.twin import Twin

router = APIRouter(prefix="/api", tags=["twin"], dependencies=[Depends(current_user)])

T = TypeVar("T")


def _instant(value: datetime, name: str) -> datetime:
    value = live.utc(value)
    try:
        check_instant(name, value)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    return value


def _read(request: Request, view: Callable[[Twin], T]) -> T:
    """``view`` of the twin, taken under the cockpit's read lock so that no refresh swaps the tables under it."""
    cockpit = cockpit_of(request)
    with cockpit.lock.read():
        return view(cockpit.twin)


def _matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (RFC 9110: weak comparison, a list, or ``*``)."""
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag.removeprefix("W/") in tags


@router.get("/map", summary="Site, cameras, lines and zones: the registry, the site as GeoJSON (WGS84) and the basemap",
            description="Fixed while the cockpit runs: answered with an ETag and `Cache-Control: private, no-cache`, "
            "so a screen that sends the tag back in `If-None-Match` gets 304 and no body until the deployment changes.",
            responses={304: {"description": "The screen's copy (named by If-None-Match) is still the answer"}})
def site_map(request: Request) -> Response:
    body, etag = cockpit_of(request).map_answer()
    # private: the answer needs a login, so no shared cache may keep it; no-cache: the browser asks every time.
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


@router.get("/live", summary="People and vehicles now, zone occupancy, flow in the last 15 minutes, nodes")
def live_now(request: Request) -> Response:
    # The snapshot is JSON already (the stream sends it as it is): encoded once, not walked value by value.
    return Response(json.dumps(cockpit_of(request).snapshot()[1], separators=(",", ":")), media_type="application/json")


def _session_ended(session: Session) -> str:
    """The stream's last event: the screen shows the login again when it arrives."""
    reason = "expired" if time.time() >= session.expires else "logged_out"
    message = "Your session has expired; log in again." if reason == "expired" else "You were logged out; log in again."
    return f"event: session_ended\ndata: {json.dumps({'reason': reason, 'message': message})}\n\n"


@router.get("/stream", include_in_schema=False)
async def stream(
    request: Request, max_events: int | None = Query(None, ge=1, le=1000), session: Session = Depends(current_session)
) -> StreamingResponse:
    """Server-sent events: the snapshot, then the changes to it at every refresh; a comment every 15 s otherwise.

    The first event is ``live`` (the snapshot, as ``GET /api/live`` answers); each next one is ``live_changes``
    (``livestream.LiveChanges``) from the version it sent last, or ``live`` again when that is too old.

    The session is checked on every turn (every 0.5 s): once it is logged out
    or expired, a ``session_ended`` event is sent and the stream ends.
    """
    cockpit = cockpit_of(request)

    async def events() -> AsyncIterator[str]:
        sent, last_version, last_write = 0, None, time.monotonic()
        while max_events is None or sent < max_events:
            if await request.is_disconnected():
                return
            if cockpit.sessions.get(session.token) is None:
                yield _session_ended(session)
                return
            version, text = await asyncio.to_thread(cockpit.stream_event, last_version)
            if text is not None:
                yield text
                sent, last_version, last_write = sent + 1, version, time.monotonic()
            elif time.monotonic() - last_write > 15:
                yield ": keepalive\n\n"
                last_write = time.monotonic()
            await asyncio.sleep(0.5)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


@router.get("/history", summary="Crossings per time bucket and direction, optionally for one camera or line")
def history(
    request: Request,
    start: datetime,
    end: datetime,
    bucket: str = Query("15 minutes", max_length=32, description="'1 minute', '15 minutes', '1 hour', '1 day', ..."),
    camera: str | None = Query(None, max_length=64),
    line: str | None = Query(None, max_length=64),
) -> dict[str, Any]:
    t1, t2 = _instant(start, "start"), _instant(end, "end")
    started = time.monotonic()
    result = _read(request, lambda twin: live.history(twin, bucket, t1, t2, camera, line))
    cockpit_of(request).series.query("history", time.monotonic() - started)
    return result


@router.get("/history/download", summary="The history panel's rows as a CSV or Parquet file (audited before it is made)",
            response_class=Response, responses={200: {"content": {t: {} for t in MEDIA_TYPES.values()}}})
def history_download(
    request: Request,
    start: datetime,
    end: datetime,
    format: Format = Query("csv", description="csv (spreadsheet-safe) or parquet"),
    bucket: str = Query("15 minutes", max_length=32, description="'1 minute', '15 minutes', '1 hour', '1 day', ..."),
    camera: str | None = Query(None, max_length=64),
    line: str | None = Query(None, max_length=64),
    user: User = Depends(current_user),
) -> Response:
    t1, t2 = _instant(start, "start"), _instant(end, "end")
    cockpit = cockpit_of(request)
    asked = {"format": format, "bucket": bucket, "start": t1.isoformat(), "end": t2.isoformat(), "camera": camera, "line": line}
    with begin(cockpit.audit, user.username, "history.download", asked) as step:
        started = time.monotonic()
        answer = _read(request, lambda twin: live.history(twin, bucket, t1, t2, camera, line))
        body = history_file(answer, format)
        cockpit.series.query("download", time.monotonic() - started)
        step.note(rows=len(answer["points"]), bytes=len(body))
    name = file_name(answer, format)
    return Response(body, media_type=MEDIA_TYPES[format], headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/state", summary="The twin's state at a past instant (zones, nodes, flow of the 15 minutes before)")
def state(request: Request, at: datetime) -> dict[str, Any]:
    when = _instant(at, "at")
    return _read(request, lambda twin: live.state_at(twin, when))


@router.get("/flows", summary="One camera's top turns and queues in the 15 minutes up to now or a past instant",
            response_model=CameraFlows)
def flows(
    request: Request,
    camera: str = Query(max_length=64, description="a camera of the deployment (GET /api/map)"),
    at: datetime | None = Query(None, description="end of the window (ISO 8601); now when left out"),
) -> CameraFlows:
    when = _instant(at, "at") if at is not None else datetime.now(timezone.utc)
    return _read(request, lambda twin: camera_flows(twin, camera, when))


@router.get("/range", summary="First and last event time, for the history scrubber")
def data_range(request: Request) -> dict[str, Any]:
    return _read(request, live.data_range)


@router.get("/nodes", summary="Edge node health: fps, latency, online or offline, last seen")
def nodes(request: Request) -> list[dict[str, Any]]:
    now = datetime.now(timezone.utc)
    return _read(request, lambda twin: live.nodes(twin, now, twin.offline_after_s))


@router.get("/cameras", summary="Every configured camera with its state (never_seen, silent, unreliable, degraded, online)")
def cameras(request: Request) -> dict[str, Any]:
    snapshot = cockpit_of(request).snapshot()[1]
    return {"cameras": snapshot["cameras"], "counts": snapshot["camera_counts"]}


@router.get("/benchmarks", summary="Benchmark results per device, model and configuration")
def benchmark_table(request: Request, user: User = Depends(current_user)) -> list[dict[str, Any]]:
    return benchmarks.rows(cockpit_of(request).results_dir)

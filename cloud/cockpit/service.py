"""The cockpit's long-lived parts: twin, sessions, users, audit log, alerts, login throttle, and the refresh loop.

A background task refreshes the twin every ``refresh_s`` (new lake files and
the live tail) and recomputes the live snapshot once, so any number of
operators' streams share one computation. Another writes the failed-login
summary of each window that has ended.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from citytwin.deployment import Deployment
from citytwin.memory import release_freed
from citytwin.metrics_settings import MetricsSettings
from cloud.audit.chain import AuditLog
from cloud.cockpit import jsonsafe, live
from cloud.cockpit.alerts import AlertBoard
from cloud.cockpit.auth import Sessions
from cloud.cockpit.livestream import StreamEvents
from cloud.cockpit.metrics import CockpitSeries
from cloud.cockpit.login_audit import FailedLogins
from cloud.cockpit.rwlock import RWLock
from cloud.cockpit.session_file import SessionFile
from cloud.cockpit.settings import CockpitSettings
from cloud.cockpit.throttle import LoginThrottle
from cloud.cockpit.users import Users
from cloud.twin.follow import Follower
from cloud.twin.twin import Twin
from contract.geojson import feature_collection

log = logging.getLogger(__name__)


@dataclass
class Cockpit:
    """Everything the API routes share."""

    twin: Twin
    users: Users
    audit: AuditLog
    alerts: AlertBoard
    settings: CockpitSettings = field(default_factory=CockpitSettings)
    results_dir: Path = Path("hardware/results")
    refresh_s: float = 1.5
    stale_after_s: float = 120.0
    lock: RWLock = field(default_factory=RWLock)
    follower: Follower | None = None
    deployment: Deployment | None = None  # the validated deployment file, for the residency manifest
    series: CockpitSeries = field(default_factory=lambda: CockpitSeries(MetricsSettings()))
    version: int = 0
    _snapshot: dict[str, Any] | None = None
    events: StreamEvents = field(default_factory=StreamEvents)  # the stream's events, made once for every stream
    _snapshot_lock: threading.Lock = field(default_factory=threading.Lock)
    _map_answer: tuple[bytes, str] | None = None
    _map_lock: threading.Lock = field(default_factory=threading.Lock)
    sessions: Sessions = field(init=False)
    throttle: LoginThrottle = field(init=False)
    failed_logins: FailedLogins = field(init=False)

    def __post_init__(self) -> None:
        path = self.settings.session_file
        self.sessions = Sessions(self.settings.session_ttl_s, SessionFile(path) if path else None, self.users)
        self.throttle = LoginThrottle(self.settings.login)
        self.failed_logins = FailedLogins(self.audit, self.settings.login_audit)

    def refresh(self) -> dict[str, Any]:
        """Pick up new data, then recompute and keep the live snapshot."""
        if self.follower is not None:
            self.follower.ensure()
        with self.lock.write():
            self.twin.refresh()
        snapshot = self.compute_live()
        with self._snapshot_lock:
            self._snapshot = snapshot
            self.version += 1
            self.events.add(self.version, snapshot)
        # The refresh and the requests since the last one read lake hours and freed them: hand that memory back.
        release_freed()
        return snapshot

    def compute_live(self) -> dict[str, Any]:
        with self.lock.read():
            return live.live(self.twin, datetime.now(timezone.utc), self.stale_after_s, self.settings.degraded_fps)

    def map_answer(self) -> tuple[bytes, str]:
        """``GET /api/map``'s answer as JSON text and its entity tag, made once: the registry and the site's shapes
        are fixed while it runs.

        At a thousand cameras it is close to a megabyte, which took a few hundred milliseconds to query, project and
        encode; the tag is the text's digest, so a screen that has it already is answered 304 until the deployment
        (and with it the text) changes.
        """
        with self._map_lock:  # the first screen and the warm-up at start may both ask: the work is done once
            if self._map_answer is None:
                with self.lock.read():
                    registry = live.site_map(self.twin)
                answer = {**registry, "geojson": feature_collection(self.twin.site, self.twin.cameras),
                          "basemap": self.settings.basemap.screen()}
                body = json.dumps(jsonsafe.cell(answer), separators=(",", ":"), allow_nan=False).encode()
                # Weak: the same answer also travels gzip-compressed, which a strong tag would have to tell apart.
                self._map_answer = body, f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'
            return self._map_answer

    def snapshot(self) -> tuple[int, dict[str, Any]]:
        """The newest live snapshot and its version (computed now if there is none yet)."""
        with self._snapshot_lock:
            if self._snapshot is not None:
                return self.version, self._snapshot
        return self.version, self.compute_live()

    def stream_event(self, sent: int | None) -> tuple[int, str | None]:
        """The newest version and the event that brings a stream from version ``sent`` to it (None: it is there)."""
        version, snapshot = self.snapshot()
        return version, None if sent == version else self.events.next_event(sent, version, snapshot)

    async def refresh_forever(self) -> None:
        """Build the map's answer (so that the first screen does not wait for it), then refresh every ``refresh_s``."""
        try:
            await asyncio.to_thread(self.map_answer)
        except Exception:  # the first GET /api/map tries again, and says why if it fails too
            log.exception("cockpit: building the map's answer at start failed")
        while True:
            try:
                await asyncio.to_thread(self.refresh)
            except Exception:  # a bad file or a transient error must not stop live updates
                log.exception("cockpit: twin refresh failed; retrying")
            await asyncio.sleep(self.refresh_s)

    async def flush_logins_forever(self, every_s: float = 1.0) -> None:
        """Write each ended window's failed-login summary soon after it ends, even if no one tries again."""
        while True:
            await asyncio.sleep(every_s)
            try:
                await asyncio.to_thread(self.failed_logins.flush)
            except Exception:  # the next window must still be counted and written
                log.exception("cockpit: writing the failed-login summary failed; retrying")

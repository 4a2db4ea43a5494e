"""The live stream's events: the whole snapshot once, then only what changed from one snapshot to the next.

A city of a thousand cameras makes a live snapshot of most of a megabyte, yet from one refresh to the next
only the cameras that reported, the zones whose count moved and the flow differ. So a stream sends ``live``
(the snapshot) when it starts or has fallen far behind, and ``live_changes`` (``LiveChanges``) from the
version it sent last to the newest. Each event's text is made once, however many screens follow the stream.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Snapshot = dict[str, Any]


class LiveChanges(BaseModel):
    """The changes that turn the live snapshot of version ``base`` into the one of ``version``."""

    model_config = ConfigDict(extra="forbid")

    base: int = Field(title="Base version",
                      description="The version the changes apply to: the id of the stream's previous live or live_changes event.")
    version: int = Field(title="Version", description="The version they make: this event's id.")
    fields: dict[str, Any] = Field(
        default_factory=dict, title="Replaced fields",
        description="Top-level fields of the snapshot that changed, with their whole new value.")
    entries: dict[str, list[tuple[int, dict[str, Any]]]] = Field(
        default_factory=dict, title="Replaced entries",
        description="For a list field (cameras, nodes, zones, flow) as long as before: [position, new entry] for each "
        "entry that changed; the others are as they were.")


def changes(before: Snapshot, after: Snapshot, base: int, version: int) -> LiveChanges | None:
    """What differs from ``before`` to ``after``; None when their fields differ, so only the whole snapshot will do."""
    if before.keys() != after.keys():
        return None
    fields: dict[str, Any] = {}
    entries: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for key, new in after.items():
        old = before[key]
        if old == new:
            continue
        if isinstance(old, list) and isinstance(new, list) and len(old) == len(new) and all(isinstance(e, dict) for e in new):
            entries[key] = [(i, n) for i, (o, n) in enumerate(zip(old, new)) if o != n]
        else:
            fields[key] = new
    return LiveChanges(base=base, version=version, fields=fields, entries=entries)


def event(name: str, version: int, data: str) -> str:
    """One server-sent event."""
    return f"event: {name}\nid: {version}\ndata: {data}\n\n"


class StreamEvents:
    """The newest snapshots and their events' text, each made once.

    A stream that looked in after two refreshes gets the changes from the version it has, as long as that
    version is among the last ``keep``; one further behind gets the whole snapshot.
    """

    def __init__(self, keep: int = 8) -> None:
        self._lock = threading.Lock()
        self._keep = keep
        self._versions: dict[int, Snapshot] = {}
        self._texts: dict[tuple[int | None, int], str] = {}  # (from version or None for the whole, to version) -> text

    def add(self, version: int, snapshot: Snapshot) -> None:
        """A new snapshot; the oldest beyond ``keep`` and their texts are dropped."""
        with self._lock:
            self._versions[version] = snapshot
            self._versions = {v: s for v, s in self._versions.items() if v > version - self._keep}
            self._texts = {k: t for k, t in self._texts.items() if k[1] in self._versions}

    def next_event(self, sent: int | None, version: int, snapshot: Snapshot) -> str:
        """The event that brings a stream that last sent version ``sent`` to ``version``: its changes, or the snapshot."""
        with self._lock:
            if sent is not None and sent < version and sent in self._versions:
                text = self._texts.get((sent, version))
                if text is None:
                    delta = changes(self._versions[sent], snapshot, sent, version)
                    text = "" if delta is None else event("live_changes", version, delta.model_dump_json())
                    self._texts[sent, version] = text
                if text:
                    return text
            text = self._texts.get((None, version)) or event("live", version, json.dumps(snapshot, separators=(",", ":")))
            self._texts[None, version] = text
            return text

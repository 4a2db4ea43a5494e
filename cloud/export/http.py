"""A bounded JSON client for the platforms exporters write to: timeouts, a size cap, and links that stay home.

A platform is outside the city's control, so each answer is read with a
limit: every request has ``timeout_s`` in all (a server that trickles its
answer byte by byte is cut off too), the whole export ``deadline_s``; a body
over ``max_response_mb`` is cut off and fails the export rather than filling
memory, and one nested deeper than ``MAX_DEPTH`` is refused; every URL, a
paging link (``@iot.nextLink``) or a path built from the server's ids, is
resolved the way a server resolves it (``%2e``, ``..``, ``;`` parameters) and
refused unless it stays under the configured service root, so a server
cannot send the exporter, with its credentials, anywhere else. Every failure
is an ``ExportFailed`` naming the exporter, the request and what to check.
"""

from __future__ import annotations

import json
import logging
import posixpath
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import httpx

from citytwin.secretfile import MissingSecret
from cloud.export.base import ExportFailed

log = logging.getLogger(__name__)

MiB = 2**20
_SHOWN = 300  # characters of a refusal's body quoted in the error
# SensorThings and NGSI-LD answers nest a handful of levels; far deeper is an attack on the parser or on whoever reads it.
MAX_DEPTH = 64


@dataclass(frozen=True)
class Answer:
    """One response: status, headers and the JSON body (None when empty)."""

    status: int
    headers: httpx.Headers
    body: Any


def secret(environ: Mapping[str, str], variable: str | None, setting: str) -> str | None:
    """The secret in ``variable``, None when no variable is configured; raises ``MissingSecret`` naming both."""
    if variable is None:
        return None
    value = environ.get(variable)
    if not value:
        raise MissingSecret(f"{setting} names {variable}, which is not set; set it (e.g. in the file given to "
                            "`citytwin --credentials`) or remove the setting")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        # Never quoted: a header that refuses it would echo it into the error, the log and the audit record.
        raise MissingSecret(f"{setting} names {variable}, whose value holds a control character (a line break?); "
                            "it is not shown here: fix it where it is set")
    return value


def _canonical(path: str) -> str:
    """``path`` as a server resolves it: percent-decoded, ``;`` parameters and ``.``/``..`` segments removed."""
    segments = [seg.split(";", 1)[0] for seg in unquote(path).replace("\\", "/").split("/")]
    resolved = posixpath.normpath("/" + "/".join(segments))
    return resolved.replace("//", "/")


def _depth(value: Any) -> int:
    """How deep ``value`` nests (lists and objects), counted without recursion."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            todo += [(x, level + 1) for x in (item.values() if isinstance(item, dict) else item)]
    return deepest


class JsonClient:
    """JSON over HTTP to one service root, within the exporter's limits."""

    def __init__(self, name: str, root: str, timeout_s: float, max_response_mb: float, *, deadline_s: float = 3600.0,
                 headers: Mapping[str, str] | None = None, auth: httpx.Auth | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.name = name
        self.root = root.rstrip("/")
        self.max_bytes = int(max_response_mb * MiB)
        self.timeout_s, self.deadline_s = timeout_s, deadline_s
        self.ends = time.monotonic() + deadline_s
        self.client = httpx.Client(timeout=timeout_s, headers=dict(headers or {}), auth=auth, transport=transport,
                                   follow_redirects=False)

    def url(self, path: str) -> str:
        """``path`` under the root (an absolute URL, a paging link, too), refused if it resolves anywhere else."""
        absolute = path.startswith(("http://", "https://"))
        target = httpx.URL(path if absolute else f"{self.root}/{path.lstrip('/')}")
        home = httpx.URL(self.root)
        base = _canonical(home.path).rstrip("/")
        inside = (target.scheme, target.host, target.port, target.userinfo) == (home.scheme, home.host, home.port, b"") \
            and (_canonical(target.path) + "/").startswith(base + "/")
        if not inside:
            said = "sent a link to" if absolute else "gave an id that leads to"
            raise ExportFailed(f"exporter {self.name}: the server {said} {path[:200]!r}, outside its own service root "
                               f"{self.root}; refusing to follow it")
        return str(target)

    def call(self, method: str, path: str, *, body: Any = None, params: Mapping[str, str] | None = None,
             ok: tuple[int, ...] = (200, 201, 204), content_type: str = "application/json") -> Answer:
        """Send one request and read its JSON answer; raises ``ExportFailed`` for any status not in ``ok``."""
        url = self.url(path)
        content = None if body is None else json.dumps(body, allow_nan=False).encode()
        headers = {"Content-Type": content_type} if content is not None else {}
        left = self.ends - time.monotonic()
        if left <= 0:
            raise ExportFailed(f"exporter {self.name}: the export took longer than {self.deadline_s:g} s (deadline_s) "
                               f"before {method} {url}; check the server's speed, or raise deadline_s")
        limit = min(self.timeout_s, left)
        try:
            with self.client.stream(method, url, content=content, params=params, headers=headers,
                                    timeout=limit) as response:
                raw = self._read(response, method, url, time.monotonic() + limit)
        except httpx.TimeoutException:
            setting = "timeout_s" if limit == self.timeout_s else "deadline_s"
            raise ExportFailed(f"exporter {self.name}: {method} {url} got no answer within {limit:g} s "
                               f"({setting}); check that the server is up and reachable") from None
        except httpx.HTTPError as exc:
            raise ExportFailed(f"exporter {self.name}: {method} {url} failed: {exc}; check the url and the network") from None
        if response.status_code not in ok:
            shown = raw[:_SHOWN].decode("utf-8", "replace")
            raise ExportFailed(f"exporter {self.name}: {method} {url} answered {response.status_code}: {shown}")
        return Answer(response.status_code, response.headers, self._json(raw, method, url))

    def _read(self, response: httpx.Response, method: str, url: str, until: float) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            if time.monotonic() > until:  # each read was quick, but the answer as a whole is not
                raise httpx.ReadTimeout(f"{method} {url} took too long in all")
            size += len(chunk)
            if size > self.max_bytes:
                raise ExportFailed(f"exporter {self.name}: {method} {url} sent more than {self.max_bytes // MiB} MiB "
                                   "(max_response_mb); refusing to read on")
            chunks.append(chunk)
        return b"".join(chunks)

    def _json(self, raw: bytes, method: str, url: str) -> Any:
        if not raw.strip():
            return None
        try:
            found = json.loads(raw)
        except (ValueError, RecursionError):
            raise ExportFailed(f"exporter {self.name}: {method} {url} answered with something that is not JSON "
                               f"(or nests too deep to read): {raw[:_SHOWN].decode('utf-8', 'replace')!r}") from None
        if _depth(found) > MAX_DEPTH:
            raise ExportFailed(f"exporter {self.name}: {method} {url} answered with JSON nested deeper than {MAX_DEPTH} "
                               "levels, which no SensorThings or NGSI-LD answer does; refusing to read it")
        return found

    def close(self) -> None:
        self.client.close()

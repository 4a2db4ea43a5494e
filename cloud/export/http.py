"""A bounded JSON client for the platforms exporters write to: timeouts, a size cap, and links that stay home.

A platform is outside the city's control, so each answer is read with a
limit: every request has ``timeout_s``; a body over ``max_response_mb`` is
cut off and fails the export rather than filling memory; a paging link
(``@iot.nextLink``) that points anywhere but the configured service root is
refused, so a server cannot send the exporter, with its credentials, to
another host. Every failure is an ``ExportFailed`` naming the exporter, the
request and what to check.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from citytwin.secretfile import MissingSecret
from cloud.export.base import ExportFailed

log = logging.getLogger(__name__)

MiB = 2**20
_SHOWN = 300  # characters of a refusal's body quoted in the error


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
    return value


class JsonClient:
    """JSON over HTTP to one service root, within the exporter's limits."""

    def __init__(self, name: str, root: str, timeout_s: float, max_response_mb: float, *,
                 headers: Mapping[str, str] | None = None, auth: httpx.Auth | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.name = name
        self.root = root.rstrip("/")
        self.max_bytes = int(max_response_mb * MiB)
        self.timeout_s = timeout_s
        self.client = httpx.Client(timeout=timeout_s, headers=dict(headers or {}), auth=auth, transport=transport,
                                   follow_redirects=False)

    def url(self, path: str) -> str:
        """``path`` under the root; an absolute URL (a paging link) only if it lies under the root."""
        if path.startswith(("http://", "https://")):
            if not path.startswith(self.root + "/") and path != self.root:
                raise ExportFailed(f"exporter {self.name}: the server sent a link to {path[:200]!r}, outside its own "
                                   f"service root {self.root}; refusing to follow it")
            return path
        return f"{self.root}/{path.lstrip('/')}"

    def call(self, method: str, path: str, *, body: Any = None, params: Mapping[str, str] | None = None,
             ok: tuple[int, ...] = (200, 201, 204), content_type: str = "application/json") -> Answer:
        """Send one request and read its JSON answer; raises ``ExportFailed`` for any status not in ``ok``."""
        url = self.url(path)
        content = None if body is None else json.dumps(body, allow_nan=False).encode()
        headers = {"Content-Type": content_type} if content is not None else {}
        try:
            with self.client.stream(method, url, content=content, params=params, headers=headers) as response:
                raw = self._read(response, method, url)
        except httpx.TimeoutException:
            raise ExportFailed(f"exporter {self.name}: {method} {url} got no answer within {self.timeout_s:g} s "
                               "(timeout_s); check that the server is up and reachable") from None
        except httpx.HTTPError as exc:
            raise ExportFailed(f"exporter {self.name}: {method} {url} failed: {exc}; check the url and the network") from None
        if response.status_code not in ok:
            shown = raw[:_SHOWN].decode("utf-8", "replace")
            raise ExportFailed(f"exporter {self.name}: {method} {url} answered {response.status_code}: {shown}")
        return Answer(response.status_code, response.headers, self._json(raw, method, url))

    def _read(self, response: httpx.Response, method: str, url: str) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
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
            return json.loads(raw)
        except ValueError:
            raise ExportFailed(f"exporter {self.name}: {method} {url} answered with something that is not JSON: "
                               f"{raw[:_SHOWN].decode('utf-8', 'replace')!r}") from None

    def close(self) -> None:
        self.client.close()

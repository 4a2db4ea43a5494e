"""HTTP security headers for the web screens (the cockpit and the regional screen), from one middleware.

The policy allows scripts, styles, images and fetches from the serving origin
only: the screens ship every asset in their ``static/`` folders and the shared
``cloud/web/static/``, with no inline script, inline style or event-handler
attribute, so nothing else is needed and an injected ``<script>`` or
``onerror=`` does not run. No page may
be framed (clickjacking), no URL leaks in a Referer, and browsers must not
sniff a JSON or text response into HTML.

Example:
    >>> from fastapi import FastAPI
    >>> install(FastAPI())  # every response of the app now carries HEADERS
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence

from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

def content_security_policy(fetch_from: Sequence[str] = ()) -> str:
    """The policy; ``fetch_from`` adds origins that images and fetches may come from (a map's basemap tiles).

    The map's worker is a module from the serving origin, so ``worker-src 'self'`` is all it needs.
    """
    extra = "".join(f" {origin}" for origin in fetch_from)
    return "; ".join((
        "default-src 'self'",
        "script-src 'self'",
        "worker-src 'self'",
        "style-src 'self'",
        f"img-src 'self'{extra}",
        f"connect-src 'self'{extra}",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ))


def security_headers(fetch_from: Sequence[str] = ()) -> dict[str, str]:
    """Every header the screens send, with ``fetch_from`` origins allowed for images and fetches."""
    return {
        "Content-Security-Policy": content_security_policy(fetch_from),
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }


CONTENT_SECURITY_POLICY = content_security_policy()
HEADERS: dict[str, str] = security_headers()


class SecurityHeaders:
    """ASGI middleware that sets ``HEADERS`` on every HTTP response, replacing any the app set itself."""

    def __init__(self, app: ASGIApp, headers: dict[str, str] | None = None) -> None:
        self.app = app
        self.headers = headers or HEADERS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


Handler = Callable[[Request, Exception], Response | Awaitable[Response]]


def install(app: FastAPI, fetch_from: Sequence[str] = ()) -> None:
    """Put the headers on every response of ``app``; call it after the app's own exception handlers are added.

    ``fetch_from``: origins beyond the app's own that its pages may load images and data from.

    Starlette answers an unhandled exception from its outermost layer, outside
    any middleware, so the 500 handler is wrapped to carry the headers too.
    """
    sent = security_headers(fetch_from)
    app.add_middleware(SecurityHeaders, headers=sent)
    inner: Handler | None = app.exception_handlers.get(Exception)

    async def server_error(request: Request, exc: Exception) -> Response:
        if inner is None:
            response: Response = PlainTextResponse("Internal Server Error", status_code=500)
        else:
            result = inner(request, exc)
            response = await result if inspect.isawaitable(result) else result
        response.headers.update(sent)
        return response

    app.add_exception_handler(Exception, server_error)

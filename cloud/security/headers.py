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
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
))

HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


class SecurityHeaders:
    """ASGI middleware that sets ``HEADERS`` on every HTTP response, replacing any the app set itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


Handler = Callable[[Request, Exception], Response | Awaitable[Response]]


def install(app: FastAPI) -> None:
    """Put the headers on every response of ``app``; call it after the app's own exception handlers are added.

    Starlette answers an unhandled exception from its outermost layer, outside
    any middleware, so the 500 handler is wrapped to carry the headers too.
    """
    app.add_middleware(SecurityHeaders)
    inner: Handler | None = app.exception_handlers.get(Exception)

    async def server_error(request: Request, exc: Exception) -> Response:
        if inner is None:
            response: Response = PlainTextResponse("Internal Server Error", status_code=500)
        else:
            result = inner(request, exc)
            response = await result if inspect.isawaitable(result) else result
        response.headers.update(HEADERS)
        return response

    app.add_exception_handler(Exception, server_error)

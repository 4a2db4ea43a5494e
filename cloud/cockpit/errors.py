"""Every error the cockpit API returns, and the one place that maps them to HTTP.

The shape is always ``{"error": {"code": "...", "message": "..."}}`` so the
screen and scripts can show ``message`` and branch on ``code``; a test pins it.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from citytwin.errors import CitytwinError
from cloud.audit.chain import AuditWriteError

log = logging.getLogger(__name__)


class CockpitError(CitytwinError):
    """Base of the API's errors: a stable ``code`` and an HTTP ``status``."""

    code = "error"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def headers(self) -> dict[str, str]:
        """Extra response headers this error calls for."""
        return {}


class BadRequest(CockpitError):
    code, status = "bad_request", 400


class NotAuthenticated(CockpitError):
    code, status = "not_authenticated", 401


class Forbidden(CockpitError):
    code, status = "forbidden", 403


class NotFound(CockpitError):
    code, status = "not_found", 404


class QueryRefusedError(CockpitError):
    code, status = "query_refused", 400


class QueryFailed(CockpitError):
    code, status = "query_error", 400


class QueryTimedOut(CockpitError):
    code, status = "query_timeout", 408


class TooManyAttempts(CockpitError):
    """Refused before any work is done; ``retry_after_s`` says when to try again."""

    code, status = "too_many_attempts", 429

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_s)}


class AuditUnavailable(CockpitError):
    """The audit log could not record the request, so it was not carried out."""

    code, status = "audit_unavailable", 503


def body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def _response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    extra = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    return JSONResponse(body(code, message), status_code=status, headers={**extra, **(headers or {})})


_HTTP_CODES = {401: "not_authenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


def install(app: FastAPI) -> None:
    """Register the handlers: typed errors, validation errors, HTTP errors, and anything unexpected."""

    async def cockpit_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, CockpitError)
        return _response(exc.status, exc.code, exc.message, exc.headers)

    async def validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in exc.errors()
        )
        return _response(422, "invalid_request", problems or "the request is not valid")

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return _response(exc.status_code, _HTTP_CODES.get(exc.status_code, "http_error"), str(exc.detail))

    async def audit_unwritable(request: Request, exc: Exception) -> JSONResponse:
        log.error("cockpit: %s %s refused: %s", request.method, request.url.path, exc)
        # The path and the cause stay in the server log: the caller may not even be logged in.
        return _response(AuditUnavailable.status, AuditUnavailable.code,
                         "the audit log could not record this request, so it was not carried out; the server log "
                         "says why. Retry once the audit log is writable again")

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("cockpit: unexpected error on %s %s", request.method, request.url.path)
        return _response(500, "internal", "internal error; the server log has the details")

    app.add_exception_handler(CockpitError, cockpit_error)
    app.add_exception_handler(AuditWriteError, audit_unwritable)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)

"""``create_app``: the FastAPI application, its OpenAPI spec, the refresh loop and the static screen."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware

from cloud.cockpit import basemap, errors
from cloud.cockpit.routes_auth import router as auth_router
from cloud.cockpit.routes_ops import router as ops_router
from cloud.cockpit.routes_residency import router as residency_router
from cloud.cockpit.routes_twin import router as twin_router
from cloud.cockpit.service import Cockpit
from cloud.security import headers
from cloud.web import assets

STATIC = Path(__file__).with_name("static")
# A large city's JSON answers (the map, the live snapshot) shrink to a tenth, the map library to a quarter; level 5
# takes a quarter of level 9's time or less for nearly the same size (about 7 ms for a thousand cameras' map). The live stream (text/event-stream) is never held back to be
# compressed, and a PMTiles archive is read by byte ranges of what is on disk, so it goes as it is.
GZIP_LEVEL = 5
GZIP_MIN_BYTES = 1024
GZIP_EXCLUDED = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/vnd.pmtiles")


def create_app(cockpit: Cockpit, *, background_refresh: bool = True) -> FastAPI:
    """The cockpit app over ``cockpit``; ``background_refresh`` builds the map's answer and runs the refresh loop."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(cockpit.flush_logins_forever())]
        if background_refresh:
            tasks.append(asyncio.create_task(cockpit.refresh_forever()))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            cockpit.failed_logins.flush(force=True)  # the window still open goes into the log too

    app = FastAPI(
        title="citytwin cockpit",
        version="1.0",
        description="The operators' screen and its API: site map, live counts, alerts, node health, "
        "history and an audited read-only SQL console. Every /api route except /api/health needs "
        "'Authorization: Bearer <token>' from POST /api/login.",
        lifespan=lifespan,
        docs_url=None,  # the Swagger page loads its assets from a CDN; the screen must work air-gapped
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.cockpit = cockpit
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES, compresslevel=GZIP_LEVEL,
                       exclude_content_types=GZIP_EXCLUDED)
    errors.install(app)
    headers.install(app, cockpit.settings.basemap.origins())
    app.include_router(auth_router)
    app.include_router(twin_router)
    app.include_router(ops_router)
    app.include_router(residency_router)
    basemap.install(app, cockpit.settings.basemap)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/wall", include_in_schema=False)
    def wall() -> FileResponse:
        """The read-only kiosk layout for the room's big screen."""
        return FileResponse(STATIC / "wall.html", headers={"Cache-Control": "no-cache"})

    assets.mount(app, STATIC)
    return app

"""A basemap kept on the cockpit's disk: one PMTiles archive, served by the cockpit itself with HTTP range requests.

The screen's map reads the archive a few kilobytes at a time (its header, a
directory, a tile) through the pmtiles library's MapLibre protocol, so the
file is served with byte ranges. The route has no path parameter: it serves
the one file the deployment names, so no request can reach another file
whatever it sends. The ranges are Starlette's ``FileResponse``: one range,
open (``bytes=100-``) or from the end (``bytes=-100``), an end past the file
cut to the file; several ranges are merged where they overlap and sent as one
multipart answer (more than 100: the whole file, as a plain GET would get); a
start past the end is 416 with ``Content-Range: bytes */SIZE``; a malformed
header is 400. Like the screen's static files, the archive needs no login:
it is the map of the place, with nothing from the cameras in it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse

from citytwin.errors import ConfigError
from cloud.cockpit.settings import PMTILES_ROUTE, BasemapSettings

log = logging.getLogger(__name__)

MAGIC = b"PMTiles\x03"  # the first bytes of a version 3 archive, the version the screen's reader reads
HEADER_BYTES = 127


def checked(path: Path) -> Path:
    """``path`` made absolute once it is a readable PMTiles v3 file; else a ConfigError naming the key."""
    key = "cockpit.basemap.path"
    try:
        with path.open("rb") as fh:
            head = fh.read(HEADER_BYTES)
    except OSError as exc:
        raise ConfigError(f"{key}: cannot read the basemap file {path} ({exc.strerror}); "
                          "give the path of a .pmtiles file the cockpit can read") from None
    if not head.startswith(MAGIC) or len(head) < HEADER_BYTES:
        raise ConfigError(f"{key}: {path} is not a PMTiles version 3 archive; convert it with "
                          "'pmtiles convert' (protomaps' go-pmtiles) or write it with the python pmtiles package")
    return path.resolve()


def install(app: FastAPI, settings: BasemapSettings) -> None:
    """Serve the configured PMTiles archive at ``PMTILES_ROUTE`` (GET and HEAD); nothing for other basemaps."""
    if settings.type != "pmtiles" or settings.path is None:
        return
    path = checked(settings.path)
    log.info("cockpit: basemap %s served at %s", path, PMTILES_ROUTE)

    @app.api_route(PMTILES_ROUTE, methods=["GET", "HEAD"], include_in_schema=False)
    def basemap_file() -> FileResponse:
        # Revalidated on each use, so a replaced archive is read afresh (the reader follows its ETag).
        return FileResponse(path, media_type="application/vnd.pmtiles", headers={"Cache-Control": "no-cache"})

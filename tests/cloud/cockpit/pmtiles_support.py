"""A tiny PMTiles archive for the basemap tests: raster tiles of one colour, zoom 0 to 2, written by the pmtiles package."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import write

MAX_ZOOM = 2


def write_archive(path: Path, rgb: tuple[int, int, int]) -> Path:
    """Every tile from zoom 0 to ``MAX_ZOOM`` is a 256-pixel PNG of ``rgb``; the map overzooms the last level."""
    png = io.BytesIO()
    Image.new("RGB", (256, 256), rgb).save(png, "PNG")
    with write(str(path)) as writer:
        for tile_id in range(zxy_to_tileid(MAX_ZOOM + 1, 0, 0)):
            writer.write_tile(tile_id, png.getvalue())
        # Web Mercator's limits, so the map asks for every tile it draws.
        bounds = {"min_lon_e7": -1_800_000_000, "max_lon_e7": 1_800_000_000, "min_lat_e7": -850_511_287, "max_lat_e7": 850_511_287}
        writer.finalize({"tile_type": TileType.PNG, "tile_compression": Compression.NONE, **bounds},
                        {"name": "one colour", "attribution": "test tiles"})
    return path

"""The web screens' static files: each screen's own folder at ``/static``, the modules they share at ``/shared``.

A screen's scripts are ES modules with no build step; one that needs a shared
module imports it by its absolute path (``import { el } from "/shared/dom.js"``),
so both screens load the same file and neither keeps a copy.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

SHARED = Path(__file__).with_name("static")


def mount(app: FastAPI, own: Path) -> None:
    """Serve the screen's folder ``own`` at ``/static`` and the shared modules at ``/shared``."""
    app.mount("/static", StaticFiles(directory=own), name="static")
    app.mount("/shared", StaticFiles(directory=SHARED), name="shared")

"""The map in Chromium over a PMTiles basemap the cockpit serves itself, and its zoom buttons, all under the CSP.

The archive is written by the test (one colour, so the drawn map can be
checked pixel by pixel); the screenshot is ``test-artifacts/cockpit/basemap-pmtiles.png``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from cloud.cockpit.app import create_app
from cloud.cockpit.settings import PMTILES_ROUTE, CockpitSettings
from tests.browser.test_cockpit_screen import (  # noqa: F401
    ARTIFACTS, CHROMIUM, FLAGS, csp_violations, log_in, playwright_sync, pytestmark,
)
from tests.cloud.cockpit.pmtiles_support import write_archive
from tests.cloud.cockpit.support import NEVER_STARTED, PASSWORDS, make_cockpit, make_lake
from tests.support.http import serving

MAGENTA = (200, 0, 200)
ZOOM = "JSON.parse(document.getElementById('map').dataset.view).zoom"  # the zoom the map publishes after each move


@pytest.fixture(scope="module")
def pmtiles_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("basemap")
    archive = write_archive(tmp / "city.pmtiles", MAGENTA)
    settings = CockpitSettings.model_validate({"basemap": {"type": "pmtiles", "path": str(archive), "attribution": "test tiles"}})
    cockpit = make_cockpit(make_lake(tmp / "lake"), tmp, settings=settings, extra=[NEVER_STARTED])
    with serving(create_app(cockpit)) as url:
        yield url
    cockpit.twin.close()


def _share_of(png: bytes, rgb: tuple[int, int, int]) -> float:
    """The share of pixels within a few levels of ``rgb``."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)
    return float((np.abs(pixels - np.array(rgb)) <= 12).all(axis=2).mean())


def _zoom(page: Any) -> float:
    return float(json.loads(page.get_attribute("#map", "data-view"))["zoom"])


def test_a_pmtiles_basemap_is_drawn_under_the_site_with_zoom_buttons(pmtiles_url: str) -> None:
    expect = playwright_sync.expect
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_context(viewport={"width": 1600, "height": 900}).new_page()
        page.set_default_timeout(30_000)
        violations = csp_violations(page)
        ranged: list[int] = []
        page.on("response", lambda r: ranged.append(r.status) if r.url.endswith(PMTILES_ROUTE) else None)
        page.goto(pmtiles_url)
        log_in(page, "ada", PASSWORDS["ada"])
        expect(page.locator("#map")).to_have_attribute("data-ready", "1", timeout=90_000)
        expect(page.locator("#map")).to_have_attribute("data-basemap", "loaded", timeout=60_000)
        page.wait_for_timeout(1000)  # the raster fades in
        shot = page.locator("#map").screenshot()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "basemap-pmtiles.png").write_bytes(shot)
        # The archive's colour fills the map where the site draws nothing; the file was read in ranges.
        assert _share_of(shot, MAGENTA) > 0.3
        assert ranged and set(ranged) == {206}, ranged
        expect(page.locator(".maplibregl-ctrl-attrib")).to_contain_text("test tiles")

        # The zoom buttons: one level in, one level out, their icons the screen's own files.
        before = _zoom(page)
        page.click(".map-zoom-in")
        # A function, not a string: the page's CSP refuses eval, and Playwright evaluates a string expression with it.
        page.wait_for_function(f"(want) => {ZOOM} > want", arg=before + 0.9)
        page.click(".map-zoom-out")
        page.wait_for_function(f"(want) => Math.abs({ZOOM} - want) < 0.1", arg=before)
        icons = page.eval_on_selector_all(".map-zoom img", "imgs => imgs.map(i => [i.complete && i.naturalWidth > 0, i.src])")
        assert [ok for ok, _ in icons] == [True, True] and all("/static/icons/" in src for _, src in icons), icons
        assert violations == [], f"the Content-Security-Policy blocked part of the map: {violations}"
        browser.close()

"""The wall display in Chromium: a viewer's read-only kiosk at 1920x1080 and 3840x2160.

Screenshots go to ``test-artifacts/cockpit/wall-*.png``.
"""

from __future__ import annotations

from typing import Any

from cloud.cockpit.service import Cockpit
from tests.browser.test_cockpit_screen import (  # noqa: F401
    ARTIFACTS, CHROMIUM, FLAGS, csp_violations, playwright_sync, pytestmark, served,
)
from tests.cloud.cockpit.support import PASSWORDS, fire_alert


def _open_wall(browser: Any, url: str, width: int, height: int) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(30_000)
    violations = csp_violations(page)
    page.goto(f"{url}/wall")
    page.fill("#login-user", "vic")
    page.fill("#login-pass", PASSWORDS["vic"])
    page.click("#login-submit")
    playwright_sync.expect(page.locator("#login")).to_be_hidden()
    # A software GPU on a busy machine can take a minute to draw the first frame.
    playwright_sync.expect(page.locator("#map")).to_have_attribute("data-ready", "1", timeout=90_000)
    return context, page, violations


def test_the_wall_shows_alerts_first_the_map_and_totals(served: tuple[str, Cockpit]) -> None:  # noqa: F811
    url, cockpit = served
    expect = playwright_sync.expect
    fire_alert(cockpit, "wall-2", "line-0 busy: 240 crossings in 5 min", "warning", "line_flow")
    fire_alert(cockpit, "wall-1", "zone-0 over capacity: 12 of 5 people; send a steward", "critical", "zone_capacity")
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        for width, height in ((1920, 1080), (3840, 2160)):
            context, page, violations = _open_wall(browser, url, width, height)
            first = page.locator("#wall-alerts li").first
            expect(first).to_have_attribute("data-alert", "wall-1")  # critical before warning
            expect(page.locator("#wall-alerts li[data-alert='wall-2']")).to_be_visible()
            expect(page.locator("#wall-alerts button")).to_have_count(0)  # read-only: nothing to press
            expect(page.locator("#map-status")).to_have_text("4 of 4 cameras")
            expect(page.locator("#camera-counts [data-state='never_seen']")).to_have_text("1 never seen")
            expect(page.locator("#tile-people .tile-value")).not_to_have_text("–")
            # Readable from across a room: the alert text is at least 1/50 of the screen's height.
            size = float(page.eval_on_selector("#wall-alerts li .msg", "e => parseFloat(getComputedStyle(e).fontSize)"))
            assert size >= height / 50, f"alert text {size}px on a {height}px screen"
            # Everything fits: the wall never scrolls.
            assert page.evaluate("document.documentElement.scrollHeight") <= height
            page.screenshot(path=str(ARTIFACTS / f"wall-{width}x{height}.png"))
            assert violations == []
            context.close()
        browser.close()


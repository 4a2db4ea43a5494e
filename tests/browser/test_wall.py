"""The wall display in Chromium: a viewer's read-only kiosk at 1920x1080 and 3840x2160, a cockpit restart under it.

Screenshots go to ``test-artifacts/cockpit/wall-*.png``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx

from cloud.cockpit.cli import STOP_GRACE_S
from cloud.cockpit.service import Cockpit
from tests.browser.cockpit_process import CockpitProcess
from tests.browser.test_cockpit_screen import (  # noqa: F401
    ARTIFACTS, CHROMIUM, FLAGS, csp_violations, log_in, playwright_sync, pytestmark, served,
)
from tests.cloud.cockpit.support import PASSWORDS, fire_alert, fire_alert_in


def _open_wall(browser: Any, url: str, width: int, height: int, streams: list[str] | None = None) -> tuple[Any, Any, list[str]]:
    """A wall logged in as the viewer, its map drawn; ``streams`` collects each request for the live stream."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(30_000)
    violations = csp_violations(page)
    if streams is not None:
        page.on("request", lambda r: streams.append(r.url) if "/api/stream" in r.url else None)
    page.goto(f"{url}/wall")
    log_in(page, "vic", PASSWORDS["vic"])
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
            # Everything fits: the wall never scrolls, and the top bar's last item is on the screen.
            assert page.evaluate("document.documentElement.scrollHeight") <= height
            logout = page.locator("#logout").bounding_box()
            assert logout is not None and logout["x"] + logout["width"] <= width, logout
            page.screenshot(path=str(ARTIFACTS / f"wall-{width}x{height}.png"))
            assert violations == []
            context.close()
        browser.close()



def _wall_font(page: Any, selector: str) -> float:
    return float(page.eval_on_selector(selector, "e => parseFloat(getComputedStyle(e).fontSize)"))


def test_the_wall_rides_out_a_cockpit_restart_by_itself(tmp_path: Path) -> None:
    """The cockpit process is stopped under an open wall and started again on its port: the wall says so, then recovers."""
    expect = playwright_sync.expect
    cockpit = CockpitProcess(tmp_path)
    fire_alert_in(cockpit.lake, "wall-1", "zone-0 over capacity: 12 of 5 people; send a steward", "critical", "zone_capacity")
    with cockpit, playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        context, page, violations = _open_wall(browser, cockpit.url, 1920, 1080)
        loads: list[str] = []
        page.on("load", lambda: loads.append("load"))
        expect(page.locator("#wall-alerts li").first).to_have_attribute("data-alert", "wall-1")
        expect(page.locator("#wall-offline")).to_be_hidden()

        # Stopped for real, live streams open: it still exits within its grace, and the wall says so across the room.
        assert cockpit.stop() < STOP_GRACE_S + 10
        expect(page.locator("#wall-offline")).to_be_visible(timeout=15_000)
        expect(page.locator("#wall-offline")).to_contain_text("DISCONNECTED")
        expect(page.locator("#wall-offline-last")).to_have_text(re.compile(r"^Last data \d\d:\d\d:\d\d UTC, \d+ s ago$"))
        assert _wall_font(page, ".wall-offline-title") >= 1080 / 20
        assert _wall_font(page, "#wall-offline-last") >= 1080 / 40
        page.screenshot(path=str(ARTIFACTS / "wall-disconnected.png"))
        # Meanwhile a more urgent alert is raised.
        fire_alert_in(cockpit.lake, "wall-0", "line-0 blocked: no crossings for 10 min", "critical", "line_flow")

        # Started again on the same port: the session was kept, the banner goes, what changed meanwhile shows at once.
        cockpit.start()
        expect(page.locator("#wall-offline")).to_be_hidden(timeout=30_000)
        expect(page.locator("#login")).to_be_hidden()
        expect(page.locator("#mode-badge")).not_to_have_text("CONNECTION LOST")
        expect(page.locator("#wall-alerts li").first).to_have_attribute("data-alert", "wall-0", timeout=10_000)
        page.screenshot(path=str(ARTIFACTS / "wall-reconnected.png"))

        # A cockpit that comes back without the sessions it had: the wall shows the login, and why.
        cockpit.stop()
        (tmp_path / "sessions.json").unlink()
        cockpit.start()
        expect(page.locator("#login")).to_be_visible(timeout=30_000)
        expect(page.locator("#login-error")).to_have_text("Your session has ended; log in again.")
        expect(page.locator("#wall-offline")).to_be_hidden()
        assert loads == [], "the wall reloaded itself"
        assert violations == []
        context.close()
        browser.close()


def test_a_session_ended_under_the_wall_shows_the_login_and_why(served: tuple[str, Cockpit]) -> None:  # noqa: F811
    """The stream ends but the cockpit stays (the session was logged out): no reconnecting, the login and its reason."""
    url, _ = served
    expect = playwright_sync.expect
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        streams: list[str] = []
        context, page, violations = _open_wall(browser, url, 1920, 1080, streams)
        token = page.evaluate("sessionStorage.getItem('ct-token')")
        page.wait_for_function("() => document.querySelectorAll('#wall-alerts li').length > 0")
        page.wait_for_timeout(1000)  # the stream is asked for once the alerts are in
        assert len(streams) == 1, streams
        assert httpx.post(f"{url}/api/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        expect(page.locator("#login")).to_be_visible(timeout=10_000)
        # The stream's last event says so, or the wall's alert poll meets the 401 first: either way, the reason.
        expect(page.locator("#login-error")).to_have_text(re.compile(r"^(You were logged out|Your session has ended); log in again\.$"))
        expect(page.locator("#wall-offline")).to_be_hidden()
        page.wait_for_timeout(5000)  # two reconnect turns
        assert len(streams) == 1, f"the wall kept asking for a stream without a session: {streams}"
        page.screenshot(path=str(ARTIFACTS / "wall-session-ended.png"))
        assert violations == []
        context.close()
        browser.close()

"""The cockpit in Debian's headless Chromium: login, map, a live count change, history, SQL and its refusals.

Screenshots at 1920x1080 go to ``test-artifacts/cockpit/``.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from cloud.cockpit.app import create_app
from cloud.cockpit.service import Cockpit
from edge.events.factory import EventFactory
from tests.cloud.cockpit.support import NEVER_STARTED, PASSWORDS, SITE, cameras, fire_alert, make_cockpit, make_lake
from tests.support.counts import deliver
from tests.support.http import serving

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "cockpit"
# The map draws with WebGL: SwiftShader gives headless Chromium a software GPU (--disable-gpu would leave it blank).
FLAGS = ["--headless", "--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
         "--disable-background-networking", "--disable-component-update", "--no-first-run"]

playwright_sync = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (make browser-deps)"),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Cockpit]]:
    tmp = tmp_path_factory.mktemp("browser")
    cockpit = make_cockpit(make_lake(tmp / "lake"), tmp, extra=[NEVER_STARTED])
    fire_alert(cockpit, "cap-1", "zone-0 over capacity: 9 of 5 people; open the second gate", "critical", "zone_capacity")
    with serving(create_app(cockpit)) as url:
        yield url, cockpit
    cockpit.twin.close()


def log_in(page: Any, user: str, password: str) -> None:
    """Fill the login form of the page in view and send it."""
    page.fill("#login-user", user)
    page.fill("#login-pass", password)
    page.click("#login-submit")


def csp_violations(page: Any) -> list[str]:
    """Collects what the browser reports blocked by the Content-Security-Policy, from the console and the DOM event."""
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if "Content Security Policy" in m.text else None)
    page.expose_function("reportCspViolation", lambda text: found.append(str(text)))
    page.add_init_script("document.addEventListener('securitypolicyviolation', (e) => "
                         "window.reportCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`));")
    return found


@pytest.fixture(scope="module")
def browser_page(served: tuple[str, Cockpit]) -> Iterator[tuple[Any, list[str]]]:
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        pg = context.new_page()
        pg.set_default_timeout(15_000)
        violations = csp_violations(pg)
        yield pg, violations
        context.close()
        browser.close()


@pytest.fixture
def page(browser_page: tuple[Any, list[str]]) -> Iterator[Any]:
    """The shared page; every test using it fails if the browser blocked anything under the CSP meanwhile."""
    pg, violations = browser_page
    violations.clear()
    yield pg
    assert violations == [], f"the Content-Security-Policy blocked part of the screen: {violations}"


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def drawn_at(page: Any, lonlat: tuple[float, float]) -> tuple[float, float]:
    """Where on the page the map draws ``lonlat``: Web Mercator at the view the map publishes (512-pixel world at zoom 0)."""
    playwright_sync.expect(page.locator("#map")).to_have_attribute("data-ready", "1", timeout=90_000)
    view = json.loads(page.get_attribute("#map", "data-view"))
    world = 512 * 2 ** view["zoom"]

    def mercator(lon: float, lat: float) -> tuple[float, float]:
        y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
        return (lon + 180) / 360 * world, (1 - y / math.pi) / 2 * world

    (x, y), (cx, cy) = mercator(*lonlat), mercator(view["lon"], view["lat"])
    box = page.locator("#map").bounding_box()
    return box["x"] + x - cx + view["width"] / 2, box["y"] + y - cy + view["height"] / 2


def camera_at(camera: str) -> tuple[float, float]:
    spec = next(c for c in [*cameras(), NEVER_STARTED] if c.id == camera)
    return SITE.plan_to_lonlat(spec.map.x_m, spec.map.y_m)


def test_operator_screen_end_to_end(served: tuple[str, Cockpit], page: Any) -> None:
    url, cockpit = served
    expect = playwright_sync.expect
    page.goto(url)
    expect(page.locator("#login")).to_be_visible()
    shot(page, "01-login")
    log_in(page, "ada", "wrong password")
    expect(page.locator("#login-error")).to_contain_text("wrong user name or password")
    page.fill("#login-pass", PASSWORDS["ada"])
    page.click("#login-submit")
    expect(page.locator("#login")).to_be_hidden()

    # The map, the camera table and the header account for every configured camera, the never-started one too.
    expect(page.locator("#map-status")).to_have_text("4 of 4 cameras")
    for camera in ("cam-0", "cam-1", "cam-2", "cam-9"):
        expect(page.locator(f'#nodes [data-camera-row="{camera}"]')).to_be_visible()
    expect(page.locator('#nodes [data-camera-row="cam-9"]')).to_contain_text("never seen")
    # Each camera is drawn where the site plan puts it: a click there selects it.
    for camera in ("cam-9", "cam-2"):
        page.mouse.click(*drawn_at(page, camera_at(camera)))
        expect(page.locator("#drill-title")).to_have_text(f"camera: {camera}")
    # The state filters and the search box narrow the map.
    page.uncheck("#map-filters input[data-state='silent']")
    expect(page.locator("#map-status")).to_have_text("1 of 4 cameras")
    page.check("#map-filters input[data-state='silent']")
    page.fill("#map-search", "cam-1")
    expect(page.locator("#map-status")).to_have_text("1 of 4 cameras")
    page.fill("#map-search", "")
    expect(page.locator("#map-status")).to_have_text("4 of 4 cameras")
    expect(page.locator("#camera-counts [data-state='never_seen']")).to_have_text("1 never seen")
    expect(page.locator("#camera-counts [data-state='silent']")).to_have_text("3 silent")
    expect(page.locator("#alerts li[data-alert='cap-1']")).to_contain_text("over capacity")
    expect(page.locator("#tile-people")).to_have_class("tile stale-data")
    shot(page, "02-map-stale")

    # Events arrive (the live tail, as Kafka would feed it): the tiles and map follow within seconds.
    factory = EventFactory(site="city", camera="cam-0", node="city-cam-0", sequence=iter(range(10**6, 10**7)).__next__)
    now = datetime.now(timezone.utc)
    cockpit.twin.tail.add(factory.make("zone_occupancy", now, {"zone": "zone-0", "total": 9, "by_class": {"person": 7, "car": 2}}))
    for i in range(4):
        cockpit.twin.tail.add(factory.make("line_crossing", now, {"line": "line-0", "direction": "in", "object_class": "person", "track_id": i}))
    cockpit.twin.tail.add(factory.make("node_health", now, {"fps": 9.6, "stage_ms": {"detect": 38.0, "track": 2.0},
                                                             "frames": 100, "dropped_frames": 0, "cpu_percent": 71.0,
                                                             "rss_mb": 290.0, "uptime_s": 60.0, "clock_offset_ms": 1.5,
                                                             "clock_synced": False,
                                                             "scene": {"brightness": 21.0, "colour": 2.0, "contrast": 30.0,
                                                                       "sharpness": 0.4, "confidence": None,
                                                                       "confidence_baseline": None,
                                                                       "flags": ["dark", "infrared"], "reliable": False}}))
    # The node's count of the last minute: trips between lines and zones, and a queue in zone-0.
    line_in, zone1 = {"kind": "line", "id": "line-0", "direction": "in"}, {"kind": "zone", "id": "zone-1"}
    deliver(cockpit.twin, "cam-0", 2 * 10**7, now, {
        "interval_start": now - timedelta(minutes=1), "interval_s": 60.0, "by_class": {"person": 7, "car": 2},
        "turns": [{"origin": line_in, "destination": zone1, "object_class": "person", "trips": 6},
                  {"origin": {"kind": "zone", "id": "zone-0"}, "destination": {"kind": "line", "id": "line-1", "direction": "out"},
                   "object_class": "car", "trips": 2}],
        "queues": [{"zone": "zone-0", "mean": 2.5, "peak": 4}],
        "speeds": [{"line": "line-0", "direction": "in", "object_class": "person", "samples": 6, "mean_kmh": 4.6, "p85_kmh": 5.4}],
        "heatmap": {"cell_m": 5.0, "origin": {"lon": 4.3725, "lat": 51.9995},
                    "cells": [{"east": e, "north": n, "objects": (e + 2) * (n + 2)} for e in range(-1, 3) for n in range(-1, 2)]}})
    expect(page.locator("#tile-people .tile-value")).to_have_text("7", timeout=10_000)
    expect(page.locator("#tile-people")).to_have_class("tile")
    expect(page.locator("#tile-flow .tile-value")).to_have_text("4")
    expect(page.locator("#tile-over .tile-value")).to_have_text("1")
    # Reporting, but from a dark, grey picture: its counts are unreliable, and the header says so.
    expect(page.locator('#nodes [data-camera-row="cam-0"]')).to_contain_text("unreliable")
    expect(page.locator("#camera-counts [data-state='unreliable']")).to_have_text("1 unreliable")
    expect(page.locator("#nodes")).to_contain_text("+1.5 ms unsynced")  # the node's clock, as its kernel reports it
    expect(page.locator("#nodes")).to_contain_text("dark, infrared")  # the node's judgement of its picture
    expect(page.locator("#mode-badge")).to_have_text("LIVE")
    shot(page, "03-live")

    # Acknowledge the alert, then call it a false alarm: the rule's false-alarm count shows for tuning.
    page.click("#alerts li[data-alert='cap-1'] button[data-action='ack']")
    expect(page.locator("#alerts li[data-alert='cap-1']")).to_contain_text("ack ada")
    page.click("#alerts li[data-alert='cap-1'] button[data-action='false-alarm']")
    expect(page.locator("#alerts li[data-alert='cap-1']")).to_contain_text("false alarm · ada")
    expect(page.locator("#alert-feedback")).to_have_text("False alarms: zone_capacity 1/1")
    shot(page, "03b-false-alarm")

    # Drill into a camera: the history chart follows it.
    page.mouse.click(*drawn_at(page, camera_at("cam-1")))
    expect(page.locator("#drill-title")).to_have_text("camera: cam-1")
    expect(page.locator("#flows")).to_contain_text("No trips between lines and zones.")
    expect(page.locator("#flows")).to_contain_text("No heatmap")
    page.mouse.click(*drawn_at(page, camera_at("cam-0")))
    expect(page.locator("#drill-title")).to_have_text("camera: cam-0")
    expect(page.locator("#drill-body")).to_contain_text("zone zone-0")
    expect(page.locator("#drill-body")).to_contain_text("9 objects")
    # Its flows: the top turns and the queue now and at its peak, beside the drill-down.
    flows = page.locator("#flows")
    expect(flows).to_be_visible()
    expect(flows.locator("tr[data-turn]").first).to_have_text("line-0 in → zone-1person6")
    expect(flows.locator("tr[data-turn]").nth(1)).to_have_text("zone-0 → line-1 outcar2")
    expect(flows.locator('tr[data-queue="zone-0"]')).to_contain_text("now 2.5 · peak 4")
    expect(flows.locator('tr[data-speed="line-0 in person"]')).to_contain_text("4.6 km/h · p85 5.4")
    expect(flows.locator("#heatmap rect.heat-cell")).to_have_count(12)
    expect(page.locator("#flows-meta")).to_have_text("cam-0 · 8 trips / 15 min")
    shot(page, "03c-selected")
    page.select_option("#bucket", "1 hour")
    expect(page.locator("#hist-title")).to_contain_text("crossings per 1 hour · cam-0")
    expect(page.locator("#chart rect.bar-in").first).to_be_attached()
    shot(page, "04-history")
    # What the chart shows, as a file: the same rows, named for the camera, and recorded in the audit log.
    with page.expect_download() as saved:
        page.click("#hist-csv")
    file = saved.value
    assert file.suggested_filename.startswith("history_cam-0_") and file.suggested_filename.endswith(".csv")
    lines = Path(file.path()).read_text().splitlines()
    assert lines[0] == "bucket_start,inbound,outbound,camera,line" and len(lines) > 1
    assert all(line.endswith(",cam-0,") for line in lines[1:])

    # The scrubber shows the twin at a past instant.
    page.eval_on_selector("#scrub", "s => { s.value = Number(s.min) + 12 * 60; s.dispatchEvent(new Event('input')); }")
    expect(page.locator("#mode-badge")).to_contain_text("HISTORY")
    expect(page.locator("#back-live")).to_be_visible()
    shot(page, "05-scrubbed")
    page.click("#back-live")
    expect(page.locator("#mode-badge")).to_have_text("LIVE")

    # The SQL console runs queries and refuses the dangerous ones with a clear message.
    page.click(".tab[data-tab='sql']")
    page.click("#sql-run")
    expect(page.locator("#sql-meta")).to_contain_text("rows")
    expect(page.locator("#sql-result tbody tr").first).to_be_visible()
    shot(page, "06-sql")
    page.fill("#sql", "COPY (SELECT * FROM events) TO '/tmp/leak.csv'")
    page.click("#sql-run")
    expect(page.locator("#sql-error")).to_contain_text("query_refused: COPY statements are not allowed")
    page.fill("#sql", "SELECT * FROM read_csv('/etc/passwd')")
    page.click("#sql-run")
    expect(page.locator("#sql-error")).to_contain_text("query_refused")
    shot(page, "07-sql-refused")
    assert not Path("/tmp/leak.csv").exists()

    page.click(".tab[data-tab='bench']")
    expect(page.locator("#bench-empty")).to_contain_text("No benchmark results yet")
    page.click(".tab[data-tab='audit']")
    expect(page.locator("#audit")).to_contain_text("sql.query")
    expect(page.locator("#audit")).to_contain_text("history.download")
    shot(page, "08-audit")

    # The residency panel: every dataset, where it lives, its retention and readers.
    page.click(".tab[data-tab='residency']")
    expect(page.locator("#residency-meta")).to_contain_text("did not answer", timeout=10_000)
    expect(page.locator("#residency")).to_contain_text("kafka:events")
    expect(page.locator("#residency tbody tr").first).to_contain_text("lake")
    expect(page.locator("#residency-exports")).to_contain_text("alerts:mqtt")
    shot(page, "09-residency")


def test_the_screen_asks_for_a_login_again_when_its_session_ends(served: tuple[str, Cockpit], page: Any) -> None:
    url, cockpit = served
    expect = playwright_sync.expect
    page.goto(url)
    page.evaluate("sessionStorage.clear()")
    page.goto(url)
    for ended in ("on the server", "by the operator"):
        log_in(page, "vic", PASSWORDS["vic"])
        expect(page.locator("#login")).to_be_hidden()
        expect(page.locator("#map-status")).to_have_text("4 of 4 cameras")
        token = page.evaluate("sessionStorage.getItem('ct-token')")
        if ended == "on the server":
            # The server drops the session (expiry, or a logout in another tab); only the open stream tells the screen.
            cockpit.sessions.close(token)
            expect(page.locator("#login")).to_be_visible(timeout=3_000)
            expect(page.locator("#login-error")).to_contain_text("log in again")
            shot(page, "10-session-ended")
        else:
            page.click("#logout")
            expect(page.locator("#login")).to_be_visible()
            expect(page.locator("#login-error")).to_have_text("")
        assert page.evaluate("sessionStorage.getItem('ct-token')") is None
        assert cockpit.sessions.get(token) is None

"""In Chromium, the screens in use add nothing to the global scope and log no error.

The baseline is a page of the same origin with no script (a JSON answer), so
the browser's own globals, and what the test harness adds, cancel out.
Globals are both the properties of ``window`` and the top-level ``let``,
``const`` and ``class`` names (which are not properties of ``window``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cloud.cockpit.service import Cockpit
from tests.browser.test_cockpit_screen import (  # noqa: F401
    CHROMIUM, FLAGS, camera_at, csp_violations, drawn_at, log_in, playwright_sync, pytestmark, served,
)
from tests.cloud.cockpit.support import PASSWORDS
from tests.cloud.federation.support import CITIES, idle_region_app
from tests.support.http import serving

Scope = Callable[[], set[str]]


@pytest.fixture
def browser() -> Iterator[Any]:
    with playwright_sync.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


def watched(browser: Any) -> tuple[Any, Scope, list[str]]:
    """A page, what its global scope holds now, and every error it logs or the CSP blocks from here on."""
    page = browser.new_context(viewport={"width": 1600, "height": 900}).new_page()
    page.set_default_timeout(15_000)
    problems = csp_violations(page)
    page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
    # The browser asks every origin for a favicon; the screens have none, and that 404 is no error of theirs.
    page.on("console", lambda m: problems.append(f"console.{m.type}: {m.text}")
            if m.type in ("error", "warning") and not m.location.get("url", "").endswith("/favicon.ico") else None)
    cdp = page.context.new_cdp_session(page)

    def scope() -> set[str]:
        lexical = cdp.send("Runtime.globalLexicalScopeNames")["names"]
        return set(page.evaluate("Object.getOwnPropertyNames(window)")) | {f"let/const {n}" for n in lexical}

    return page, scope, problems


def test_the_cockpit_adds_no_global(served: tuple[str, Cockpit], browser: Any) -> None:  # noqa: F811
    url, _ = served
    expect = playwright_sync.expect
    page, scope, problems = watched(browser)
    page.goto(f"{url}/api/health")
    before = scope()
    page.goto(url)
    log_in(page, "ada", PASSWORDS["ada"])
    expect(page.locator("#map-status")).to_have_text("4 of 4 cameras")
    page.mouse.click(*drawn_at(page, camera_at("cam-1")))
    expect(page.locator("#hist-title")).to_contain_text("cam-1")
    page.click(".tab[data-tab='sql']")
    page.click("#sql-run")
    expect(page.locator("#sql-result tbody tr").first).to_be_visible()
    for tab, filled in (("bench", "#bench-empty"), ("audit", "#audit"), ("residency", "#residency")):
        page.click(f".tab[data-tab='{tab}']")
        expect(page.locator(filled)).not_to_be_empty()
    page.click("#logout")
    expect(page.locator("#login")).to_be_visible()
    assert sorted(scope() - before) == []
    assert problems == []


def test_the_regional_screen_adds_no_global(tmp_path: Path, browser: Any) -> None:
    with idle_region_app(tmp_path / "region-lake") as app, serving(app) as url:
        page, scope, problems = watched(browser)
        page.goto(f"{url}/api/region")
        before = scope()
        page.goto(f"{url}/")
        for city in CITIES:
            playwright_sync.expect(page.locator(f'#cities tr[data-city="{city}"]')).to_contain_text(city.title())
        assert sorted(scope() - before) == []
        assert problems == []

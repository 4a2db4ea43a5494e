"""``citytwin federate`` from two cities and ``citytwin region`` as real processes, then the regional screen in Chromium."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from cloud.federation.region_config import load as load_region
from cloud.federation.regional import RegionalTwin
from cloud.twin.synth import CityShape, generate
from tests.browser.test_cockpit_screen import CHROMIUM, FLAGS, csp_violations
from tests.cloud.federation.support import CITIES, federation_doc, key_environ, region_doc
from tests.support.brokers import KafkaBroker
from tests.support.http import serving

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "region"
EVENTS = {"ghent": 4500, "bruges": 3000}


def citytwin(*args: str) -> subprocess.CompletedProcess[str]:
    # Each city holds its own key and the region holds all of them; one environment serves both here.
    return subprocess.run([sys.executable, "-m", "citytwin.cli", *args], capture_output=True, text=True, timeout=180,
                          env={**os.environ, **key_environ()})


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory, kafka_broker: KafkaBroker) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("region")
    topic = f"region-{int(time.time() * 1000)}"
    start = (datetime.now(timezone.utc) - timedelta(hours=30)).replace(minute=0, second=0, microsecond=0)
    for city in CITIES:
        lake = tmp / city / "lake"
        generate(lake, CityShape(site=city, cameras=2, days=1, events=EVENTS[city], start=start))
        doc = {"site": {"id": city, "name": city.title(), "width_m": 10, "height_m": 10}, "lake": {"path": str(lake)},
               "kafka": {"bootstrap": kafka_broker.bootstrap},
               "federation": federation_doc(kafka_broker.bootstrap, topic, city)}
        (tmp / f"{city}.yaml").write_text(yaml.safe_dump(doc))
    (tmp / "region.yaml").write_text(yaml.safe_dump(region_doc(kafka_broker.bootstrap, topic, tmp / "region-lake")))
    yield tmp


def test_cities_federate_and_the_region_receives(region: Path) -> None:
    first = citytwin("region", "--config", str(region / "region.yaml"), "--once")  # the region owns and creates its topic
    assert first.returncode == 0, first.stderr
    for city in CITIES:
        done = citytwin("federate", "--config", str(region / f"{city}.yaml"), "--once")
        assert done.returncode == 0, done.stderr
        assert "cells of" in done.stdout and "suppressed" in done.stdout
        audit = region / city / "audit" / "audit.jsonl"
        records = [json.loads(line) for line in audit.read_text().splitlines()]
        (record,) = [r for r in records if r["action"] == "federation.export"]
        assert record["details"]["city"] == city and record["actor"] == f"federate:{city}"
    cfg = load_region(region / "region.yaml")
    twin = RegionalTwin(cfg.lake.path)
    cities: set[str] = set()
    for _ in range(5):
        done = citytwin("region", "--config", str(region / "region.yaml"), "--once")
        assert done.returncode == 0, done.stderr
        twin.refresh()
        cities = {row[0] for row in twin.query("SELECT DISTINCT city FROM cells")}
        if cities == set(CITIES):
            break
    assert cities == set(CITIES)
    twin.close()


def test_nothing_leaves_a_city_without_a_federation_section(region: Path) -> None:
    doc = yaml.safe_load((region / "ghent.yaml").read_text())
    del doc["federation"]
    (region / "closed.yaml").write_text(yaml.safe_dump(doc))
    done = citytwin("federate", "--config", str(region / "closed.yaml"), "--once")
    assert done.returncode == 2 and "no federation section" in done.stderr


def test_the_regional_screen_shows_every_city_on_one_map(region: Path) -> None:
    from cloud.federation.screen import create_region_app

    playwright_sync = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (make browser-deps)")
    cfg = load_region(region / "region.yaml")
    twin = RegionalTwin(cfg.lake.path)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        with serving(create_region_app(cfg, twin)) as url, playwright_sync.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
            page: Any = browser.new_page(viewport={"width": 1600, "height": 900})
            violations = csp_violations(page)
            page.goto(f"{url}/")
            for city in CITIES:
                playwright_sync.expect(page.locator(f'#map g[data-city="{city}"]')).to_contain_text(f"{city.title()}: ")
                playwright_sync.expect(page.locator(f'#cities tr[data-city="{city}"]')).to_be_visible()
            playwright_sync.expect(page.locator("#title")).to_have_text("West Flanders")
            playwright_sync.expect(page.locator("#cities thead")).to_contain_text("Heatmap cells")
            page.screenshot(path=str(ARTIFACTS / "region-map.png"))
            browser.close()
        assert violations == [], f"the Content-Security-Policy blocked part of the regional screen: {violations}"
    finally:
        twin.close()

"""Cities, keys and regional deployment files for the federation tests.

``sign`` writes the signed-cell wire format out by hand (HMAC-SHA256 over
the cell's canonical JSON), independently of ``cloud.federation.signing``,
so the tests pin the format rather than echo the implementation.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from cloud.federation.region_config import RegionDeployment
from cloud.federation.regional import RegionalTwin
from cloud.federation.screen import create_region_app

CITIES = {"ghent": (51.05, 3.72), "bruges": (51.21, 3.22)}
# Test keys only: 64 hex characters each, like `openssl rand -hex 32`.
SECRETS = {city: hashlib.sha256(f"citytwin test key of {city}".encode()).hexdigest() for city in [*CITIES, "mallory"]}


def key_id(city: str) -> str:
    return f"{city}-test"


def key_env(city: str) -> str:
    return f"CITYTWIN_TEST_REGION_KEY_{city.upper()}"


def key_environ(cities: list[str] | None = None) -> dict[str, str]:
    """The environment variables holding the test keys of ``cities`` (default: all of them)."""
    return {key_env(c): SECRETS[c] for c in (cities or list(SECRETS))}


def sign(cell: dict[str, Any], kid: str, secret: str) -> bytes:
    """A signed envelope of ``cell`` (JSON-ready values) as record bytes."""
    canonical = json.dumps(cell, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()
    mac = hmac.new(secret.encode(), canonical, hashlib.sha256).hexdigest()
    return json.dumps({"cell": cell, "key_id": kid, "hmac_sha256": mac}).encode()


def signed_by(city: str, cell: dict[str, Any]) -> bytes:
    return sign(cell, key_id(city), SECRETS[city])


def cell(now: datetime | None = None, **changes: Any) -> dict[str, Any]:
    """A valid zone cell of ghent, exported ``now`` (default: now), as JSON-ready values; ``changes`` override fields."""
    now = now or datetime.now(timezone.utc)
    start = datetime.fromtimestamp(int(now.timestamp()) // 3600 * 3600 - 3600, timezone.utc)
    doc: dict[str, Any] = {"schema_version": 2, "city": "ghent", "camera": "cam-1", "kind": "zone", "subject": "plaza",
                           "direction": None, "bucket_start": start.isoformat(), "bucket_s": 3600, "value": 40, "k": 10,
                           "exported_at": now.isoformat()}
    doc.update(changes)
    return doc


def heat_cell(now: datetime | None = None, **changes: Any) -> dict[str, Any]:
    """A valid heatmap cell of ghent (schema version 3), like ``cell``; ``changes`` override fields."""
    doc = cell(now, schema_version=3, kind="heatmap", subject=None, cell_m=10.0, lat=51.050045, lon=3.720072)
    doc.update(changes)
    return doc


def region_doc(bootstrap: str, topic: str, lake: Path, cities: list[str] | None = None, **region: Any) -> dict[str, Any]:
    """A regional deployment file for ``cities`` (default: ghent and bruges), each with its test key."""
    return {
        "region": {"id": "flanders", "name": "West Flanders", **region},
        "cities": [{"id": c, "name": c.title(), "lat": CITIES[c][0], "lon": CITIES[c][1],
                    "keys": [{"id": key_id(c), "env": key_env(c)}]} for c in (cities or list(CITIES))],
        "kafka": {"bootstrap": bootstrap, "topic": topic, "group": f"{topic}-region"},
        "lake": {"path": str(lake)},
    }


def federation_doc(bootstrap: str, topic: str, city: str, **changes: Any) -> dict[str, Any]:
    """A city's federation section that signs with its test key."""
    return {"bootstrap": bootstrap, "topic": topic, "bucket_s": 3600, "k": 10, "grace_s": 0, "lookback_buckets": 48,
            "key_env": key_env(city), "key_id": key_id(city), **changes}


@contextlib.contextmanager
def idle_region_app(lake: Path) -> Iterator[FastAPI]:
    """The regional screen's app over an empty regional lake at ``lake``, with no Kafka behind it."""
    cfg = RegionDeployment.model_validate(region_doc("127.0.0.1:1", "region", lake))
    twin = RegionalTwin(cfg.lake.path)
    try:
        yield create_region_app(cfg, twin)
    finally:
        twin.close()

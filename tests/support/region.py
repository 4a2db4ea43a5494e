"""One signed count cell through a regional sink, for the tests of the federation link over each kind of Kafka security."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cloud.federation.region_config import RegionDeployment, keyring
from cloud.federation.regional import RegionalSink
from tests.cloud.federation.support import cell, key_environ, region_doc, signed_by


def region_sink(bootstrap: str, topic: str, lake: Path, **kafka: Any) -> RegionalSink:
    """A regional sink for ghent's test key that creates ``topic``; ``kafka`` adds settings such as tls or sasl."""
    doc = region_doc(bootstrap, topic, lake, ["ghent"])
    doc["kafka"].update(kafka)
    cfg = RegionDeployment.model_validate(doc)
    return RegionalSink(cfg, keyring(cfg, key_environ()))


def signed_cell(value: int = 40) -> tuple[bytes, bytes]:
    """Key and value of one valid cell of ghent, signed with its test key, as a city sends it."""
    doc = cell(value=value)
    key = f"ghent|{doc['camera']}|{doc['kind']}|{doc['subject']}|{doc['bucket_start']}"
    return key.encode(), signed_by("ghent", doc)


def drain(sink: RegionalSink, polls: int = 20) -> int:
    """Poll ``sink`` until it writes something (or ``polls`` half-second polls pass), close it; the cells written."""
    written = 0
    for _ in range(polls):
        written += sink.step(500)
        if written:
            break
    sink.close()
    return written

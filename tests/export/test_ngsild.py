"""NGSI-LD: every entity matches its official Smart Data Model, and the batch upsert speaks the protocol.

No NGSI-LD context broker is published to any package registry this project
can install from (Orion-LD, Scorpio and Stellio ship as Docker images or
source only), so the upsert client is tested against a local HTTP server for
the protocol details, and the payloads against the vendored schemas.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cloud.audit.chain import AuditLog
from cloud.export.aggregates import read
from cloud.export.base import ExportFailed
from cloud.export.ngsild.exporter import NgsiLdExporter
from cloud.export.ngsild.schemas import MODELS, problems
from cloud.export.ngsild.settings import NgsiLdConfig
from cloud.export.registry import build_exporter
from cloud.export.run import export, window
from tests.export.local_server import Reply, Request, serving
from tests.export.support import K, NOW, START, cameras, exporter_doc, lake_twin, site


def exporter(url: str, environ: dict[str, str] | None = None, **more: Any) -> tuple[NgsiLdExporter, Any]:
    spec = site()
    config = NgsiLdConfig.model_validate(exporter_doc("ngsild", url, **more))
    built = build_exporter("fiware", config, spec, cameras(), environ or {})
    assert isinstance(built, NgsiLdExporter)
    return built, spec


def test_every_entity_of_a_day_matches_its_smart_data_model(tmp_path: Path) -> None:
    built, spec = exporter("http://broker:1026")
    twin = lake_twin(tmp_path, spec)
    span = window(built.config, NOW, START)
    aggregates = read(twin, span.start, span.ends, built.config.classes, K, built.config.health_bucket())
    entities = [e for batch in built.entities(aggregates).values() for e in batch]
    kinds = {e["type"] for e in entities}
    assert kinds == set(MODELS)
    assert all(problems(e) == [] for e in entities)
    flows = [e for e in entities if e["type"] == "ItemFlowObserved"]
    assert {e["itemType"]["value"] for e in flows} == {"people", "vehicle"}  # person and car
    assert all(e["intensity"]["value"] >= K and "observedAt" in e["intensity"] for e in flows)
    assert len(flows) == len(aggregates.crossings)
    twin.close()


@pytest.mark.parametrize(("change", "said"), [
    (lambda e: e.pop("laneId"), "'laneId' is a required property"),
    (lambda e: e["itemType"].update(value="yatching"), "is not one of"),
    (lambda e: e["dateObserved"]["value"].update({"@value": "yesterday"}), "is not a 'date-time'"),
    (lambda e: e["location"]["value"].update(coordinates=["east", 53.5]), "location"),
])
def test_the_schemas_refuse_a_broken_entity(tmp_path: Path, change: Any, said: str) -> None:
    built, spec = exporter("http://broker:1026")
    twin = lake_twin(tmp_path, spec, events=600)
    span = window(built.config, NOW, START)
    aggregates = read(twin, span.start, span.ends, built.config.classes, 1)
    entity = next(e for batch in built.entities(aggregates).values() for e in batch if e["type"] == "ItemFlowObserved")
    change(entity)
    assert any(said in p for p in problems(entity)), problems(entity)
    twin.close()


def test_the_upsert_uses_options_update_ld_json_the_tenant_and_the_token(tmp_path: Path) -> None:
    def answer(request: Request) -> Reply:
        ids = [e["id"] for e in json.loads(request.body)]
        return Reply(201, json.dumps(ids).encode()) if len(seen) == 1 else Reply(204)

    with serving(answer) as (url, seen):
        built, spec = exporter(url, {"BROKER_TOKEN": "t0ken"}, tenant="hamburg", token_env="BROKER_TOKEN")
        twin = lake_twin(tmp_path, spec, events=600)
        outcome = export(built, twin, AuditLog(tmp_path / "audit.jsonl"), NOW, START)
    assert seen and outcome.entities == sum(len(json.loads(r.body)) for r in seen)
    for request in seen:
        assert (request.method, request.path) == ("POST", "/ngsi-ld/v1/entityOperations/upsert?options=update")
        assert request.headers["content-type"] == "application/ld+json"
        assert request.headers["ngsild-tenant"] == "hamburg"
        assert request.headers["authorization"] == "Bearer t0ken"
        body = json.loads(request.body)
        assert len({e["id"] for e in body}) == len(body)  # an entity at most once per request
        assert all(e["@context"] == built.config.model_dump(mode="json")["context"] for e in body)
    observed = [json.loads(r.body)[0].get("intensity", {}).get("observedAt") for r in seen]
    assert [o for o in observed if o] == sorted(o for o in observed if o)  # buckets in time order, so history builds up
    twin.close()


def test_entities_the_broker_refuses_fail_the_export(tmp_path: Path) -> None:
    refusal = {"success": [], "errors": [{"entityId": "urn:x", "error": {"type": "BadRequestData", "title": "nope"}}]}
    with serving(lambda _r: Reply(207, json.dumps(refusal).encode())) as (url, _seen):
        built, spec = exporter(url)
        twin = lake_twin(tmp_path, spec, events=300)
        with pytest.raises(ExportFailed, match="the broker refused 1 of"):
            export(built, twin, AuditLog(tmp_path / "audit.jsonl"), NOW, START)
    twin.close()

"""The NGSI-LD exporter: every entity checked against its Smart Data Model, then upserted bucket by bucket.

An entity appears once per bucket it has a value for; the buckets go in
time order, one or more requests each, so that every request names an
entity once and the broker records each bucket's value at its
``observedAt``. A payload that its schema refuses is a bug: nothing is sent.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from typing import Any

import httpx

from cloud.export.aggregates import Aggregates
from cloud.export.base import Exporter, ExportFailed, Outcome, Window
from cloud.export.http import JsonClient, secret
from cloud.export.ngsild.client import headers, upsert
from cloud.export.ngsild.entities import Builder
from cloud.export.ngsild.schemas import problems
from cloud.export.ngsild.settings import NgsiLdConfig
from contract.site import node_id

log = logging.getLogger(__name__)


class NgsiLdExporter(Exporter[NgsiLdConfig]):
    """Writes ItemFlowObserved, Device and DeviceMeasurement entities to an NGSI-LD context broker."""

    def client(self, transport: httpx.BaseTransport | None = None) -> JsonClient:
        cfg = self.config
        token = secret(self.environ, cfg.token_env, f"cloud.exporters.{self.name}.token_env")
        return JsonClient(self.name, str(cfg.url), cfg.timeout_s, cfg.max_response_mb, deadline_s=cfg.deadline_s,
                          headers=headers(cfg.tenant, token), transport=transport)

    def entities(self, aggregates: Aggregates) -> dict[datetime, list[dict[str, Any]]]:
        """Every entity to send, by the bucket it describes, each checked against its schema."""
        # The deployment's cameras may name their node; a bare CameraSpec has the default one.
        nodes = {c.id: node_id(self.site.id, c.id, getattr(c, "node", None)) for c in self.cameras}
        build = Builder(self.site, self.cameras, self.config, nodes)
        by_bucket: dict[datetime, list[dict[str, Any]]] = defaultdict(list)
        for c in aggregates.crossings:
            by_bucket[c.start].append(build.flow(c) or {})
        for p in aggregates.peaks:
            by_bucket[p.start].append(build.zone(p) or {})
        for h in aggregates.health:
            by_bucket[h.start] += [build.device(h) or {}, *build.measurements(h)]
        for bucket, entities in by_bucket.items():
            entities[:] = [e for e in entities if e]
            for entity in entities:
                found = problems(entity)
                if found:
                    raise ExportFailed(f"exporter {self.name}: {entity['id']} does not match the Smart Data Model "
                                       f"{entity['type']}: {'; '.join(found[:3])}; nothing was sent")
        return dict(sorted(by_bucket.items()))

    def export(self, aggregates: Aggregates, window: Window) -> Outcome:
        batches = self.entities(aggregates)
        client = self.client()
        sent = created = 0
        try:
            for entities in batches.values():
                for first in range(0, len(entities), self.config.batch_size):
                    chunk = _once_each(entities[first:first + self.config.batch_size])
                    created += upsert(client, chunk)
                    sent += len(chunk)
        finally:
            client.close()
        log.info("ngsild %s: %d entity updates sent in %d buckets", self.name, sent, len(batches))
        return Outcome(created=created, present=sent - created, entities=sent, details={"buckets": len(batches)})


def _once_each(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entities with each id once (the last wins): a batch may not name an entity twice."""
    return list({e["id"]: e for e in entities}.values())

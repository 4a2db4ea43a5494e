"""The SensorThings exporter: entities in step with the deployment, then the missing Observations in bulk."""

from __future__ import annotations

import logging

import httpx

from cloud.export.aggregates import Aggregates
from cloud.export.base import Exporter, Outcome, Window
from cloud.export.http import JsonClient, secret
from cloud.export.sensorthings.observations import Row, correct, interval, present, push, start_of
from cloud.export.sensorthings.settings import SensorThingsConfig
from cloud.export.sensorthings.sync import sync

log = logging.getLogger(__name__)


class SensorThingsExporter(Exporter[SensorThingsConfig]):
    """Writes crossings and zone peaks to an OGC SensorThings API 1.1 server (FROST-Server)."""

    def client(self, transport: httpx.BaseTransport | None = None) -> JsonClient:
        cfg = self.config
        password = secret(self.environ, cfg.password_env, f"cloud.exporters.{self.name}.password_env")
        auth = httpx.BasicAuth(cfg.username, password or "") if cfg.username else None
        return JsonClient(self.name, str(cfg.url), cfg.timeout_s, cfg.max_response_mb, deadline_s=cfg.deadline_s, auth=auth,
                          transport=transport)

    def export(self, aggregates: Aggregates, window: Window) -> Outcome:
        client = self.client()
        try:
            return self._export(client, aggregates, window)
        finally:
            client.close()

    def _export(self, client: JsonClient, aggregates: Aggregates, window: Window) -> Outcome:
        synced = sync(client, self.site, self.cameras, self.config)
        site = self.site.id
        wanted: list[Row] = []
        for c in aggregates.crossings:
            stream = synced.datastreams.get(f"{site}/{c.key}")
            if stream is not None:  # a line no longer configured: its counts have no Datastream to go to
                wanted.append((stream, *interval(c.start, c.bucket_s), c.count))
        for p in aggregates.peaks:
            stream = synced.datastreams.get(f"{site}/{p.key}")
            if stream is not None:
                wanted.append((stream, *interval(p.start, p.bucket_s), p.peak))
        have = present(client, synced.things.values(), window.start)
        todo = [row for row in wanted if (row[0], start_of(row[1])) not in have]
        corrected = correct(client, have, wanted, self.config.k)
        created = push(client, todo, self.config.batch_size) if todo else 0
        log.info("sensorthings %s: %d observations created, %d already there (%d corrected)", self.name, created,
                 len(wanted) - len(todo), corrected)
        return Outcome(created=created, present=len(wanted) - len(todo), entities=synced.created,
                       details={"datastreams": len(synced.datastreams), "entities_updated": synced.patched,
                                "corrected": corrected})


"""NGSI-LD batch upsert with ``options=update``: attributes are updated in place, so the broker keeps their history.

Without ``options=update`` an upsert replaces the whole entity and the
temporal history of its attributes is lost. Entities are sent as
``application/ld+json`` with their ``@context`` in the body. The broker
answers 201 (some created), 204 (all updated), or 207 with the entities it
refused; anything but 201/204 fails the export, naming the first refusals.
"""

from __future__ import annotations

import logging
from typing import Any

from cloud.export.base import ExportFailed
from cloud.export.http import JsonClient

log = logging.getLogger(__name__)

UPSERT = "ngsi-ld/v1/entityOperations/upsert"
LD_JSON = "application/ld+json"


def headers(tenant: str | None, token: str | None) -> dict[str, str]:
    """The request headers: JSON answers, the tenant and the bearer token when configured."""
    found = {"Accept": "application/json"}
    if tenant:
        found["NGSILD-Tenant"] = tenant
    if token:
        found["Authorization"] = f"Bearer {token}"
    return found


def upsert(client: JsonClient, entities: list[dict[str, Any]]) -> int:
    """Upsert ``entities`` (each id once) in one request; returns how many the broker reports created."""
    answer = client.call("POST", UPSERT, body=entities, params={"options": "update"}, ok=(201, 204, 207),
                         content_type=LD_JSON)
    if answer.status == 207:
        errors = answer.body.get("errors", []) if isinstance(answer.body, dict) else []
        raise ExportFailed(f"exporter {client.name}: the broker refused {len(errors)} of {len(entities)} entities: "
                           f"{str(errors[:3])[:300]}")
    return len(answer.body) if answer.status == 201 and isinstance(answer.body, list) else 0


"""The residency panel's data: where every dataset lives, its retention, readers, and what leaves the city."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from cloud.cockpit.auth import current_user
from cloud.cockpit.errors import NotFound
from cloud.cockpit.routes_auth import cockpit_of
from cloud.cockpit.users import User
from cloud.residency.manifest import build
from cloud.residency.model import Manifest

router = APIRouter(prefix="/api", tags=["governance"])

# The panel must answer while Kafka is down; the manifest then says the brokers did not answer.
KAFKA_TIMEOUT_S = 2.0


@router.get("/residency", summary="The data-residency manifest: datasets, hosts, retention, readers and exports",
            response_model=Manifest)
def residency(request: Request, user: User = Depends(current_user)) -> Manifest:
    deployment = cockpit_of(request).deployment
    if deployment is None:
        raise NotFound("this cockpit was started without a validated deployment file, so it has no residency manifest")
    return build(deployment, kafka_timeout_s=KAFKA_TIMEOUT_S)

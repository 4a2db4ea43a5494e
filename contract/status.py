"""Retained node status on ``citytwin/{site}/{camera}/status``; also the last will."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contract.ids import Ident


class NodeStatus(BaseModel):
    """Whether a node is connected; the broker publishes ``offline`` as its last will."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    site: Ident
    camera: Ident
    node: Ident
    status: Literal["online", "offline"]
    since: AwareDatetime = Field(description="when the node connected (for offline: the connection that ended)")

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()

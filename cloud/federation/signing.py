"""Signed count cells: each city signs every cell it sends, so the region knows who sent it.

A record on the regional topic is an envelope, whatever carries it:

```json
{"cell": {...the count cell...}, "key_id": "ghent-2026", "hmac_sha256": "<64 hex digits>"}
```

``hmac_sha256`` is HMAC-SHA256, under the key named by ``key_id``, of the
cell's canonical JSON: keys sorted, no whitespace, ASCII only, no NaN. The
region re-canonicalises the cell it parsed, checks the HMAC against the key
it holds for ``key_id``, and only then reads the cell; the city is the one
that key belongs to, never the cell's own claim. Keys are shared secrets,
one per city (several during a rotation), taken from environment variables
that the configuration names, never from the files.

Example:
    >>> key = CellKey(id="ghent-1", city="ghent", secret=b"0123456789abcdef0123456789abcdef")
    >>> sealed = seal({"city": "ghent", "value": 12}, key)
    >>> envelope = SignedCell.model_validate_json(sealed)
    >>> authentic(envelope, key)
    True
    >>> authentic(envelope.model_copy(update={"cell": {"city": "ghent", "value": 9000}}), key)
    False
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from citytwin.errors import CitytwinError
from contract.ids import Ident

# 32 characters is 128 bits or more of any reasonable generator's output (`openssl rand -hex 32` gives 64).
MIN_KEY_CHARS = 32
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class SigningKeyError(CitytwinError, ValueError):
    """A signing key cannot be read; the message names the setting, the variable and what to do."""


@dataclass(frozen=True)
class CellKey:
    """One city's signing key: its id, the city it belongs to, and the secret (never logged or printed)."""

    id: str
    city: str
    secret: bytes = field(repr=False)


class SignedCell(BaseModel):
    """The envelope of one cell on the regional topic."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cell: dict[str, Any] = Field(title="Cell", description="the count cell, as signed")
    key_id: Ident = Field(title="Key id", description="which of the city's keys signed the cell")
    hmac_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", title="Signature", description="HMAC-SHA256 of the canonical cell, hex")


def canonical(cell: Mapping[str, Any]) -> bytes:
    """The bytes a cell is signed over: sorted keys, no whitespace, ASCII, and no NaN or infinity."""
    return json.dumps(cell, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def _mac(cell: Mapping[str, Any], key: CellKey) -> str:
    return hmac.new(key.secret, canonical(cell), hashlib.sha256).hexdigest()


def seal(cell: Mapping[str, Any], key: CellKey) -> bytes:
    """The envelope of ``cell`` (its JSON form) signed with ``key``, as record bytes."""
    envelope = {"cell": dict(cell), "key_id": key.id, "hmac_sha256": _mac(cell, key)}
    return json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def authentic(envelope: SignedCell, key: CellKey) -> bool:
    """Whether ``envelope`` was signed with ``key`` (in constant time); False for a cell that has no canonical form."""
    try:
        expected = _mac(envelope.cell, key)
    except (TypeError, ValueError):  # NaN or infinity, which no signer produces
        return False
    return hmac.compare_digest(expected, envelope.hmac_sha256)


def read_key(variable: str, key_id: str, city: str, setting: str, environ: Mapping[str, str] | None = None) -> CellKey:
    """The key in environment variable ``variable``; raises ``SigningKeyError`` naming ``setting`` when it is unset or short."""
    env = os.environ if environ is None else environ
    secret = env.get(variable)
    if secret is None:
        raise SigningKeyError(f"{setting} names the environment variable {variable}, which is not set; export it with the "
                        f"signing key of {city!r} (key id {key_id!r}), e.g. the output of `openssl rand -hex 32`")
    if len(secret.strip()) < MIN_KEY_CHARS:
        raise SigningKeyError(f"{setting}: the key in {variable} ({city!r}, key id {key_id!r}) is {len(secret.strip())} "
                        f"characters; use at least {MIN_KEY_CHARS}, e.g. the output of `openssl rand -hex 32`")
    return CellKey(id=key_id, city=city, secret=secret.strip().encode())

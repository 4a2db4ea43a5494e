"""The scene-quality report of a node's health event, read once, in the one shape the contract defines.

``node_health.scene`` is ``contract.bodies.SceneQuality`` (sent by
``edge.runtime.quality``) or null from nodes that do not judge their picture.
The node table (``live.nodes``) reads the newest report of each node here and
keeps the verdict; the camera states (``cameras.py``) take it from there. A
value of any other shape (a bare string, a list, an undeclared flag, a
``reliable`` that contradicts the flags) is not guessed at: its verdict is
``unknown``, which says neither that the counts are good nor that they are bad.

Example:
    >>> read(None).verdict, read('{"ok": false}').verdict
    ('not_judged', 'unknown')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from contract.bodies import SceneQuality

Verdict = Literal["not_judged", "reliable", "flagged", "unknown"]
VERDICTS: tuple[Verdict, ...] = ("not_judged", "reliable", "flagged", "unknown")


@dataclass(frozen=True)
class Scene:
    """What a node says of its picture: a verdict, and the contract's flags when it raised some."""

    verdict: Verdict
    flags: tuple[str, ...] = ()

    def fields(self) -> dict[str, Any]:
        """The node row's ``scene`` (the verdict) and ``scene_flags`` (None unless the report was read)."""
        read_ok = self.verdict in ("reliable", "flagged")
        return {"scene": self.verdict, "scene_flags": list(self.flags) if read_ok else None}


def read(raw: str | None) -> Scene:
    """The verdict of one ``scene`` value as the twin holds it (JSON text, or None where the field is absent)."""
    if raw is None or raw.strip() == "null":
        return Scene("not_judged")
    try:
        quality = SceneQuality.model_validate_json(raw)
    except ValidationError:
        return Scene("unknown")
    if quality.reliable == bool(quality.flags):  # the contract: reliable exactly when no flag is raised
        return Scene("unknown")
    return Scene("flagged", tuple(quality.flags)) if quality.flags else Scene("reliable")


def problems(node: Mapping[str, Any]) -> list[str]:
    """Why a node row's newest scene report makes its camera's counts unreliable; empty when it does not."""
    if node.get("scene") != "flagged":
        return []
    return [str(flag) for flag in node.get("scene_flags") or ()]

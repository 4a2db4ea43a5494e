"""Who may speak: the deployment's site and cameras, and the one node that speaks for each camera.

The topic names the site and camera; the broker's ACL (``citytwin mqtt-acl``)
lets a node's credentials publish only under its own camera's topics. The
bridge closes the chain: an event must come from a site and camera the
deployment lists, and name that camera's configured node, so that its
``event_id`` (``node:seq``, checked by the model) cannot be another node's.
Without that, camera A could publish ``node: B, event_id: B:7`` on its own
topic and the twin would take it for B's event 7.

Example:
    >>> sources = Sources("campus", {"cam-1": "campus-cam-1"})
    >>> sources.unknown("campus", "cam-9")
    "camera 'cam-9' is not one of site campus's cameras (cam-1); list it under cameras in the deployment file"
    >>> sources.impostor("cam-1", "campus-cam-2")
    "node 'campus-cam-2' may not speak for camera cam-1: its node is campus-cam-1"
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from citytwin.deployment import Deployment

# Names from a topic are the sender's words: quoted, and cut so that a reason stays a line.
_SHOWN = 64


def _quoted(text: str) -> str:
    return repr(text[:_SHOWN] + ("..." if len(text) > _SHOWN else ""))


@dataclass(frozen=True)
class Sources:
    """The site id and camera id -> node id of one deployment."""

    site: str
    nodes: Mapping[str, str]

    @classmethod
    def of(cls, cfg: Deployment) -> Sources:
        return cls(cfg.site.id, cfg.node_ids())

    def unknown(self, site: str, camera: str) -> str | None:
        """Why ``site``/``camera`` (from a topic) is not a source of this deployment; None if it is one."""
        if site != self.site:
            return (f"site {_quoted(site)} is not this deployment's site ({self.site}); a bridge takes events "
                    "of its own site only")
        if camera not in self.nodes:
            listed = ", ".join(sorted(self.nodes)) or "none"
            return (f"camera {_quoted(camera)} is not one of site {self.site}'s cameras ({listed}); list it under "
                    "cameras in the deployment file")
        return None

    def impostor(self, camera: str, node: str) -> str | None:
        """Why ``node`` may not speak for ``camera`` (a listed one); None if it is the camera's node."""
        wanted = self.nodes[camera]
        if node != wanted:
            return f"node {_quoted(node)} may not speak for camera {camera}: its node is {wanted}"
        return None

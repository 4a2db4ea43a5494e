"""Who can read a dataset: the cockpit roles whose permissions expose it, read from the permission table.

Data the cockpit never shows (Kafka's dead letters, edge spools, broker
queues) has no reader role: only the services and the hosts' administrators
reach it.
"""

from __future__ import annotations

from typing import Literal

from cloud.cockpit.users import PERMISSIONS

# "read": the screen, live counts, history and the SQL console; "audit": the audit log.
Exposure = Literal["read", "audit"] | None


def roles_with(permission: Exposure) -> list[str]:
    """The cockpit roles that hold ``permission``, sorted; none for ``None``.

    Example:
        >>> roles_with("audit")
        ['admin', 'auditor']
    """
    if permission is None:
        return []
    return sorted(role for role, granted in PERMISSIONS.items() if permission in granted)

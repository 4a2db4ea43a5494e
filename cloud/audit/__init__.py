"""The tamper-evident audit log: who read the twin, what changed, what was deleted."""

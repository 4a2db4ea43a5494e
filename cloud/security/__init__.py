"""Transport security: per-node MQTT credentials and topic ACLs."""

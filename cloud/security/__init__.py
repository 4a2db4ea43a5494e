"""Transport and web security: per-node MQTT credentials and topic ACLs, HTTP security headers for the screens."""

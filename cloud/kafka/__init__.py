"""Kafka plumbing shared by the bridge, the sink and the dead-letter tools: client settings and topics."""

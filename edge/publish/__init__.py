"""Publishing events off the node: MQTT, with an on-disk spool while offline."""

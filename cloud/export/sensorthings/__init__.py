"""The OGC SensorThings API exporter (tested against FROST-Server)."""

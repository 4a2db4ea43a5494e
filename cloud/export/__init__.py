"""Exporters: the twin's aggregates to standards-based platforms (OGC SensorThings, FIWARE NGSI-LD), one plugin each."""

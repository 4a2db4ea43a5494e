"""The FIWARE NGSI-LD exporter: Smart Data Models entities by batch upsert."""

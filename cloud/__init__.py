"""Cloud side: MQTT to Kafka bridge, Parquet sink, DuckDB twin, rules and cockpit."""

"""MQTT to Kafka bridge: validate, key by camera, dead-letter bad input, acknowledge MQTT after Kafka.

Data flow: ``consume`` (MQTT 5 subscription with late acknowledgements,
speaking the protocol through ``mqtt5``) -> ``validate`` (the event contract)
-> ``produce`` (idempotent ``acks=all`` Kafka producer) -> back to ``consume``
to acknowledge. ``service`` runs them in one loop; ``report`` is its
throughput and lag line.
"""

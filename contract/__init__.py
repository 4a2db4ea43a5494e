"""The event contract between edge nodes and the cloud: models, JSON Schema, fast decoder, topics and site plan.

It imports only pydantic, msgspec and the standard library, so every side can
depend on it and it on nothing of theirs. See ``README.md`` in this folder.
"""

"""Rollups: per-minute, hour and day summaries of the lake's deduplicated events, kept beside the raw files."""

"""Rollups: per-minute, 15-minute, hour and day summaries of the lake's deduplicated events, kept beside the raw files."""

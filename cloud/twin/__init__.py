"""The twin: DuckDB over the Parquet lake, with the site registry, live state and history.

``Twin`` is the Python API used by the cockpit and the rules::

    twin = Twin.open(lake_dir, site, cameras)
    twin.named("flow_per_line_per_hour", day="2026-01-01")
    twin.state_at(datetime(2026, 1, 1, 9, tzinfo=timezone.utc))
"""

from cloud.twin.twin import Twin

__all__ = ["Twin"]

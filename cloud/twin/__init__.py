"""The twin: DuckDB over the Parquet lake, with the site registry, live state and history.

``cloud.twin.twin.Twin`` is the Python API used by the cockpit and the rules.

Example (an empty lake answers with no rows):
    >>> import tempfile
    >>> from datetime import datetime, timezone
    >>> from pathlib import Path
    >>> from cloud.twin.twin import Twin
    >>> from contract.site import CameraSpec, SiteSpec
    >>> site = SiteSpec(id="campus", name="Campus", width_m=100, height_m=80)
    >>> twin = Twin(Path(tempfile.mkdtemp()) / "lake", site, [CameraSpec(id="cam-1", map={"x_m": 10, "y_m": 20})])
    >>> day = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> twin.named("flow_per_line_per_hour", t1=day, t2=day.replace(day=2)).rows
    []
    >>> twin.state_at(day.replace(hour=9)).zones
    {}
    >>> twin.close()
"""

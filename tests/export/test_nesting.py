"""k holds up under subtraction: no published count minus the finer published counts inside it leaves 1 to k-1."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from cloud.export.aggregates import read
from cloud.export.run import window
from cloud.export.sensorthings.settings import SensorThingsConfig
from cloud.twin.twin import Twin
from tests.export.support import NOW, START, add_crossings, cameras, exporter_doc, lake_twin, remainders, site

K = 10
QUARTER = timedelta(minutes=15)


def published(twin: Twin, k: int = K) -> dict[str, dict[int, int]]:
    """The crossing counts one export sends, by key and minutes after START."""
    config = SensorThingsConfig.model_validate(exporter_doc("sensorthings", "http://f/v1.1", k=k))
    span = window(config, NOW, START)
    found: dict[str, dict[int, int]] = {}
    for c in read(twin, span.start, span.ends, config.classes, k).crossings:
        found.setdefault(c.key, {})[int((c.start - START).total_seconds() // 60)] = c.count
    return found


def test_an_hour_minus_its_quarters_would_give_the_held_back_quarter_so_it_is_held_back(tmp_path: Path) -> None:
    spec = site()
    twin = Twin(tmp_path / "lake", spec, cameras())
    # line-0: quarters 12, 11, 10 and 2; the hour (35) less the three published ones is the 2 that k held back.
    for i, n in enumerate((12, 11, 10, 2)):
        add_crossings(twin, "cam-0", "line-0", START + i * QUARTER + timedelta(minutes=1), n)
    # cam-1's line-0: quarters 12, 4 and 7; the hour less the published quarter is 11, not below k: hour and day are sent.
    for i, n in enumerate((12, 4, 7)):
        add_crossings(twin, "cam-1", "line-0", START + i * QUARTER + timedelta(minutes=2), n)
    sent = published(twin)
    line0 = "cam-0/line/line-0/in/person"
    line1 = "cam-1/line/line-0/in/person"
    assert sent[f"{line0}/900"] == {0: 12, 15: 11, 30: 10}
    assert f"{line0}/3600" not in sent and f"{line0}/86400" not in sent  # the day would give the same 2 away
    assert sent[f"{line1}/900"] == {0: 12} and sent[f"{line1}/3600"] == {0: 23} and sent[f"{line1}/86400"] == {0: 23}
    twin.close()


def test_a_synthetic_day_publishes_no_remainder_below_k(tmp_path: Path) -> None:
    spec = site()
    twin = lake_twin(tmp_path, spec)
    sent = published(twin, k=5)
    cells = {key: {START + timedelta(minutes=m): n for m, n in by.items()} for key, by in sent.items()}
    left = remainders(cells)
    assert len(left) > 100 and all(n == 0 or n >= 5 for n in left.values()), sorted(left.values())[:10]
    twin.close()


@pytest.mark.parametrize("buckets", [[600, 900], [900, 3600, 7200, 10800], [1800, 2700]])
def test_bucket_lengths_that_overlap_without_nesting_are_refused(buckets: list[int]) -> None:
    with pytest.raises(ValidationError, match="each bucket must divide the next longer one"):
        SensorThingsConfig.model_validate(exporter_doc("sensorthings", "http://f/v1.1", buckets_s=buckets))


def test_a_class_that_stays_in_the_city_is_in_no_zone_peak(tmp_path: Path) -> None:
    import pyarrow as pa

    from cloud.twin.synth import SCHEMA, write_table

    spec = site()
    twin = Twin(tmp_path / "lake", spec, cameras())
    node, at = f"{spec.id}-cam-0", START + timedelta(minutes=3)
    bodies = ['{"zone":"zone-0","total":23,"by_class":{"person":20,"dog":3}}',
              '{"zone":"zone-0","total":40,"by_class":{"person":2,"car":1,"dog":37}}']
    table = pa.table({
        "event_id": [f"{node}:{s}" for s in (1, 2)], "site": [spec.id] * 2, "camera": ["cam-0"] * 2, "node": [node] * 2,
        "seq": [1, 2], "ts": pa.array([at, at + timedelta(minutes=1)], pa.timestamp("us", tz="UTC")),
        "type": ["zone_occupancy"] * 2, "body": bodies,
    }, schema=SCHEMA)
    write_table(twin.lake, at.replace(minute=0), table, name="zone.parquet")
    twin.refresh()
    config = SensorThingsConfig.model_validate(exporter_doc("sensorthings", "http://f/v1.1", k=1))  # person and car
    span = window(config, NOW, START)
    peaks = {(p.bucket_s, p.peak) for p in read(twin, span.start, span.ends, config.classes, 1).peaks}
    assert peaks == {(900, 20), (3600, 20), (86400, 20)}  # not 40: the dogs are not the exporter's to send
    twin.close()


def test_another_sites_events_in_the_lake_are_not_exported_as_this_sites(tmp_path: Path) -> None:
    spec, elsewhere = site(), site()
    twin = Twin(tmp_path / "lake", spec, cameras())
    other = Twin(tmp_path / "lake", elsewhere, cameras())
    add_crossings(twin, "cam-0", "line-0", START + timedelta(minutes=1), 12)
    add_crossings(other, "cam-0", "line-0", START + timedelta(minutes=2), 30)
    other.close()
    twin.refresh()
    assert published(twin)["cam-0/line/line-0/in/person/900"] == {0: 12}
    twin.close()

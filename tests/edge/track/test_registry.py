"""Tracker registry and config."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from edge.track.bytetrack import ByteTrack
from edge.track.registry import build_tracker, TRACKERS
from edge.track.settings import ByteTrackConfig
from edge.track.settings import TrackerConfig


def test_registry_builds_from_a_validated_mapping() -> None:
    config = TypeAdapter(TrackerConfig).validate_python({"type": "bytetrack", "max_age": 12})
    tracker = build_tracker(config)
    assert isinstance(tracker, ByteTrack) and tracker.config.max_age == 12


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"type": "sort"}, "does not match any of the expected tags"),
        ({"type": "bytetrack", "max_ages": 3}, "Extra inputs are not permitted"),
        ({"type": "bytetrack", "min_hits": 0}, "greater than or equal to 1"),
        ({"type": "bytetrack", "low_threshold": 0.6}, "expected low_threshold < high_threshold"),
        ({"type": "bytetrack", "new_track_threshold": 0.4}, "high_threshold <= new_track_threshold"),
    ],
)
def test_bad_configs_are_refused(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        TypeAdapter(TrackerConfig).validate_python(raw)


@pytest.mark.parametrize("config_class", [entry[0] for entry in TRACKERS.values()])
def test_every_field_is_documented(config_class: type[BaseModel]) -> None:
    for name, info in config_class.model_fields.items():
        assert info.title and info.description, name


def test_keys_match_config_types() -> None:
    assert all(cls.model_fields["type"].default == key for key, (cls, _) in TRACKERS.items())
    assert ByteTrackConfig().type == "bytetrack"

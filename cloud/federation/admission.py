"""What the region lets in: a cell signed by a known city's key, within the region's own limits.

The region trusts nothing a sender says about itself. A record is checked in
this order, and the first failure is the reason it goes to the regional
dead-letter topic (``error`` header; ``reason`` says what and what to do):

| error | the record |
| --- | --- |
| ``empty``, ``too_large`` | has no value, or more than ``MAX_RECORD_BYTES`` |
| ``invalid_json`` | is not JSON (or holds NaN, infinity, or nesting too deep) |
| ``unsigned`` | is not a signed envelope, e.g. a bare cell |
| ``invalid_envelope`` | is an envelope with missing, extra or malformed fields |
| ``unknown_key`` | is signed with a key id no city of the region holds |
| ``bad_signature`` | does not verify under the key its id names |
| ``schema`` | holds a signed cell that is not a valid ``CountCell`` |
| ``city_mismatch`` | holds a cell claiming another city than the key's |
| ``k_below_minimum`` | has a k below ``region.min_k`` (and since a cell's value is never below its k, |
| | no value below ``region.min_k`` gets in either) |
| ``out_of_range`` | has a value above ``region.max_value`` |
| ``cell_m`` | is a heatmap cell finer than ``region.min_cell_m`` (one finer than the contract's |
| | ``MIN_HEATMAP_CELL_M``, or off the globe, is already a ``schema`` error) |
| ``bucket_s``, ``bucket_start`` | has a bucket length the region does not accept, or a start not aligned to it |
| ``future`` | was exported, or has a bucket ending, after the region's clock plus ``region.clock_skew_s``, or |
| | has a bucket that had not ended when it was exported |
| ``stale`` | reached the region more than ``region.max_delay_s`` after it was exported (a replay) |
| ``too_old`` | is about a bucket older than ``region.max_bucket_age_days`` |

"The region's clock" is the time the region's Kafka appended the record
(see ``cloud.federation.regional``), so cells that waited in Kafka while the
region was down are judged by when they arrived, not when they were read.

Example:
    >>> from datetime import datetime, timezone
    >>> from cloud.federation.region_config import Region
    >>> try:
    ...     Admission(Region(id="r", name="R"), {}).admit(b'{"city": "ghent"}', datetime.now(timezone.utc))
    ... except Refused as refused:
    ...     print(refused.error)
    unsigned
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from pydantic import ValidationError
from pydantic_core import from_json

from citytwin.errors import CitytwinError
from cloud.federation.countcell import CountCell
from cloud.federation.region_config import Region
from cloud.federation.signing import CellKey, SignedCell, authentic, canonical
from contract.wire import describe_errors

log = logging.getLogger(__name__)

# A signed cell is well under 1 KiB; anything this big is not one, and is not parsed.
MAX_RECORD_BYTES = 16 * 1024
_SIGNED_BY = "hmac_sha256"


class Refused(CitytwinError):
    """A record the region does not take: ``error`` is the short code, ``reason`` is for people."""

    def __init__(self, error: str, reason: str) -> None:
        super().__init__(f"{error}: {reason}")
        self.error = error
        self.reason = reason


class Admission:
    """The region's checks for one record; ``admit`` returns the cell and the id of the key that signed it."""

    def __init__(self, region: Region, keys: Mapping[str, CellKey]) -> None:
        self.region = region
        self.keys = dict(keys)
        self.buckets = frozenset(region.bucket_s)

    def admit(self, raw: bytes | None, arrived_at: datetime) -> tuple[CountCell, str]:
        """The cell in ``raw`` and its key id, or ``Refused`` saying why not; ``arrived_at`` is the region's clock."""
        envelope = self._envelope(raw)
        key = self.keys.get(envelope.key_id)
        if key is None:
            raise Refused("unknown_key", f"signed with key id {envelope.key_id!r}, which no city of this region holds; "
                          "add the city's key to its keys in the region's configuration")
        if not authentic(envelope, key):
            raise Refused("bad_signature", f"the signature does not verify under key {key.id!r} of {key.city!r}: "
                          "the cell was altered, or signed with another key")
        try:
            cell = CountCell.model_validate_json(canonical(envelope.cell), strict=True)
        except ValidationError as exc:
            raise Refused("schema", f"signed by {key.city!r} but not a valid count cell: {describe_errors(exc)}") from None
        if cell.city != key.city:
            raise Refused("city_mismatch", f"claims city {cell.city!r} but is signed with key {key.id!r} of {key.city!r}")
        self._within_limits(cell, arrived_at)
        return cell, key.id

    def _envelope(self, raw: bytes | None) -> SignedCell:
        if not raw:
            raise Refused("empty", "the record has no value")
        if len(raw) > MAX_RECORD_BYTES:
            raise Refused("too_large", f"the record is {len(raw)} bytes; a signed cell is under {MAX_RECORD_BYTES}")
        try:
            parsed = from_json(raw, allow_inf_nan=False)
        except ValueError as exc:
            raise Refused("invalid_json", f"the record is not JSON: {exc}") from None
        if not isinstance(parsed, dict) or _SIGNED_BY not in parsed:
            raise Refused("unsigned", "the record is not a signed cell (no hmac_sha256); the region takes only cells "
                          "sent by `citytwin federate` with the city's key")
        try:
            return SignedCell.model_validate(parsed, strict=True)
        except ValidationError as exc:
            raise Refused("invalid_envelope", f"the signed envelope is malformed: {describe_errors(exc)}") from None

    def _within_limits(self, cell: CountCell, arrived_at: datetime) -> None:
        region = self.region
        if cell.k < region.min_k:
            raise Refused("k_below_minimum", f"{cell.city!r} suppressed with k={cell.k}, below this region's min_k="
                          f"{region.min_k}; the city must set federation.k to at least {region.min_k}")
        if cell.value > region.max_value:
            raise Refused("out_of_range", f"value {cell.value} is above this region's max_value={region.max_value}")
        if cell.cell_m is not None and cell.cell_m < region.min_cell_m:
            raise Refused("cell_m", f"a heatmap cell of {cell.cell_m:g} m is finer than this region's min_cell_m="
                          f"{region.min_cell_m:g} m; the city's cameras must use cells of at least that size")
        if cell.bucket_s not in self.buckets:
            raise Refused("bucket_s", f"bucket_s={cell.bucket_s} is not one this region accepts "
                          f"({', '.join(map(str, sorted(self.buckets)))}); see region.bucket_s")
        start = cell.bucket_start.timestamp()
        if start % cell.bucket_s:
            raise Refused("bucket_start", f"bucket_start {cell.bucket_start.isoformat()} is not a multiple of "
                          f"bucket_s={cell.bucket_s} seconds since the epoch")
        self._on_time(cell, start, arrived_at.timestamp())

    def _on_time(self, cell: CountCell, start: float, now: float) -> None:
        # Seconds since the epoch throughout: datetime arithmetic overflows near year 1 and year 9999.
        region = self.region
        exported, end = cell.exported_at.timestamp(), start + cell.bucket_s
        if exported > now + region.clock_skew_s or end > now + region.clock_skew_s:
            raise Refused("future", f"exported_at {cell.exported_at.isoformat()} or the end of bucket "
                          f"{cell.bucket_start.isoformat()} is more than clock_skew_s={region.clock_skew_s:.0f} s "
                          "after the region received it; check the city's clock")
        if end > exported:
            raise Refused("future", f"bucket {cell.bucket_start.isoformat()} had not ended when the cell was exported "
                          f"({cell.exported_at.isoformat()}); a city exports closed buckets only")
        if exported < now - region.max_delay_s:
            raise Refused("stale", f"exported at {cell.exported_at.isoformat()}, more than max_delay_s="
                          f"{region.max_delay_s:.0f} s before the region received it: a replay, or a very late delivery")
        if start < now - region.max_bucket_age_days * 86_400:
            raise Refused("too_old", f"bucket {cell.bucket_start.isoformat()} is older than this region's "
                          f"max_bucket_age_days={region.max_bucket_age_days:g}")

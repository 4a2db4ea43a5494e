"""Bring the rollups up to date with the lake: recompute every hour whose raw listing changed, then its day and month.

An hour is stale when its readable raw files (names and sizes) differ from
what any of its minute files records: a new hour, a late file, a compaction,
a rewrite, or files removed (then its minute files are removed). Each stale
hour's minute tables are made again under that hour's lock, then the quarter
tables of every day whose minute files changed, the hour tables of every day
whose quarter files changed, then the day tables of every month whose hour
files changed, each under its own lock (a day's, a month's), so two sinks never
race on one file. A pass does at most ``max_hours`` hours, oldest first, and
logs its progress; the rest wait for the next pass. Readers never wait for
it: a bucket whose hours are not recorded as they are now is read from raw
(``cloud.twin.rollups``).

An hour whose files only grew since its minute files were made (the open
hour, with every batch the sink writes; compaction's merges of files they were
made from) keeps their minutes before the first new event and is made again
from there on (``settled``): a pass costs what arrived since the last one, not
what the hour holds. Readers take those minutes from the minute files too, and
read raw only the rest of the hour. ``open_every_s`` makes an open hour again
only once its minute files are that old, and once more when it closes; late
files into a closed hour are recomputed at the next pass.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from cloud.rollup import lock
from cloud.rollup.make import FINER, KINDS, Maker, path_of
from cloud.rollup.settled import FactsCache, settled_in
from cloud.rollup.sources import Listing, Slot, digest, listing_of, slot_key, slot_start
from cloud.rollup.tables import PART, ROOT, Resolution
from cloud.twin.listing import LakeFiles
from cloud.twin.settings import TwinSettings

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
_DATA_ERRORS = (duckdb.InvalidInputException, duckdb.IOException, duckdb.ConversionException)
# An hour counts as open until this long after its end: the sink's batches of its last seconds are still landing.
CLOSE_GRACE_S = 60.0


@dataclass
class PassReport:
    """What one pass did, and how many stale hours it left for the next."""

    hours_made: int = 0
    hours_removed: int = 0
    days_made: int = 0  # days whose quarter or hour tables were made
    months_made: int = 0
    hours_left: int = 0
    hours_open: int = 0  # open hours left for later: made again less often than each pass
    failed: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"rollups: {self.hours_made} hours made, {self.hours_removed} removed, {self.days_made} days, "
                f"{self.months_made} months; {self.hours_left} hours left, {self.hours_open} open hours later, "
                f"{len(self.failed)} failed")


class Reconciler:
    """Finds the lake's stale hours and recomputes them and what they roll up into."""

    def __init__(self, root: Path, files: LakeFiles, settings: TwinSettings | None = None) -> None:
        self.root = root
        self.files = files
        self.maker = Maker(root, settings)
        self.facts = FactsCache()

    def close(self) -> None:
        self.maker.close()

    def _rolled_hours(self) -> set[Slot]:
        found: set[Slot] = set()
        for kind in KINDS:
            base = self.root / ROOT / f"{kind}_minute"
            for day, folder in _named(base, "date").items():
                found |= {(day, p.parent.name.removeprefix("hour=")) for p in folder.glob(f"hour=*/{PART}")
                          if _HOUR.fullmatch(p.parent.name)}
        return found

    def _fresh(self, slot: Slot, listing: Listing | None) -> bool:
        """Whether every minute file of ``slot`` records ``listing`` (``None``: the hour has no raw files and none)."""
        wanted = None if listing is None else digest(listing)
        for kind in KINDS:
            recorded = self.maker.records.get(path_of(self.root, f"{kind}_minute", slot[0], int(slot[1])))
            have = None if recorded is None else recorded.hours.get(slot_key(slot))
            if have != wanted:
                return False
        return True

    def stale(self, since: date | None = None, force: bool = False) -> tuple[list[Slot], dict[Slot, Listing], dict[Slot, list[Path]]]:
        """The stale hours (oldest first) from ``since`` on, the current listings and files of the raw hours."""
        paths = self.files.list()
        listings = {slot: listing_of(listed) for slot, listed in self.files.hours(paths).items()}
        by_slot: dict[Slot, list[Path]] = {}
        for path in paths:
            slot = (date.fromisoformat(path.parent.parent.name.removeprefix("date=")), path.parent.name.removeprefix("hour="))
            by_slot.setdefault(slot, []).append(path)
        candidates = sorted(set(listings) | self._rolled_hours())
        stale = [s for s in candidates if (since is None or s[0] >= since)
                 and (force or not self._fresh(s, listings.get(s)))]
        return stale, listings, by_slot

    def settled(self) -> bool:
        """Whether every rollup file records the lake as it is listed now: nothing for a pass to do."""
        return not self.stale()[0] and not any(self._out_of_date(resolution) for resolution in FINER)

    def _made_at(self, slot: Slot) -> float:
        """When the oldest of ``slot``'s minute files was written (epoch seconds); 0 when one is missing."""
        try:
            return min(path_of(self.root, f"{kind}_minute", slot[0], int(slot[1])).stat().st_mtime for kind in KINDS)
        except OSError:
            return 0.0

    def _not_yet(self, slot: Slot, open_every_s: float, now: float) -> bool:
        """Whether ``slot`` is an open hour made less than ``open_every_s`` ago, left for a later pass."""
        end = slot_start(slot) + timedelta(hours=1)
        return end.timestamp() + CLOSE_GRACE_S > now and now - self._made_at(slot) < open_every_s

    def run(self, since: date | None = None, force: bool = False, max_hours: int | None = None,
            progress: Progress | None = None, open_every_s: float | None = None) -> PassReport:
        """One pass: stale hours (at most ``max_hours``), then the days and months whose finer files changed.

        ``open_every_s``: an open hour is made again only once its minute files are that old (``None``: every pass).
        """
        report = PassReport()
        stale, listings, by_slot = self.stale(since, force)
        if open_every_s is not None:
            now = time.time()
            later = [s for s in stale if self._not_yet(s, open_every_s, now)]
            report.hours_open = len(later)
            stale = [s for s in stale if s not in later]
        todo = stale if max_hours is None else stale[:max_hours]
        report.hours_left = len(stale) - len(todo)
        for i, slot in enumerate(todo, 1):
            self._hour(slot, listings.get(slot), by_slot.get(slot, []), force, report)
            if progress is not None and (i % 24 == 0 or i == len(todo)):
                progress(f"rollups: {i}/{len(todo)} hours ({slot_key(slot)})")
        made: dict[Resolution, set[date]] = {}
        for resolution in FINER:  # quarter, hour, day: each from the files made just before it
            made[resolution] = self._coarser(resolution, self._out_of_date(resolution), report)
        report.days_made, report.months_made = len(made["quarter"] | made["hour"]), len(made["day"])
        log.log(logging.INFO if todo or report.failed else logging.DEBUG, "%s", report.line())
        return report

    def _hour(self, slot: Slot, listing: Listing | None, paths: list[Path], force: bool, report: PassReport) -> None:
        with lock.held(self.root, f"hour-{slot[0].isoformat()}T{slot[1]}"):
            if not force and self._fresh(slot, listing):  # another sink made it while this one waited
                return
            if listing is None:
                self.maker.remove_hour(slot)
                report.hours_removed += 1
                return
            since = None if force else self._since(slot, listing)
            if since is not None:  # only the files that can hold rows from ``since`` on are opened
                paths = [p for p in paths if (self.facts.get(p).last or since) >= since]
            try:
                self.maker.hour(slot, paths, listing, since)
                report.hours_made += 1
            except _DATA_ERRORS as exc:  # a damaged page: judge the hour's files; the next pass skips the bad ones
                bad = self.files.recheck(paths)
                log.warning("rollups of %s not made (%s); %d files found damaged, skipped from the next pass on",
                            slot_key(slot), exc, len(bad))
                report.failed.append(slot_key(slot))
            except FileNotFoundError as exc:  # a compaction merged the hour's files while they were read
                log.info("rollups of %s wait for the next pass: %s was removed while it was read", slot_key(slot), exc)
                report.failed.append(slot_key(slot))
            except Exception:  # anything else: logged, and the pass moves on to the next hour
                log.exception("rollups of %s not made; tried again at the next pass", slot_key(slot))
                report.failed.append(slot_key(slot))

    def _since(self, slot: Slot, listing: Listing) -> datetime | None:
        """The minute from which ``slot``'s minute files must be made again, when its files only grew since they were
        made (``settled``); None when all of the hour must be."""
        records = [self.maker.records.get(path_of(self.root, f"{kind}_minute", slot[0], int(slot[1]))) for kind in KINDS]
        first = records[0]
        if first is None or not first.files or any(r is None or (r.hours, r.files) != (first.hours, first.files)
                                                   for r in records):
            return None
        hour = slot_start(slot)
        until = settled_in(self.root, hour, first.files, listing, self.facts)
        return until if until > hour else None

    def _coarse_fresh(self, resolution: Resolution, day: date) -> bool:
        for kind in KINDS:
            inputs = self.maker.inputs(kind, resolution, day)
            recorded = self.maker.records.get(path_of(self.root, f"{kind}_{resolution}", day))
            wanted: dict[str, str] = {}
            for path in inputs:
                rec = self.maker.records.get(path)
                wanted.update(rec.hours if rec is not None else {})
            if (recorded.hours if recorded is not None else None) != (wanted if inputs else None):
                return False
        return True

    def _out_of_date(self, resolution: Resolution) -> set[date]:
        """The days (day tables: months, by their first day) whose ``resolution`` tables differ from their finer files."""
        found: set[date] = set()
        for kind in KINDS:
            for res in (FINER[resolution], resolution):
                folders = _named(self.root / ROOT / f"{kind}_{res}", "month" if res == "day" else "date")
                found |= {d.replace(day=1) if resolution == "day" else d for d in folders}
        return {d for d in found if not self._coarse_fresh(resolution, d)}

    def _coarser(self, resolution: Resolution, days: set[date], report: PassReport) -> set[date]:
        """Make the ``resolution`` tables holding each of ``days`` again; returns the days made."""
        made = set()
        for day in sorted(days):
            try:
                remake(self.maker, resolution, day)
            except Exception:  # one bad file must not stop the rest of the pass; the next pass tries again
                log.exception("rollups: the %s tables holding %s could not be made", resolution, day)
                report.failed.append(f"{resolution} {day.isoformat()}")
                continue
            made.add(day)
        return made


_HOUR = re.compile(r"hour=([01]\d|2[0-3])")


def _named(base: Path, key: str) -> dict[date, Path]:
    """The ``key=YYYY-MM-DD`` (``month=YYYY-MM``: its first day) folders under ``base``; others are left alone."""
    found: dict[date, Path] = {}
    for folder in base.glob(f"{key}=*"):
        text = folder.name.removeprefix(f"{key}=") + ("-01" if key == "month" else "")
        try:
            found[date.fromisoformat(text)] = folder
        except ValueError:
            log.warning("rollups: ignoring %s, not a %s= folder of the rollup layout", folder, key)
    return found


def parse_since(text: str) -> date:
    """``--since`` as a date; ``ValueError`` naming the expected form."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--since {text!r} is not a date like 2026-03-01") from None


def remake(maker: Maker, resolution: Resolution, day: date) -> None:
    """Make the ``resolution`` tables holding ``day`` again from their finer files, under their lock."""
    scope = f"month-{day:%Y-%m}" if resolution == "day" else f"day-{day.isoformat()}"
    with lock.held(maker.root, scope):
        maker.coarser(resolution, day)

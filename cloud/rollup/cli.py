"""``citytwin rollup``: bring the rollups up to date with the lake by hand, printing progress."""

from __future__ import annotations

import argparse

from citytwin.deployment import Deployment
from citytwin.errors import UsageError, refused_as
from cloud.rollup.reconcile import Reconciler, parse_since
from cloud.twin.listing import LakeFiles, Verdicts, verdict_file


def run(args: argparse.Namespace) -> int:
    """Entry point of ``citytwin rollup``: one unbounded pass; 1 when an hour could not be made."""
    cfg: Deployment = args.deployment
    since = None
    if args.since:
        with refused_as(UsageError, ValueError):
            since = parse_since(args.since)
    files = LakeFiles(cfg.lake_dir, Verdicts(verdict_file(cfg.cloud.twin.state_dir, cfg.lake_dir)))
    reconciler = Reconciler(cfg.lake_dir, files, cfg.cloud.twin)
    try:
        report = reconciler.run(since=since, force=args.all, progress=lambda line: print(line, flush=True))
    finally:
        reconciler.close()
    print(report.line(), flush=True)
    for hour in report.failed:
        print(f"not made: {hour} (a damaged raw file; it is skipped from the next run on)", flush=True)
    return 1 if report.failed else 0

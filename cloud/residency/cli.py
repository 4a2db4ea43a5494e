"""``citytwin residency``: print the residency manifest of a deployment as a table, or as JSON with ``--json``."""

from __future__ import annotations

import argparse

from citytwin.deployment import Deployment
from cloud.residency.manifest import build
from cloud.residency.model import Dataset, Manifest


def _retention(d: Dataset) -> str:
    text = d.retention.policy
    if d.topic is not None and d.topic.mismatch:
        text += f" [MISMATCH: topic has retention.ms {d.topic.retention_ms}]"
    elif d.topic is not None and d.topic.exists is False:
        text += " [topic missing]"
    return text


def _location(d: Dataset) -> str:
    where = d.location + (f" ({', '.join(d.files)})" if d.files else "")
    if d.storage:
        where += f" on {d.storage}"
    if d.partitions is not None and d.partitions.count:
        p = d.partitions
        where += f" [{p.count} partitions, {p.files} files, {p.bytes} bytes, {p.oldest}..{p.newest}]"
    return where


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(header, widths)).rstrip(), "  ".join("-" * w for w in widths)]
    return lines + ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]


def render(manifest: Manifest) -> str:
    """The manifest as two aligned tables: datasets, then exports."""
    head = [f"site {manifest.site} on {manifest.host}; jurisdiction: {manifest.jurisdiction or '(not declared)'}; "
            f"{manifest.kafka}", ""]
    datasets = _table(
        ["DATASET", "KIND", "HOST", "LOCATION", "RETENTION", "READERS", "LEAVES CITY"],
        [[d.name, d.kind, d.host, _location(d), _retention(d), ", ".join(d.readers) or "services only",
          "yes" if d.leaves_city else "no"] for d in manifest.datasets],
    )
    exports = _table(
        ["EXPORT", "DESTINATION", "LEAVES CITY", "WHAT CROSSES", "NEVER"],
        [[e.name, e.destination, "yes" if e.leaves_city else "no", e.crosses, ", ".join(e.never)] for e in manifest.exports],
    ) if manifest.exports else ["no exports"]
    return "\n".join([*head, *datasets, "", *exports])


def run(args: argparse.Namespace) -> int:
    cfg: Deployment = args.deployment
    manifest = build(cfg, probe_kafka=not args.no_kafka)
    print(manifest.model_dump_json(indent=2) if args.json else render(manifest))
    return 0

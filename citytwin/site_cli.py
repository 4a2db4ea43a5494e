"""``citytwin site``: the deployment's site as data, e.g. ``citytwin site geojson -c site.yaml -o site.geojson``."""

from __future__ import annotations

import argparse
import json
import logging
import sys

import yaml

from citytwin.deployment import Deployment
from citytwin.errors import UsageError
from citytwin.site_generate import generate
from contract.geojson import feature_collection, unplaced

log = logging.getLogger(__name__)


def _write(args: argparse.Namespace, text: str, what: str) -> None:
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}: {what}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """``geojson``: the site as a GeoJSON FeatureCollection; ``generate``: a made-up deployment file."""
    if args.action == "generate":
        try:
            data = generate(args.cameras, args.districts)
        except ValueError as e:
            raise UsageError(str(e)) from None
        _write(args, yaml.safe_dump(data, sort_keys=False, width=200), f"{args.cameras} cameras in {args.districts} districts")
        return 0
    if args.deployment is None:
        raise UsageError("site geojson needs the deployment: -c site.yaml")
    deployment: Deployment = args.deployment
    collection = feature_collection(deployment.site, deployment.cameras)
    _write(args, json.dumps(collection, indent=1) + "\n", f"{len(collection['features'])} features")
    missing = unplaced(collection)
    if missing:
        print(f"{len(missing)} feature(s) without a position ({', '.join(missing[:10])}{', ...' if len(missing) > 10 else ''}): "
              "give their cameras a calibration, or set site.origin and their map positions", file=sys.stderr)
    return 0

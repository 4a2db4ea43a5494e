"""``citytwin site``: the deployment's site as data, e.g. ``citytwin site geojson -c site.yaml -o site.geojson``."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from citytwin.deployment import Deployment
from contract.geojson import feature_collection, unplaced

log = logging.getLogger(__name__)


def run(args: argparse.Namespace) -> int:
    """Write the site's cameras, lines and zones as a GeoJSON FeatureCollection to ``--output`` or stdout."""
    deployment: Deployment = args.deployment
    collection = feature_collection(deployment.site, deployment.cameras)
    text = json.dumps(collection, indent=1) + "\n"
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}: {len(collection['features'])} features", file=sys.stderr)
    missing = unplaced(collection)
    if missing:
        print(f"{len(missing)} feature(s) without a position ({', '.join(missing[:10])}{', ...' if len(missing) > 10 else ''}): "
              "give their cameras a calibration, or set site.origin and their map positions", file=sys.stderr)
    return 0

"""The table of ``citytwin`` subcommands.

Each entry says what the command does, declares its options, and names its
handler as ``"module:function"``. Handlers are imported only when their
command runs, so ``--help`` works without the edge or cloud extras installed.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

AddArguments = Callable[[argparse.ArgumentParser], None]


@dataclass(frozen=True)
class Command:
    """One ``citytwin`` subcommand."""

    name: str
    summary: str
    description: str
    add_arguments: AddArguments
    handler: str
    audits_config: bool = False  # a cloud service: its deployment file is recorded in the audit log when it changed
    # What -c names: a deployment the command line loads once and hands on as args.deployment ("cloud" also needs its
    # lake section), or None where the command reads another kind of file or none.
    deployment: Literal["site", "cloud"] | None = None


def _config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        "-c",
        type=Path,
        required=True,
        metavar="SITE.yaml",
        help="the deployment's YAML configuration file",
    )


def _edge(parser: argparse.ArgumentParser) -> None:
    _config(parser)
    parser.add_argument("--camera", help="camera id from the config (default: the only one)")
    parser.add_argument("--max-frames", type=int, help="stop after this many frames")
    parser.add_argument("--stats", action="store_true", help="print per-stage latency and FPS at exit")


def _detect(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("media", type=Path, nargs="?", help="a video file or a still image (default with --config: the camera's source)")
    parser.add_argument("--config", "-c", type=Path, metavar="SITE.yaml", help="run the deployment's edge.detector")
    parser.add_argument("--camera", help="with --config and no media: the camera whose source is read (default: the only one)")
    parser.add_argument("--detector", metavar="TYPE", help="without --config: the detector plugin, nanodet or yolo (default: nanodet)")
    parser.add_argument(
        "--model",
        help="without --config: model name from models/manifest.yaml or a path to an .onnx file (default: nanodet-g-416)",
    )
    parser.add_argument("--labels", type=Path, metavar="FILE", help="with --detector yolo: one class name per line")
    parser.add_argument("--start", type=int, default=0, help="first frame index (default: 0)")
    parser.add_argument("--frames", type=int, default=0, help="number of frames, 0 for all (default: 0)")
    parser.add_argument("--every", type=int, default=1, help="detect on every Nth frame (default: 1)")
    parser.add_argument("--threads", type=int, default=None, help="onnxruntime intra-op threads")
    parser.add_argument("--json", action="store_true", help="print one JSON object per frame")


def _query(parser: argparse.ArgumentParser) -> None:
    _config(parser)
    parser.add_argument("sql", nargs="?", help="a read-only SQL statement, or with --named the query's name")
    parser.add_argument("--named", action="store_true", help="run the named query SQL with --param values")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="named-query parameter; ISO times become timestamps")
    parser.add_argument("--list", action="store_true", help="list the named queries and their parameters")
    parser.add_argument("--format", choices=["table", "csv", "json"], default="table", help="output format (default: table)")


def _dlq(parser: argparse.ArgumentParser) -> None:
    _config(parser)
    parser.add_argument("action", choices=["list", "show", "replay"])
    parser.add_argument("offsets", nargs="*", help="partition:offset of the records to show or replay")
    parser.add_argument("--all", action="store_true", help="replay every record that is valid now")
    parser.add_argument("--error", help="only records with this error code (e.g. schema, invalid_json)")
    parser.add_argument("--limit", type=int, default=100, help="list at most this many records, newest last (default: %(default)s)")
    parser.add_argument("--max-bytes", type=int, default=2000, help="show at most this much of a payload (default: %(default)s)")


def _service(parser: argparse.ArgumentParser) -> None:
    _config(parser)
    parser.add_argument("--instance", help="this instance's name, unique among its peers (default: the host name)")


def _bench(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action", nargs="?", choices=["run", "report"], default="run",
        help="run: measure this device (default); report: compare every result under --results",
    )
    parser.add_argument("--quick", action="store_true", help="a short run for CI: one size, all cores, few frames")
    parser.add_argument("--device", help="results folder name (default: $CITYTWIN_DEVICE, else from the board or CPU)")
    parser.add_argument("--profile", help="device profile in hardware/profiles/ (id or path) that sets the matrix")
    parser.add_argument("--models", metavar="A,B", help="shipped models (default: nanodet-g-416,nanodet-g-416-int8)")
    parser.add_argument(
        "--yolo", action="append", type=Path, default=[], metavar="PATH",
        help="also measure an Ultralytics YOLOv8/YOLO11 ONNX export (repeatable)",
    )
    parser.add_argument("--sizes", metavar="N,N", help="input sizes, multiples of 32 (default: 320,416,512)")
    parser.add_argument("--threads", metavar="N,N", help="thread counts (default: powers of two up to the core count)")
    parser.add_argument("--providers", metavar="A,B", help="execution providers (default: every one installed)")
    parser.add_argument("--frames", type=int, help="measured frames per configuration")
    parser.add_argument("--warmup", type=int, help="warm-up frames per configuration")
    parser.add_argument("--e2e-frames", type=int, help="frames of the end-to-end latency run; 0 skips it")
    parser.add_argument(
        "--agreement-frames", type=int, help="frames an int8 model's detections are compared with its fp32 original's on; 0 skips it",
    )
    parser.add_argument("--video", type=Path, help="recorded video to run on (default: the vtest.avi fixture)")
    parser.add_argument(
        "--mqtt", metavar="HOST:PORT",
        help="broker for publishing and end to end (default: from --config, else a local broker if one answers)",
    )
    parser.add_argument("--config", "-c", type=Path, help="deployment YAML whose mqtt section names the broker")
    parser.add_argument(
        "--kafka", metavar="HOST:PORT",
        help="measure end to end to the twin (bridge, Kafka, live tail) instead of to an MQTT subscriber",
    )
    parser.add_argument("--results", type=Path, help="results folder (default: hardware/results)")
    parser.add_argument(
        "--emulated", metavar="HOW",
        help="this device is emulated (e.g. 'qemu-user aarch64 on x86-64'): recorded in the results, never read as real figures",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _accuracy(parser: argparse.ArgumentParser) -> None:
    _config(parser)
    parser.add_argument("--tally", type=Path, required=True, metavar="TALLY.yaml", help="the hand tally to score against")
    parser.add_argument("--video", type=Path, help="the recording the tally was made on (default: each camera's file source)")
    parser.add_argument("--camera", help="score one camera of the tally (default: every camera it tallies)")
    parser.add_argument("--tolerance", type=int, default=10, help="frames a crossing may be off by (default: %(default)s)")
    parser.add_argument("--min-precision", type=float, default=0.0, help="exit 1 below this overall precision (default: %(default)s)")
    parser.add_argument("--min-recall", type=float, default=0.0, help="exit 1 below this overall recall (default: %(default)s)")


def _mqtt_acl(parser: argparse.ArgumentParser) -> None:
    _config(parser)
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for acl, passwd and credentials.env")
    parser.add_argument("--tls", type=Path, metavar="CERT_DIR",
                        help="also write mosquitto.conf with a TLS listener using ca.crt, server.crt and server.key in CERT_DIR")
    parser.add_argument("--tls-port", type=int, default=8883, help="port of that listener (default: %(default)s)")
    parser.add_argument("--require-certificate", action="store_true", help="nodes also need a client certificate (mutual TLS)")


def _credentials(parser: argparse.ArgumentParser) -> None:
    _config(parser)
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for every credentials file (mode 700)")
    parser.add_argument("--owner", action="append", metavar="PART=UID:GID",
                        help="hand mosquitto/, kafka/ or services/ to the user that reads it (needs root; repeatable)")


def _retention(parser: argparse.ArgumentParser) -> None:
    _config(parser)
    parser.add_argument("--days", type=int, help="keep this many days of partitions (default: retention.lake_days)")
    parser.add_argument("--audit-log", type=Path, metavar="AUDIT.jsonl", help="audit log of the deletions (default: the config's audit path)")
    parser.add_argument("--dry-run", action="store_true", help="list what would be deleted, delete nothing")
    parser.add_argument("--every", action="store_true", help="enforce every retention.interval_s until stopped (default: once)")


def _rollup(parser: argparse.ArgumentParser) -> None:
    _config(parser)
    parser.add_argument("--since", metavar="YYYY-MM-DD", help="only hours of this day and later")
    parser.add_argument("--all", action="store_true", help="make every hour again, changed or not (default: only changed ones)")


def _residency(parser: argparse.ArgumentParser) -> None:
    _config(parser)
    parser.add_argument("--json", action="store_true", help="print the manifest as JSON")
    parser.add_argument("--no-kafka", action="store_true", help="do not ask the Kafka brokers for the topics' settings")


def _cockpit(parser: argparse.ArgumentParser) -> None:
    _config(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (default: %(default)s)")
    parser.add_argument("--users", type=Path, metavar="USERS.yaml", help="operators, roles and password hashes (required)")
    parser.add_argument("--audit-log", type=Path, metavar="AUDIT.jsonl", help="audit log (default: audit.path from the config, else audit/audit.jsonl next to the lake)")


def _site(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["geojson", "generate"],
                        help="geojson: the deployment's cameras, lines and zones as GeoJSON; generate: a made-up deployment")
    parser.add_argument("--config", "-c", type=Path, metavar="SITE.yaml", help="with geojson: the deployment's YAML file (required)")
    parser.add_argument("--output", "-o", type=Path, metavar="FILE", help="write to FILE (default: standard output)")
    parser.add_argument("--cameras", type=int, default=1000, help="with generate: how many cameras (default: %(default)s)")
    parser.add_argument("--districts", type=int, default=8, help="with generate: over how many districts (default: %(default)s)")


def _rules(parser: argparse.ArgumentParser) -> None:
    _config(parser)
    parser.add_argument("--once", action="store_true", help="evaluate every rule once and exit (default: run until stopped)")


def _once(parser: argparse.ArgumentParser) -> None:
    _config(parser)
    parser.add_argument("--once", action="store_true", help="do one pass and exit (default: run until stopped)")


def _export(parser: argparse.ArgumentParser) -> None:
    _config(parser)
    parser.add_argument("--exporter", metavar="NAME", help="run only this exporter of cloud.exporters (default: all)")
    parser.add_argument("--since", metavar="TIME", help="export from this ISO date or time on (default: each exporter's "
                        "lookback_days); aligned down to its longest bucket")


def _region(parser: argparse.ArgumentParser) -> None:
    _once(parser)
    parser.add_argument("--serve", action="store_true", help="also serve the regional screen (a map of the cities)")
    parser.add_argument("--host", default="127.0.0.1", help="address of the regional screen (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8090, help="port of the regional screen (default: %(default)s)")


def _audit(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["verify", "head", "show"], help="check the chain, print the newest hash, or list records")
    parser.add_argument("--config", "-c", type=Path, metavar="SITE.yaml",
                        help="the deployment: its audit log, anchor file and Kafka anchors topic")
    parser.add_argument("--log", type=Path, metavar="AUDIT.jsonl", help="the audit log file (default: the deployment's)")
    parser.add_argument("--anchors", type=Path, metavar="ANCHORS.jsonl",
                        help="with verify: the anchor file (default: audit.anchor_path, else next to the log)")
    parser.add_argument("--no-kafka", action="store_true", help="with verify and -c: do not read the Kafka anchors topic")
    parser.add_argument("--head", metavar="HASH", help="with verify: a hash published elsewhere that the newest record must have")
    parser.add_argument("--last", type=int, default=20, help="with show: how many of the newest records (default: %(default)s)")


COMMANDS: tuple[Command, ...] = (
    Command(
        "detect",
        "run the ONNX detector over a video or image and print what it finds",
        "Build a detector as an edge node does (the deployment's edge.detector with "
        "--config, or --detector/--model/--labels, e.g. a YOLO export) and print, per "
        "frame, the objects it finds (class, confidence, box). A quick way to check a "
        "model, a camera angle or a threshold before configuring an edge node.",
        _detect,
        "edge.detect.cli:run", deployment="site",
    ),
    Command(
        "edge",
        "run one camera's analytics and publish events over MQTT",
        "Read a camera, stream or recorded file; detect and track objects; count "
        "line crossings, zone occupancy and dwell; publish typed, versioned events "
        "over MQTT (QoS 1), buffering them on disk while the broker is unreachable. "
        "Only metadata leaves the node unless anonymised snapshots are enabled.",
        _edge,
        "edge.runtime.cli:run", deployment="site",
    ),
    Command(
        "accuracy",
        "score a deployment's counts on a recorded video against a hand tally",
        "Run each tallied camera's edge node over the recording, as fast as it goes and "
        "publishing nothing, then match its line crossings to the tally per line and "
        "direction within --tolerance frames and its zone occupancy at the tallied "
        "frames; print precision and recall per line, zone, camera and overall, and "
        "exit 1 when the overall figures fall below --min-precision or --min-recall.",
        _accuracy,
        "edge.accuracy.cli:run", deployment="site",
    ),
    Command(
        "bridge",
        "move events from MQTT to Kafka, dead-lettering bad ones",
        "Subscribe to citytwin/+/+/events/# and the status topics, validate each "
        "payload against the event schema, produce valid events to citytwin.events "
        "keyed by site/camera, send invalid ones to citytwin.dlq with the reason, and "
        "acknowledge MQTT only after Kafka has acknowledged.",
        _service,
        "cloud.bridge.service:run", audits_config=True, deployment="cloud",
    ),
    Command(
        "sink",
        "write events from Kafka into the Parquet lake",
        "Consume citytwin.events in a consumer group, batch by size and time, write "
        "zstd Parquet files atomically into date=/hour= partitions with the offsets in "
        "the file name, and commit offsets only after the file is durable.",
        _service,
        "cloud.sink.service:run", audits_config=True, deployment="cloud",
    ),
    Command(
        "query",
        "run a read-only SQL query against the twin",
        "Open the DuckDB twin over the Parquet lake read-only and print the result "
        "of a SQL query or a named query as a table, CSV or JSON. Views: events, "
        "crossings, occupancy, dwell, health, counts(bucket); rollups: crossings_minute, _quarter, _hour, _day and the "
        "same for occupancy, dwell and health; registry: sites, cameras, lines, zones.",
        _query,
        "cloud.twin.cli:run", deployment="cloud",
    ),
    Command(
        "retention",
        "delete lake partitions older than the retention policy, auditing each deletion",
        "Remove date= partitions of the Parquet lake older than --days (default: "
        "retention.lake_days), recording each deletion in the audit log first (default: "
        "the config's audit path). With --every, enforce every retention.interval_s until "
        "SIGTERM. Kafka topic retention is set to the same policy by the bridge.",
        _retention,
        "cloud.twin.cli:run_retention", audits_config=True, deployment="cloud",
    ),
    Command(
        "rollup",
        "bring the lake's rollup tables up to date with its raw files",
        "Recompute the minute rollups (crossings, occupancy, dwell, health) of every raw "
        "hour whose files changed since they were made (a new hour, a late file, a "
        "compaction, a removal), then the hour tables of their days and the day tables of "
        "their months, printing progress. The sink does the same every cloud.rollups.interval_s; "
        "this runs it by hand, with no bound on the hours of one pass.",
        _rollup,
        "cloud.rollup.cli:run", deployment="cloud",
    ),
    Command(
        "cockpit",
        "serve the operators' one-screen web cockpit",
        "Serve the web cockpit and its REST API: site map, live counts, alerts, node "
        "health, history charts and an audited read-only SQL console.",
        _cockpit,
        "cloud.cockpit.cli:run", audits_config=True, deployment="cloud",
    ),
    Command(
        "rules",
        "evaluate alert rules and forecasts over the twin",
        "Evaluate the rules declared under rules.rules in the config (capacity, flow, "
        "wrong way, node offline or degraded, dwell, port arrival, border crossing, "
        "forecast anomalies and capacity ahead) over the twin and its live tail every "
        "rules.interval_s. Alerts carry severity, evidence and a suggested action; they "
        "are written to <lake>/alerts/alerts.jsonl (the twin's alerts view) and published "
        "on MQTT citytwin/alerts/{site}/{rule} and Kafka citytwin.alerts. Operators' "
        "acknowledgements and false alarms from the cockpit stop reminders.",
        _rules,
        "cloud.rules.service:run", audits_config=True, deployment="cloud",
    ),
    Command(
        "dlq",
        "list, inspect and replay dead-lettered events",
        "List the records in citytwin.dlq with their reasons, show one in full, or "
        "replay records onto citytwin.events after the cause is fixed.",
        _dlq,
        "cloud.dlq.cli:run", deployment="cloud",
    ),
    Command(
        "bench",
        "measure the inference path on this device and keep the results",
        "Measure every stage of the edge path on real frames across models, input "
        "sizes, threads and execution providers; write results under "
        "hardware/results/<device>/ and render a comparison report.",
        _bench,
        "edge.bench.cli:run",
    ),
    Command(
        "audit",
        "verify the tamper-evident audit log against its anchors",
        "Check the hash chain of the audit log and name the first record that was "
        "edited, deleted or moved; then check it against the newest anchors of its head "
        "(the anchor file and, with -c, the Kafka anchors topic), so that records cut off "
        "the end and a rewritten chain are reported too. show prints records terminal-safe.",
        _audit,
        "cloud.audit.cli:run", deployment="cloud",
    ),
    Command(
        "site",
        "write the site's cameras, lines and zones as GeoJSON",
        "geojson: print the deployment's site as a GeoJSON FeatureCollection (WGS84): the "
        "site outline, each camera as a Point, its counting lines as LineStrings and its "
        "zones as Polygons. Calibrated cameras are projected through the homography fitted "
        "to their calibration points; the others are placed from the metric site plan and "
        "site.origin (properties.placement says which). generate: write a made-up "
        "deployment of --cameras calibrated cameras over --districts districts.",
        _site,
        "citytwin.site_cli:run", deployment="site",
    ),
    Command(
        "mqtt-acl",
        "generate per-node MQTT credentials and ACLs for Mosquitto",
        "Write a Mosquitto acl_file and password_file from the deployment config: each "
        "edge node may publish only under citytwin/{site}/{camera}/, and the bridge may "
        "only read events and status.",
        _mqtt_acl,
        "cloud.security.mqtt_acl:run", deployment="site",
    ),
    Command(
        "credentials",
        "generate every MQTT and Kafka login of a deployment, one file per service",
        "Write Mosquitto's password and ACL files (each edge node may publish only under "
        "its own camera), the Kafka SCRAM users when kafka.sasl is set, and one private "
        "credentials file per service and edge node for `citytwin --credentials FILE`. "
        "Existing passwords are kept, so it is safe to run at every start.",
        _credentials,
        "cloud.security.credentials:run", deployment="cloud",
    ),
    Command(
        "residency",
        "list where every dataset lives, who can read it and what leaves the city",
        "Print the data-residency manifest: for each dataset (lake partitions, alert and "
        "audit logs, Kafka topics, edge spools, MQTT queues) its host and path or topic, "
        "retention (and the retention.ms the brokers report), reader roles, and the "
        "exports, marking what leaves the city.",
        _residency,
        "cloud.residency.cli:run", deployment="cloud",
    ),
    Command(
        "federate",
        "publish aggregated counts to a regional twin",
        "Publish per-line crossings and per-zone peak occupancy per time bucket to a "
        "regional twin over Kafka (the federation section of the config), suppressing "
        "counts below k. No event-level rows, track ids or snapshots ever leave the "
        "city, every export is written to the audit log before it is sent, and every "
        "cell is signed with the city's key (federation.key_env).",
        _once,
        "cloud.federation.cli:federate", audits_config=True, deployment="cloud",
    ),
    Command(
        "export",
        "send aggregated counts to standards platforms (OGC SensorThings, FIWARE NGSI-LD)",
        "Run the exporters of cloud.exporters once: crossings per line, direction and class "
        "and peak zone occupancy per time bucket (and, for NGSI-LD, node health) as "
        "SensorThings Observations or Smart Data Models entities. Counts below each "
        "exporter's k are suppressed, each export is written to the audit log before "
        "anything is sent, and a re-run adds only what the platform lacks.",
        _export,
        "cloud.export.cli:run", audits_config=True, deployment="cloud",
    ),
    Command(
        "region",
        "receive cities' aggregated counts into a regional twin",
        "Consume the count cells that cities publish with `citytwin federate` into the "
        "regional Parquet lake. Only cells signed with a city's key and within the "
        "region's own limits (min k, values, buckets, clock) get in; the rest go to the "
        "regional dead-letter topic with the reason. Reads a regional deployment file "
        "(region and its limits, cities with map positions and keys, Kafka, lake); "
        "with --serve, also show every city of the region on one map.",
        _region,
        "cloud.federation.cli:region",
    ),
)

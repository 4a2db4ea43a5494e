"""``citytwin bench``: run the benchmark matrix, or render the comparison report."""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
from pathlib import Path

from citytwin.errors import ConfigError, Failed, UsageError, refused_as
from citytwin.paths import fixtures_dir
from edge.bench.plan import make_plan
from edge.bench.run import RunOptions, run_bench
from edge.source.base import SourceError
from hardware.device import default_device_name
from hardware.lab import RESULTS_DIR, load_profile
from hardware.plot import plot
from hardware.report import headline, latest_results, markdown

log = logging.getLogger(__name__)


def _names(text: str | None) -> list[str] | None:
    return None if text is None else [part.strip() for part in text.split(",") if part.strip()]


def _ints(option: str, text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(f"{option} takes comma-separated integers, got {text!r}") from None


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def choose_broker(args: argparse.Namespace) -> tuple[str, int] | None:
    """--mqtt, else the config's mqtt section, else a local broker on the default port; None when it does not answer.

    Only a broker named by --mqtt must answer: a deployment file always names
    one, and the benchmark measures everything but the sending without it.
    """
    if args.mqtt:
        host, _, port = str(args.mqtt).rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError(f"--mqtt must be HOST:PORT, got {args.mqtt!r}")
        if not _reachable(host, int(port)):
            raise ConfigError(f"MQTT broker {host}:{port} does not answer; start it (make demo / ops/brokers) or leave out --mqtt")
        return host, int(port)
    if args.config:
        from citytwin.deployment import load

        mqtt = load(args.config).mqtt
        broker, origin = (mqtt.host, mqtt.port), f"the mqtt section of {args.config}"
    else:
        broker, origin = ("127.0.0.1", int(os.environ.get("CITYTWIN_MQTT_PORT", "1883"))), "the default port"
    if not _reachable(*broker):
        log.warning("no MQTT broker on %s:%d (%s): publishing only spools, and end-to-end latency is skipped",
                    broker[0], broker[1], origin)
        return None
    return broker


def _run(args: argparse.Namespace) -> int:
    video = args.video or fixtures_dir() / "vtest.avi"
    if not video.is_file():
        raise SourceError(f"video {video} not found; fetch the fixtures with tests/fixtures/fetch.sh or pass --video")
    plan = make_plan(
        quick=args.quick, profile=load_profile(args.profile) if args.profile else None, models=_names(args.models),
        yolo=[str(p) for p in args.yolo], sizes=_ints("--sizes", args.sizes), threads=_ints("--threads", args.threads),
        providers=_names(args.providers),
        frames=args.frames, warmup=args.warmup, e2e_frames=args.e2e_frames, agreement_frames=args.agreement_frames,
    )
    device = args.device or os.environ.get("CITYTWIN_DEVICE") or default_device_name()
    options = RunOptions(
        device, video, args.results or RESULTS_DIR, choose_broker(args),
        progress=not args.no_progress and sys.stderr.isatty(), kafka=args.kafka, emulated=args.emulated,
    )
    written = run_bench(plan, options)
    results = [result for _, result in written]
    print(markdown(results, plot_name=None, headlines=False))
    if options.broker is None:
        print("publishing to MQTT was skipped: no broker answered; the publish stage measured the on-disk spool only")
    head = headline(results)
    if head is not None:
        print("\n".join(head.lines()))
    for path, _ in written:
        print(f"wrote {path}")
    return 0


def _report(args: argparse.Namespace) -> int:
    folder: Path = args.results or RESULTS_DIR
    results = latest_results(folder)
    if not results:
        raise Failed(f"no results under {folder}/<device>/")
    png = plot(results, folder / "report.png")
    md = folder / "REPORT.md"
    md.write_text(markdown(results, plot_name=png.name) + "\n")
    print(f"wrote {md} and {png} from {len(results)} result files")
    return 0


def run(args: argparse.Namespace) -> int:
    """Entry point of ``citytwin bench``."""
    with refused_as(UsageError, ValueError):  # a value of the flags or of a result file that the benchmark refuses
        return _report(args) if args.action == "report" else _run(args)

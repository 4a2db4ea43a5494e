"""The ``citytwin`` command line: one entry point, one subcommand per service."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

from citytwin import __version__, logs, secretfile
from citytwin.commands import COMMANDS, Command
from citytwin.errors import CitytwinError, UsageError
from citytwin.terminal import safe

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with one subparser per entry in ``COMMANDS``."""
    parser = argparse.ArgumentParser(
        prog="citytwin",
        allow_abbrev=False,
        description="citytwin: edge video analytics to a queryable city twin. "
        "Run 'citytwin COMMAND --help' for what each command does.",
    )
    parser.add_argument("--version", action="version", version=f"citytwin {__version__}")
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR (default: INFO)")
    parser.add_argument("--log-json", action="store_true", help="log one JSON object per line")
    parser.add_argument(
        "--credentials", type=Path, metavar="FILE",
        help="private NAME=value file (mode 600, from `citytwin credentials`) added to the environment first: "
        "this service's MQTT and Kafka logins (default: $CITYTWIN_CREDENTIALS, if set)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        child = sub.add_parser(
            command.name,
            help=command.summary,
            description=command.description,
        )
        command.add_arguments(child)
        child.set_defaults(_command=command)
    return parser


def _resolve(handler: str) -> Callable[[argparse.Namespace], int]:
    module_name, _, func = handler.partition(":")
    module = importlib.import_module(module_name)
    return cast(Callable[[argparse.Namespace], int], getattr(module, func))


def _credentials(args: argparse.Namespace) -> None:
    """Add the service's private credentials file (``--credentials`` or ``$CITYTWIN_CREDENTIALS``) to the environment."""
    given = args.credentials or os.environ.get("CITYTWIN_CREDENTIALS")
    if not given:
        return
    try:
        names = secretfile.load_env(Path(given))
    except OSError as exc:
        raise UsageError(f"--credentials: {exc}") from exc
    log.debug("credentials from %s: %s", given, ", ".join(names))


def _run(command: Command, args: argparse.Namespace) -> int:
    """Load the deployment once (``args.deployment``), record and anchor it for a cloud service, run the handler."""
    args.deployment = None
    if command.deployment is not None and getattr(args, "config", None) is not None:
        from citytwin.deployment import load

        args.deployment = load(args.config, lake=command.deployment == "cloud")
    if command.audits_config and args.deployment is not None:
        from cloud.audit.anchoring import anchoring
        from cloud.audit.config_change import on_start

        audit_log = getattr(args, "audit_log", None)  # a log given on the command line replaces the config's
        on_start(args.deployment, args.config, command.name, audit_log)
        with anchoring(args.deployment, command.name, audit_log) as anchorer:
            args.anchorer = anchorer  # the runner exposes its age with the service's metrics
            return _resolve(command.handler)(args)
    return _resolve(command.handler)(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen subcommand; returns the exit status.

    Every project error ends here, once: its message goes to stderr, terminal-safe, and its ``exit_code`` is the
    status (2 for a configuration or command-line mistake, 1 for a failure, 3 for an action that was not audited).
    """
    args = build_parser().parse_args(argv)
    logs.configure(args.log_level, args.log_json)
    command: Command = args._command
    try:
        _credentials(args)
        return _run(command, args)
    except CitytwinError as exc:
        print(f"citytwin {command.name}: {safe(str(exc), newlines=True)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

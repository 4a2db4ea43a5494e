"""Write or check the published JSON Schema of the event contract.

    python -m edge.events.schema          rewrite schema/event-v{N}.json
    python -m edge.events.schema --check  exit 1 if the file is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from edge.events.model import SCHEMA_VERSION, json_schema

SCHEMA_FILE = Path(__file__).with_name("schema") / f"event-v{SCHEMA_VERSION}.json"


def rendered() -> str:
    """The schema as it is committed: sorted keys, two-space indent."""
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check that the committed file is current")
    args = parser.parse_args(argv)
    if args.check:
        if not SCHEMA_FILE.exists() or SCHEMA_FILE.read_text() != rendered():
            print(f"{SCHEMA_FILE} is out of date: run python -m edge.events.schema", file=sys.stderr)
            return 1
        return 0
    SCHEMA_FILE.parent.mkdir(exist_ok=True)
    SCHEMA_FILE.write_text(rendered())
    print(f"wrote {SCHEMA_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Write or check the committed JSON Schema of benchmark result files.

    python -m edge.bench.schema          rewrite hardware/results/schema.json
    python -m edge.bench.schema --check  exit 1 if the file is out of date
"""

from __future__ import annotations

import argparse
import json
import sys

from edge.bench.lab import HARDWARE_DIR
from edge.bench.results import json_schema

SCHEMA_FILE = HARDWARE_DIR / "results" / "schema.json"


def rendered() -> str:
    """The schema as it is committed: sorted keys, two-space indent."""
    return json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check that the committed file is current")
    args = parser.parse_args(argv)
    if args.check:
        if not SCHEMA_FILE.exists() or SCHEMA_FILE.read_text() != rendered():
            print(f"{SCHEMA_FILE} is out of date: run python -m edge.bench.schema", file=sys.stderr)
            return 1
        return 0
    SCHEMA_FILE.parent.mkdir(parents=True, exist_ok=True)
    SCHEMA_FILE.write_text(rendered())
    print(f"wrote {SCHEMA_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

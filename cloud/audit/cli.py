"""``citytwin audit``: verify the hash chain, print its head, or show recent records."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cloud.audit.chain import AuditLog, verify


def run(args: argparse.Namespace) -> int:
    path: Path = args.log
    if not path.is_file():
        print(f"citytwin audit: no audit log at {path}", file=sys.stderr)
        return 2
    if args.action == "verify":
        verdict = verify(path, args.head)
        print(verdict, file=sys.stdout if verdict.ok else sys.stderr)
        return 0 if verdict.ok else 1
    if args.action == "head":
        seq, digest = AuditLog(path).head()
        print(f"{seq} {digest}")
        return 0
    for record in AuditLog(path).records(args.last):
        print(f"{record['seq']:>6} {record['ts']} {record['actor']:<12} {record['action']:<20} {json.dumps(record['details'])}")
    return 0

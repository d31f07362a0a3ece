"""``fakturaport payments import FILE… --url URL --api-key KEY``: BgMax or camt.054 into a gateway."""

from __future__ import annotations

import argparse
import sys
import urllib.error
from pathlib import Path

from ._client import add_connection_args, request


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("payments", help="import bank payment files (BgMax, camt.054)")
    actions = p.add_subparsers(dest="action", required=True)
    imp = actions.add_parser(
        "import", help="import and match payment files; importing a file twice changes nothing"
    )
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add_connection_args(imp)
    imp.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    status = 0
    for path in args.files:
        try:
            code, answer = request(
                args,
                "POST",
                "/v1/payments/import",
                path.read_bytes(),
                {"Content-Type": "application/octet-stream"},
            )
        except OSError as exc:
            print(f"{path}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
            return 2
        except urllib.error.URLError as exc:
            print(
                f"fakturaport payments: gateway unreachable at {args.url}: {exc}", file=sys.stderr
            )
            return 2
        if code == 200:
            print(
                f"{path}: {answer['source']}: {answer['imported']} imported ({answer['matched']} matched, {answer['unmatched']} unmatched), {answer['duplicates']} already imported"
            )
        else:
            print(f"{path}: rejected: {answer.get('detail')}", file=sys.stderr)
            status = 1
    return status

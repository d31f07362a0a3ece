"""``fakturaport convert IN --to peppol|svefaktura|cii|pdf|json [-o OUT]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from formats.convert import WRITERS, convert
from formats.errors import FormatError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "convert",
        help="convert an invoice between syntaxes",
        description="Read JSON, UBL, CII, Svefaktura or a Factur-X PDF (detected by content) and "
        "write it in another syntax. What the conversion could not keep is listed on stderr.",
    )
    p.add_argument("input", type=Path, help="the document to convert ('-' for stdin)")
    p.add_argument("--to", required=True, choices=sorted(WRITERS), help="target syntax")
    p.add_argument("-o", "--output", type=Path, help="where to write (default: stdout)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        data = sys.stdin.buffer.read() if str(args.input) == "-" else args.input.read_bytes()
    except OSError as exc:
        print(f"fakturaport convert: cannot read {args.input}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        result = convert(data, args.to)
    except FormatError as exc:
        print(f"fakturaport convert: {args.input}: {exc}", file=sys.stderr)
        return 2
    for dropped in result.dropped:
        print(f"dropped: {dropped}", file=sys.stderr)
    if args.output:
        args.output.write_bytes(result.content)
    else:
        sys.stdout.buffer.write(result.content)
        sys.stdout.flush()
    return 0

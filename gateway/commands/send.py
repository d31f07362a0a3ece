"""``fakturaport send FILE... --url URL --api-key KEY``: post invoices to a running gateway.

Each file's Idempotency-Key is the hash of its content, so sending a file twice never delivers
it twice. Exit 0 when all were accepted, 1 when any was rejected, 2 for unreadable files or an
unreachable gateway.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import urllib.error
from pathlib import Path

from ._client import add_connection_args, request

_TYPES = {".json": "application/json", ".xml": "application/xml", ".pdf": "application/pdf"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("send", help="post invoice files to a running gateway")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add_connection_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.api_key:
        print("fakturaport send: --api-key (or FAKTURAPORT_API_KEY) is required", file=sys.stderr)
        return 2
    accepted = rejected = unreadable = 0
    total = len(args.files)
    for n, path in enumerate(args.files, start=1):
        try:
            body = path.read_bytes()
        except OSError as exc:
            print(f"{path}: cannot read ({exc.strerror})")
            unreadable += 1
            continue
        headers = {
            "Content-Type": _TYPES.get(path.suffix.lower(), "application/octet-stream"),
            "Idempotency-Key": "file-" + hashlib.sha256(body).hexdigest(),
        }
        try:
            status, answer = request(args, "POST", "/v1/invoices", body, headers)
        except (urllib.error.URLError, OSError) as exc:
            print(f"fakturaport send: gateway unreachable at {args.url}: {exc}", file=sys.stderr)
            return 2
        if status in (200, 202):
            accepted += 1
            print(
                f"{path}: accepted {answer['id']}{' (already sent)' if answer.get('replayed') else ''}"
            )
        else:
            rejected += 1
            print(
                f"{path}: rejected ({status}) {answer.get('title', '')}: {answer.get('detail', '')}"
            )
            for err in (answer.get("errors") or [])[:10]:
                print(
                    f"    {err.get('rule') or ''} {err.get('location') or err.get('pointer') or ''} {err.get('message', '')}"
                )
        _progress(n, total)
    print(
        f"{accepted} accepted, {rejected} rejected, {unreadable} unreadable of {total}",
        file=sys.stderr,
    )
    return 2 if unreadable else (1 if rejected else 0)


def _progress(done: int, total: int) -> None:
    if sys.stderr.isatty():
        width = 30
        filled = width * done // total
        print(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}",
            end="" if done < total else "\n",
            file=sys.stderr,
        )

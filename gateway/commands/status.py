"""``fakturaport status [ID]``: one invoice's state and history, or the latest invoices."""

from __future__ import annotations

import argparse
import sys
import urllib.error

from ._client import add_connection_args, request


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("status", help="show an invoice's delivery status (or the latest invoices)")
    p.add_argument("id", nargs="?")
    p.add_argument("--status", help="list only invoices in this state")
    add_connection_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        if args.id:
            code, invoice = request(args, "GET", f"/v1/invoices/{args.id}")
            if code != 200:
                print(f"fakturaport status: {invoice.get('detail', code)}", file=sys.stderr)
                return 1
            print(
                f"{invoice['id']}  {invoice['number']}  {invoice['status']}{'  OVERDUE' if invoice['overdue'] else ''}"
            )
            for d in invoice.get("deliveries", []):
                print(
                    f"  {d['channel']:<10} {d['status']:<22} attempts {d['attempts']}  {d.get('last_error') or d.get('remote_id') or ''}"
                )
            _, events = request(args, "GET", f"/v1/invoices/{args.id}/events")
            for e in events["items"]:
                print(f"  {e['at']}  {e['type']}")
            return 0
        query = f"?status={args.status}" if args.status else ""
        code, page = request(args, "GET", f"/v1/invoices{query}")
        if code != 200:
            print(f"fakturaport status: {page.get('detail', code)}", file=sys.stderr)
            return 1
        for inv in page["items"]:
            print(
                f"{inv['id']}  {inv['number'] or '-':<16} {inv['status']:<22} {inv['current_channel'] or ''}"
            )
        return 0
    except (urllib.error.URLError, OSError) as exc:
        print(f"fakturaport status: gateway unreachable at {args.url}: {exc}", file=sys.stderr)
        return 2

"""``fakturaport report [--date D]``: reconciliation — accepted = delivered + failed + in flight."""

from __future__ import annotations

import argparse
import sys
import urllib.error

from ._client import add_connection_args, request


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="reconciliation counts for a day (or all time)")
    p.add_argument("--date", help="YYYY-MM-DD (UTC day of acceptance)")
    add_connection_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        code, r = request(
            args, "GET", "/v1/reports/reconciliation" + (f"?date={args.date}" if args.date else "")
        )
    except (urllib.error.URLError, OSError) as exc:
        print(f"fakturaport report: gateway unreachable at {args.url}: {exc}", file=sys.stderr)
        return 2
    if code != 200:
        print(f"fakturaport report: {r.get('detail', code)}", file=sys.stderr)
        return 1
    print(
        f"{r['date'] or 'all time'}: accepted {r['accepted']} = delivered {r['delivered']} + failed {r['failed']} + in flight {r['in_flight']}"
    )
    print(f"overdue {r['overdue']}; balanced: {'yes' if r['balanced'] else 'NO'}")
    return 0 if r["balanced"] else 1

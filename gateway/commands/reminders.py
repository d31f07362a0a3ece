"""``fakturaport reminders run [--date D]``: issue the reminders due (safe to run again the same day)."""

from __future__ import annotations

import argparse
import sys
import urllib.error

from ._client import add_connection_args, request


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reminders", help="issue payment reminders due per each customer's cadence")
    actions = p.add_subparsers(dest="action", required=True)
    run_p = actions.add_parser(
        "run", help="issue and queue today's reminders; repeating sends nothing twice"
    )
    run_p.add_argument("--date", help="the day to run for (YYYY-MM-DD; default today)")
    add_connection_args(run_p)
    run_p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = "/v1/receivables/reminders/run" + (f"?date={args.date}" if args.date else "")
    try:
        code, answer = request(args, "POST", path, b"")
    except urllib.error.URLError as exc:
        print(f"fakturaport reminders: gateway unreachable at {args.url}: {exc}", file=sys.stderr)
        return 2
    if code != 200:
        print(f"fakturaport reminders: {answer.get('detail')}", file=sys.stderr)
        return 1
    for r in answer["reminders"]:
        print(
            f"{r['invoice_id']}: {r['kind']} (level {r['level']}) {r['total']} via {r['channel']}"
        )
    print(
        f"{answer['date']}: {answer['issued']} issued, {answer['already_issued']} already issued, "
        f"{answer['ready_for_collection']} ready for collection, {answer['no_channel']} without a channel"
    )
    return 0

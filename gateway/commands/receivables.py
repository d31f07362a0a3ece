"""``fakturaport receivables ageing|due|collection|write-off``: the finance views from the command line."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
from pathlib import Path

from ._client import add_connection_args, request

BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("receivables", help="ageing, reminders due, collection hand-over")
    actions = p.add_subparsers(dest="action", required=True)
    for name, helptext in (
        ("ageing", "ageing per customer and in total, with days sales outstanding"),
        ("due", "what the cadence says is to be reminded today"),
    ):
        a = actions.add_parser(name, help=helptext)
        a.add_argument("--date", help="YYYY-MM-DD (default today)")
        a.add_argument("--json", action="store_true", help="print the API's JSON")
        add_connection_args(a)
        a.set_defaults(func=run)
    c = actions.add_parser("collection", help="hand an item to collection and write its case file")
    c.add_argument("invoice_id")
    c.add_argument("--date", help="YYYY-MM-DD (default today)")
    c.add_argument("--csv", action="store_true", help="CSV instead of JSON")
    c.add_argument("-o", "--output", type=Path, help="write the case file here (default stdout)")
    add_connection_args(c)
    c.set_defaults(func=run)
    w = actions.add_parser("write-off", help="give up an item's open amount")
    w.add_argument("invoice_id")
    w.add_argument("--reason", default="")
    add_connection_args(w)
    w.set_defaults(func=run)


def _query(args: argparse.Namespace) -> str:
    return f"?date={args.date}" if getattr(args, "date", None) else ""


def run(args: argparse.Namespace) -> int:
    try:
        if args.action == "ageing":
            code, answer = request(args, "GET", "/v1/receivables/ageing" + _query(args))
        elif args.action == "due":
            code, answer = request(args, "GET", "/v1/receivables/reminders-due" + _query(args))
        elif args.action == "write-off":
            body = json.dumps({"reason": args.reason}).encode()
            code, answer = request(
                args,
                "POST",
                f"/v1/receivables/{args.invoice_id}/write-off",
                body,
                {"Content-Type": "application/json"},
            )
        else:
            code, answer = request(
                args, "POST", f"/v1/receivables/{args.invoice_id}/collection" + _query(args), b""
            )
    except urllib.error.URLError as exc:
        print(f"fakturaport receivables: gateway unreachable at {args.url}: {exc}", file=sys.stderr)
        return 2
    if code >= 300:
        print(f"fakturaport receivables: {answer.get('detail')}", file=sys.stderr)
        return 1
    if getattr(args, "json", False):
        print(json.dumps(answer, indent=2, ensure_ascii=False))
    elif args.action == "ageing":
        _print_ageing(answer)
    elif args.action == "due":
        for d in answer["items"]:
            interest = d["interest"] if d["interest"] is not None else "n/a"
            print(
                f"{d['invoice_id']}  {d['step']:<13} open {d['open_amount']} {d['currency']}  "
                f"interest {interest}  compensation {d['compensation']}  ref {d['reference'] or ''}"
            )
        print(f"{len(answer['items'])} due")
    elif args.action == "write-off":
        print(f"{args.invoice_id}: written off")
    else:
        _write_case(args, answer)
    return 0


def _print_ageing(answer: dict) -> None:
    width = max([len("TOTAL")] + [len(c) for c in answer["customers"]])
    print("customer".ljust(width), *(b.rjust(12) for b in BUCKETS))
    for customer, row in answer["customers"].items():
        print(customer.ljust(width), *(row[b].rjust(12) for b in BUCKETS))
    print("TOTAL".ljust(width), *(answer["total"][b].rjust(12) for b in BUCKETS))
    dso = answer.get("dso") or {}
    print(
        f"DSO ({dso.get('days')} days): {dso.get('dso') or 'n/a'}  outstanding {dso.get('outstanding')}"
    )


def _write_case(args: argparse.Namespace, case: dict) -> None:
    if args.csv:
        from gateway.receivables.collection import case_csv

        text = case_csv(case)
    else:
        text = json.dumps(case, indent=2, ensure_ascii=False)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"{args.invoice_id}: handed to collection, case file {args.output}")
    else:
        print(text)

"""``fakturaport digest TENANT --to ADDRESS…``: email today's digest to finance (run it from cron)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from .. import digest
from ..ledger import Ledger
from ..settings import load_settings


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("digest", help="email the daily failure/overdue digest to finance")
    p.add_argument("tenant")
    p.add_argument("--to", action="append", required=True, help="recipient (repeatable)")
    p.add_argument("--print", action="store_true", help="print the digest instead of sending it")
    p.add_argument("--config")
    p.set_defaults(func=run)


async def _run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    ledger = await Ledger.open(settings.db_url)
    try:
        tenant = await ledger.tenant_by_name(args.tenant)
        if tenant is None:
            print(f"fakturaport digest: no tenant named {args.tenant!r}", file=sys.stderr)
            return 1
        message = await digest.compose(ledger, tenant.id, tenant.name, settings.public_url)
    finally:
        await ledger.aclose()
    if args.print:
        print(message.get_content())
        return 0
    smtp = dict(settings.channels.get("email", {}))
    if not smtp:
        print(
            "fakturaport digest: configure [channels.email] (SMTP) to send the digest",
            file=sys.stderr,
        )
        return 2
    await digest.send(message, smtp, args.to)
    return 0


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))

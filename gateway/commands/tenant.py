"""``fakturaport tenant create NAME [--peppol-id SCHEME:ID]``: the API key is printed once."""

from __future__ import annotations

import argparse
import asyncio
import sys

from sqlalchemy.exc import IntegrityError

from formats.errors import FormatError
from formats.peppol.identifiers import ParticipantId

from ..ledger import Ledger
from ..settings import load_settings


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tenant", help="manage tenants")
    actions = p.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a tenant and print its API key")
    create.add_argument("name")
    create.add_argument(
        "--peppol-id", help="the tenant's Peppol participant id, e.g. 0007:5567321707"
    )
    create.add_argument("--config")
    create.set_defaults(func=run)


async def _create(args: argparse.Namespace) -> int:
    peppol_id = None
    if args.peppol_id:
        try:
            peppol_id = str(ParticipantId.parse(args.peppol_id))
        except FormatError as exc:
            print(f"fakturaport tenant create: {exc}", file=sys.stderr)
            return 2
    settings = load_settings(args.config)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ledger = await Ledger.open(settings.db_url)
    try:
        tenant, key = await ledger.create_tenant(args.name, peppol_id)
    except IntegrityError:
        print(
            f"fakturaport tenant create: a tenant named {args.name!r} (or with that Peppol id) exists",
            file=sys.stderr,
        )
        return 1
    finally:
        await ledger.aclose()
    print(f"tenant {tenant.name} ({tenant.id})")
    print(f"API key (shown once, store it now): {key}")
    return 0


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_create(args))

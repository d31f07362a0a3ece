"""``fakturaport migrate``: bring the ledger schema to the newest version."""

from __future__ import annotations

import argparse
import asyncio

from ..ledger import Ledger
from ..settings import load_settings


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("migrate", help="create or upgrade the ledger schema")
    p.add_argument("--config")
    p.set_defaults(func=run)


async def _migrate(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ledger = await Ledger.open(settings.db_url, create=False)
    try:
        version = await ledger.migrate()
    finally:
        await ledger.aclose()
    print(f"ledger schema at version {version}")
    return 0


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_migrate(args))

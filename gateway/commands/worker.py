"""``fakturaport worker``: delivery workers only, for scale-out beside ``serve --no-worker``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from ..channels import build_channels
from ..ledger import Ledger
from ..logs import configure
from ..settings import load_settings
from ..worker import Worker


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("worker", help="run delivery workers without the API")
    p.add_argument("--config")
    p.set_defaults(func=run)


async def _main(args: argparse.Namespace) -> None:
    settings = load_settings(args.config)
    configure(settings.log_level)
    ledger = await Ledger.open(settings.db_url)
    channels = build_channels(settings)
    try:
        await Worker(ledger, channels, settings).run()
    finally:
        await ledger.aclose()


def run(args: argparse.Namespace) -> int:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(args))
    return 0

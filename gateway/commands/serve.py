"""``fakturaport serve [--config FILE] [--no-worker]``: the API, the workers and the watchdog."""

from __future__ import annotations

import argparse
import sys

from aiohttp import web

from ..logs import configure
from ..settings import SettingsError, load_settings
from ..web.app import create_app


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the gateway (API + delivery workers)")
    p.add_argument("--config", help="settings file (TOML); FAKTURAPORT_* variables override it")
    p.add_argument(
        "--no-worker",
        action="store_true",
        help="serve the API only (run `fakturaport worker` elsewhere)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        print(f"fakturaport serve: {exc}", file=sys.stderr)
        return 2
    configure(settings.log_level)
    host, port = settings.host_port
    print(
        f"Fakturaport listening on http://{host}:{port} (data in {settings.data_dir})",
        file=sys.stderr,
        flush=True,
    )
    web.run_app(
        create_app(settings, run_worker=not args.no_worker),
        host=host,
        port=port,
        print=None,
        access_log=None,
    )
    return 0

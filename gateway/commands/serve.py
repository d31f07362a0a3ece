"""``fakturaport serve [--config FILE] [--no-worker] [--processes N]``: the API, the workers and
the watchdog."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import gc
import os
import signal
import sys
import traceback

from aiohttp import web
from aiohttp.web_runner import GracefulExit

from formats.peppol import rules

from ..ledger import Ledger
from ..logs import configure
from ..settings import Settings, SettingsError, load_settings
from ..web.app import create_app


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the gateway (API + delivery workers)")
    p.add_argument("--config", help="settings file (TOML); FAKTURAPORT_* variables override it")
    p.add_argument(
        "--no-worker",
        action="store_true",
        help="serve the API only (run `fakturaport worker` elsewhere)",
    )
    p.add_argument(
        "--processes",
        type=int,
        help="server processes sharing the port (default: the 'processes' setting, 1)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        print(f"fakturaport serve: {exc}", file=sys.stderr)
        return 2
    configure(settings.log_level)
    processes = args.processes or settings.processes
    if processes < 1:
        print("fakturaport serve: --processes must be at least 1", file=sys.stderr)
        return 2
    host, port = settings.host_port
    print(
        f"Fakturaport listening on http://{host}:{port} (data in {settings.data_dir}"
        f"{f', {processes} processes' if processes > 1 else ''})",
        file=sys.stderr,
        flush=True,
    )
    if processes == 1:
        _serve(settings, run_worker=not args.no_worker, reuse_port=False)
        return 0
    return _serve_many(settings, processes, run_worker=not args.no_worker)


def _serve(
    settings: Settings, *, run_worker: bool, reuse_port: bool, run_jobs: bool = True
) -> None:
    host, port = settings.host_port
    app = create_app(settings, run_worker=run_worker, run_jobs=run_jobs)
    app.on_startup.append(_settle_startup_objects)  # after the app's own start-up
    web.run_app(
        app,
        host=host,
        port=port,
        reuse_port=reuse_port or None,
        print=None,
        access_log=None,
    )


async def _settle_startup_objects(_app: web.Application) -> None:
    """Load the rules now, not in the first request, then move everything made so far (modules,
    schema, rules: some 100,000 objects) out of the garbage collector's sight. They live as long
    as the process, and a full collection walking them paused the server for ~50 ms."""
    rules.registry()
    gc.collect()
    gc.freeze()


def _serve_many(settings: Settings, processes: int, *, run_worker: bool) -> int:
    """Fork the server processes; forward SIGTERM/SIGINT to them and wait for all."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(_migrate(settings.db_url))  # once, before the processes race to do it
    children = []
    for index in range(processes):
        pid = os.fork()
        if pid == 0:
            _die_with_parent()
            code = 0
            try:
                # Every process delivers (claims are leased, and each process takes its share
                # of the deliveries as it takes its share of the connections); the jobs that
                # run once per deployment (webhooks, watchdog, reminders, bounce receiver and
                # mailbox) run in the first.
                _serve(settings, run_worker=run_worker, run_jobs=index == 0, reuse_port=True)
            except (GracefulExit, KeyboardInterrupt):
                pass  # a second stop signal during shutdown (the parent and a process manager)
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)  # never return into the parent's code path
        children.append(pid)

    def forward(signum: int, _frame) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    failed = 0
    for child in children:
        _, status = os.waitpid(child, 0)
        failed += os.waitstatus_to_exitcode(status) not in (0, -signal.SIGTERM, -signal.SIGINT)
    return 1 if failed else 0


def _die_with_parent() -> None:
    """Linux: a server process gets SIGTERM when its parent dies, even by SIGKILL, so no orphan
    keeps the port."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


async def _migrate(url: str) -> None:
    ledger = await Ledger.open(url)
    await ledger.aclose()

"""``fakturaport demo-setup``: used by ``make run``: migrate, create a demo tenant once, say how to
try it. The key is kept in the data folder so that later runs print the same one."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from ..ledger import Ledger
from ..settings import load_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "invoice.json"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo-setup", help="prepare a demo tenant (used by `make run`)")
    p.add_argument("--config")
    p.set_defaults(func=run)


async def _setup(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key_file = settings.data_dir / "demo-tenant.key"
    ledger = await Ledger.open(settings.db_url)
    try:
        key = key_file.read_text().strip() if key_file.exists() else ""
        if not key or await ledger.tenant_for_key(key) is None:
            existing = await ledger.tenant_by_name("demo")
            if existing is None:
                _, key = await ledger.create_tenant("demo", "0007:5560360793")
            else:
                key = await ledger.new_api_key(existing.id)
            key_file.write_text(key + "\n")
            key_file.chmod(0o600)
    finally:
        await ledger.aclose()
    host, port = settings.host_port
    example = EXAMPLE if EXAMPLE.exists() else Path("docs/examples/invoice.json")
    print("Demo tenant ready. API key:", key)
    print("Try it:")
    print(
        f"  curl -sS -X POST http://{host}:{port}/v1/invoices -H 'Authorization: Bearer {key}' "
        f"-H 'Content-Type: application/json' -H 'Idempotency-Key: demo-1' --data-binary @{example}"
    )
    print(f"  curl -sS http://{host}:{port}/v1/invoices -H 'Authorization: Bearer {key}'")
    return 0


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_setup(args))

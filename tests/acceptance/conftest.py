"""A real gateway app (server on a free port) on SQLite and on PostgreSQL, with two tenants."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestClient, TestServer

from gateway.ledger import Ledger
from gateway.settings import Settings, WorkerSettings
from gateway.web.app import create_app


@pytest.fixture(params=["sqlite", "postgresql"])
async def gateway(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'g.db'}"
    else:
        url = request.getfixturevalue("pg_database")
    settings = Settings(
        data_dir=tmp_path,
        database_url=url,
        channels={"spool": {"folder": str(tmp_path / "spool")}, "mem": {"type": "memory"}},
        default_plan=("spool",),
        worker=WorkerSettings(poll_seconds=0.05, concurrency=4),
        max_body_bytes=1024 * 1024,
    )
    ledger = await Ledger.open(url)
    if request.param == "postgresql":
        from sqlalchemy import text

        async with ledger.engine.begin() as conn:
            await conn.execute(
                text(
                    "TRUNCATE webhook_outbox, webhook_endpoints, events, evidence, deliveries, documents, blobs, "
                    "invoices, recipients, inbox, api_keys, tenants RESTART IDENTITY CASCADE"
                )
            )
    _, key = await ledger.create_tenant("acme")
    _, other_key = await ledger.create_tenant("other")
    app = create_app(settings, ledger=ledger)
    client = TestClient(TestServer(app))
    await client.start_server()
    client.key, client.other_key, client.spool, client.ledger = (
        key,
        other_key,
        tmp_path / "spool",
        ledger,
    )
    yield client
    await client.close()
    await ledger.aclose()


def auth(key: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", **extra}


async def wait_for(
    client, invoice_id: str, status: str, key: str | None = None, timeout: float = 10
) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        r = await client.get(f"/v1/invoices/{invoice_id}", headers=auth(key or client.key))
        body = await r.json()
        if body["status"] == status or asyncio.get_running_loop().time() > deadline:
            return body
        await asyncio.sleep(0.05)

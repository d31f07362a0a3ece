"""Ledger fixture on both backends: SQLite in a temp folder and the session's PostgreSQL database."""

from __future__ import annotations

import asyncio

import pytest

from gateway.ledger import Ledger


@pytest.fixture(params=["sqlite", "postgresql"])
async def ledger(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}"
    else:
        base = request.getfixturevalue("pg_database")
        url = base
    ledger = await Ledger.open(url)
    if request.param == "postgresql":
        # Each test starts from empty tables in the shared test database.
        from sqlalchemy import text

        async with ledger.engine.begin() as conn:
            await conn.execute(
                text(
                    "TRUNCATE webhook_outbox, webhook_endpoints, events, evidence, deliveries, documents, blobs, "
                    "invoices, recipients, inbox, api_keys, tenants RESTART IDENTITY CASCADE"
                )
            )
    yield ledger
    await ledger.aclose()
    await asyncio.sleep(0)


@pytest.fixture
async def other_ledger(ledger):
    """A second ledger on the same database, as another server process has."""
    other = await Ledger.open(ledger.engine.url.render_as_string(hide_password=False))
    yield other
    await other.aclose()

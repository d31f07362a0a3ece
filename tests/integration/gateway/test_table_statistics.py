"""PostgreSQL: the ledger's young tables are analysed as they grow (autovacuum takes up to a
minute, and the planner guesses badly without statistics)."""

from __future__ import annotations

import asyncio
import time
import uuid

import psycopg
import pytest
from sqlalchemy import text

from gateway.ledger import Ledger, RenderedDocument
from gateway.ledger.statistics import MIN_CHANGES, SAMPLE_TARGET, analyze_young_tables
from tests.ledger_samples import acceptance

ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


@pytest.fixture
def fresh_database(pg_database):
    """A database of its own: the table statistics start from nothing."""
    name = f"fakturaport_stats_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield pg_database.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _accept(url: str, count: int, tag: str) -> None:
    ledger = await Ledger.open(url)
    try:
        tenant = await ledger.tenant_by_name("t") or (await ledger.create_tenant("t"))[0]
        documents = (RenderedDocument("original", "application/json", b"{}"),)
        await ledger.accept_many(
            [acceptance(tenant.id, f"{tag}{n}", documents=documents) for n in range(count)]
        )
    finally:
        await ledger.aclose()  # its connections end, and PostgreSQL counts their changes


async def _analysed_once_counted(ledger: Ledger, table: str) -> list[str]:
    """``analyze_young_tables`` until it analyses ``table``: a closed connection's changes reach
    PostgreSQL's counts as its backend ends, a moment after the client has gone."""
    deadline = time.monotonic() + 10
    while True:
        analysed = await analyze_young_tables(ledger.engine)
        if table in analysed or time.monotonic() > deadline:
            return analysed
        await asyncio.sleep(0.1)


async def _last_analysed(ledger: Ledger, table: str):
    async with ledger.engine.connect() as conn:
        query = text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = :table")
        return (await conn.execute(query, {"table": table})).scalar()


async def test_young_tables_are_analysed_when_they_have_grown_and_not_before(fresh_database):
    await _accept(fresh_database, MIN_CHANGES // 2, "a")
    ledger = await Ledger.open(fresh_database)
    try:
        assert await analyze_young_tables(ledger.engine) == []  # too few changes yet
        await _accept(fresh_database, MIN_CHANGES, "b")
        analysed = await _analysed_once_counted(ledger, "invoices")
        assert {"invoices", "deliveries", "documents", "events"} <= set(analysed)
        assert "tenants" not in analysed
        first = await _last_analysed(ledger, "invoices")
        assert first is not None
        assert await analyze_young_tables(ledger.engine) == []  # nothing changed since
        await _accept(fresh_database, MIN_CHANGES, "c")  # grown by two thirds, not doubled
        assert "invoices" not in await analyze_young_tables(ledger.engine)
        await _accept(fresh_database, MIN_CHANGES * 2, "d")  # now more than doubled
        assert "invoices" in await _analysed_once_counted(ledger, "invoices")
        assert await _last_analysed(ledger, "invoices") > first
        # The small sample: a histogram of at most SAMPLE_TARGET buckets, not the default 100.
        async with ledger.engine.connect() as conn:
            bounds = await conn.scalar(
                text(
                    "SELECT array_length(histogram_bounds, 1) FROM pg_stats"
                    " WHERE tablename = 'invoices' AND attname = 'idempotency_key'"
                )
            )
        assert bounds is not None and bounds <= SAMPLE_TARGET + 1
    finally:
        await ledger.aclose()

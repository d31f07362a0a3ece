"""PostgreSQL's hot-path reads and acceptances share a few autocommit connections, and survive
losing them."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from sqlalchemy import text


def _backend_pid(conn) -> int:
    return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _autocommit(conn) -> bool:
    return conn.connection.dbapi_connection.autocommit


@pytest.fixture
def postgres_ledger(ledger):
    if ledger.dialect != "postgresql":
        pytest.skip("the held connections are PostgreSQL's (SQLite reads on the event loop)")
    return ledger


async def test_reads_share_a_few_connections_outside_any_transaction(postgres_ledger):
    from gateway.ledger.held_connections import HELD_CONNECTIONS

    pids = await asyncio.gather(*(postgres_ledger.read(_backend_pid) for _ in range(20)))
    assert 1 <= len(set(pids)) <= HELD_CONNECTIONS
    assert await postgres_ledger.read(_autocommit), "no transaction to open and roll back"


async def _drop_held_connections(ledger) -> set[int]:
    """As a server restart would: every connection the reads hold is terminated."""
    held = set(await asyncio.gather(*(ledger.read(_backend_pid) for _ in range(8))))
    url = ledger.engine.url
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, dbname=url.database, autocommit=True
    ) as admin:
        for pid in held:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    return held


async def test_a_read_after_the_server_dropped_the_connection_reconnects(postgres_ledger):
    tenant, key = await postgres_ledger.create_tenant("t")
    await postgres_ledger.put_recipient(tenant.id, "0007:1", {"email": "ap@buyer.example"})
    # A SQLAlchemy statement (its error wrapped) and a Direct one (the driver's own error).
    held = await _drop_held_connections(postgres_ledger)
    postgres_ledger._key_cache.clear()
    assert (await postgres_ledger.tenant_for_key(key)).id == tenant.id
    held |= await _drop_held_connections(postgres_ledger)
    entry = await postgres_ledger.find_recipient(tenant.id, ["0007:1"])
    assert entry["email"] == "ap@buyer.example"
    assert await postgres_ledger.read(_backend_pid) not in held


async def test_a_failing_read_fails_alone(postgres_ledger):
    def broken(conn):
        conn.execute(text("SELECT no_such_column FROM tenants"))

    with pytest.raises(Exception, match="no_such_column"):
        await postgres_ledger.read(broken)
    assert await postgres_ledger.read(_backend_pid) > 0


async def test_an_acceptance_after_the_server_dropped_the_connections_goes_through(
    postgres_ledger,
):
    from tests.ledger_samples import acceptance

    tenant, _ = await postgres_ledger.create_tenant("t")
    assert (await postgres_ledger.accept(acceptance(tenant.id, "before"))).created
    await _drop_held_connections(postgres_ledger)
    assert (await postgres_ledger.accept(acceptance(tenant.id, "after"))).created
    assert (await postgres_ledger.reconciliation(tenant.id))["accepted"] == 2

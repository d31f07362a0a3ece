"""PostgreSQL's pooled connections: pinged before use only after resting, and replaced when the
server dropped them meanwhile."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text

from gateway.ledger import idle_ping


@pytest.fixture
def postgres_ledger(ledger):
    if ledger.dialect != "postgresql":
        pytest.skip("SQLite has no server to lose a connection to")
    return ledger


def _terminate_others(url) -> int:
    """As a server restart would: every other connection to the database is dropped."""
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, dbname=url.database, autocommit=True
    ) as admin:
        return admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]


async def _pid(ledger) -> int:
    async with ledger.transaction() as conn:
        return (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()


async def test_a_dropped_connection_that_rested_is_replaced_before_use(
    postgres_ledger, monkeypatch
):
    monkeypatch.setattr(idle_ping, "PING_AFTER_IDLE", 0.0)
    before = await _pid(postgres_ledger)
    assert _terminate_others(postgres_ledger.engine.url) >= 1
    tenant, _ = await postgres_ledger.create_tenant("after-restart")  # a write, not an error
    assert await _pid(postgres_ledger) != before
    assert tenant.id


async def test_a_connection_in_constant_use_is_not_pinged(postgres_ledger, monkeypatch):
    pings = []
    dialect = type(postgres_ledger.engine.dialect)
    monkeypatch.setattr(dialect, "do_ping", lambda self, conn: pings.append(conn) or True)
    for _ in range(5):
        await _pid(postgres_ledger)
    assert pings == []
    monkeypatch.setattr(idle_ping, "PING_AFTER_IDLE", 0.0)
    await _pid(postgres_ledger)
    assert len(pings) == 1

"""Versioned schema migrations: each step runs once, in order, recorded in ``schema_version``.

Version 1 creates the tables of ``schema.py``. Later versions append a step here; a deployed
database moves forward with ``fakturaport migrate`` (the server also migrates on start).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import insert, inspect, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from . import schema


async def _v1_initial(conn: AsyncConnection) -> None:
    await conn.run_sync(schema.metadata.create_all)


async def _v2_users(conn: AsyncConnection) -> None:
    """Finance users and their sessions (the dashboard)."""
    await conn.run_sync(
        lambda sync: schema.metadata.create_all(sync, tables=[schema.users, schema.sessions])
    )


async def _v3_receivables(conn: AsyncConnection) -> None:
    """Open items and imported payments (receivables follow-through)."""
    await conn.run_sync(
        lambda sync: schema.metadata.create_all(sync, tables=[schema.receivables, schema.payments])
    )


async def _v4_mls(conn: AsyncConnection) -> None:
    """Message Level Status owed for received Peppol documents."""
    await conn.run_sync(lambda sync: schema.metadata.create_all(sync, tables=[schema.mls_out]))


async def _v5_reminders(conn: AsyncConnection) -> None:
    """Reminders sent through the delivery machinery: their table and the deliveries' link."""
    await conn.run_sync(lambda sync: schema.metadata.create_all(sync, tables=[schema.reminders]))
    columns = await conn.run_sync(
        lambda sync: {c["name"] for c in inspect(sync).get_columns("deliveries")}
    )
    if "reminder_id" not in columns:
        await conn.execute(text("ALTER TABLE deliveries ADD COLUMN reminder_id VARCHAR(64)"))


async def _v6_blob_compression(conn: AsyncConnection) -> None:
    """PostgreSQL compresses documents with lz4 where the server has it: its default, pglz,
    spent about as much of the server's CPU on an accepted invoice's two documents as the rest
    of its rows. Blobs stored earlier stay as they are until rewritten."""
    if conn.dialect.name != "postgresql":
        return
    lz4 = await conn.scalar(
        text(
            "SELECT count(*) FROM pg_settings"
            " WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
        )
    )
    if lz4:
        await conn.execute(text("ALTER TABLE blobs ALTER COLUMN content SET COMPRESSION lz4"))


async def _v7_directory_version(conn: AsyncConnection) -> None:
    """Each tenant's recipient directory carries a version (see directory_cache.py)."""
    columns = await conn.run_sync(
        lambda sync: {c["name"] for c in inspect(sync).get_columns("tenants")}
    )
    if "directory_version" not in columns:
        await conn.execute(
            text("ALTER TABLE tenants ADD COLUMN directory_version BIGINT NOT NULL DEFAULT 0")
        )


STEPS: tuple[Callable[[AsyncConnection], Awaitable[None]], ...] = (
    _v1_initial,
    _v2_users,
    _v3_receivables,
    _v4_mls,
    _v5_reminders,
    _v6_blob_compression,
    _v7_directory_version,
)


async def current_version(conn: AsyncConnection) -> int:
    has_table = await conn.run_sync(lambda sync: inspect(sync).has_table("schema_version"))
    if not has_table:
        return 0
    version = (await conn.execute(select(schema.schema_version.c.version))).scalar()
    return int(version or 0)


async def migrate(conn: AsyncConnection) -> int:
    """Bring the schema to the newest version; returns the version reached."""
    if conn.dialect.name == "postgresql":
        # One migrator at a time when several servers start together.
        await conn.execute(text("SELECT pg_advisory_xact_lock(7310244)"))
    version = await current_version(conn)
    for number, step in enumerate(STEPS, start=1):
        if number <= version:
            continue
        await step(conn)
        if number == 1:
            await conn.execute(insert(schema.schema_version).values(version=1))
        else:
            await conn.execute(update(schema.schema_version).values(version=number))
    return len(STEPS)

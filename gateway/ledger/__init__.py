"""The ledger: durable state of tenants, invoices, deliveries, documents and events.

SQLAlchemy Core, async, on SQLite (default, WAL) or PostgreSQL. Each public method is one
transaction. ``accept`` stores an invoice with its documents, first delivery, 'accepted' event
and webhook outbox rows atomically; the worker side (claims, outcomes) is in ``deliveries.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, func, insert, select
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from . import schema as t
from .acceptance import MAX_BATCH, Acceptance, AcceptanceLedger, AcceptResult, RenderedDocument
from .checkpoints import Checkpointer
from .column_arrays import send_binary_arrays
from .deliveries import Claim, DeliveryInFlight, DeliveryLedger, EvidenceItem
from .directory import DirectoryLedger
from .directory_cache import DirectoryCache, DirectoryLookup
from .group_commit import GroupCommit
from .held_connections import HeldConnections
from .idle_ping import ping_when_idle
from .ids import new_id, now
from .inbox import InboxLedger
from .migrations import migrate
from .mls import MlsLedger
from .process_lock import ProcessLock
from .queries import QueryLedger, SendingMaterial
from .receivables import ReceivableLedger
from .reminders import ReminderLedger
from .rows import document_row, insert_delivery, insert_event, store_blobs
from .states import EventType
from .users import UserLedger

R = TypeVar("R")
#: How long a checked API key is trusted without asking the database again.
KEY_CACHE_SECONDS = 10.0

__all__ = [
    "AcceptResult",
    "Acceptance",
    "Claim",
    "DeliveryInFlight",
    "DirectoryLookup",
    "EvidenceItem",
    "Ledger",
    "RenderedDocument",
    "SendingMaterial",
    "Tenant",
    "now",
    "url_problem",
]


@dataclass(frozen=True, slots=True)
class Tenant:
    id: str
    name: str
    peppol_id: str | None = None


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class Ledger(
    AcceptanceLedger,
    DirectoryLedger,
    DeliveryLedger,
    QueryLedger,
    UserLedger,
    ReceivableLedger,
    ReminderLedger,
    InboxLedger,
    MlsLedger,
):
    def __init__(self, engine: AsyncEngine, sqlite_sync: Engine | None = None) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        # SQLite has one writer at a time. In this process writers queue on an asyncio lock, across
        # processes on a file lock (see process_lock.py), never in SQLite's polling busy handler.
        self._write_lock = asyncio.Lock() if self.dialect == "sqlite" else None
        # Hot-path reads and writes on SQLite run on the event loop on the stdlib driver:
        # aiosqlite would hop between threads for every statement and fetch.
        self._sqlite_sync = sqlite_sync
        self._loop_reader: Connection | None = None
        # On PostgreSQL, a few connections held for them (see held_connections.py).
        self._held_connections = HeldConnections(engine)
        self._process_lock = (
            ProcessLock(Path(f"{sqlite_sync.url.database}-writer.lock")) if sqlite_sync else None
        )
        self._checkpointer = Checkpointer(sqlite_sync.url.database) if sqlite_sync else None
        self._acceptances = GroupCommit(self.accept_many, max_batch=MAX_BATCH)
        self._outcomes = GroupCommit(self.write_outcomes, max_batch=MAX_BATCH)
        # On PostgreSQL every read is a round trip, paid on both sides: the directory lookups of
        # requests that arrive together share one (the coalescing works for reads as for writes).
        self._recipient_lookups = GroupCommit(self._find_recipients, max_batch=MAX_BATCH)
        self._directory = DirectoryCache()
        self._key_cache: dict[str, tuple[Tenant, float]] = {}
        #: a broken unique constraint as SQLAlchemy reports it, and as the driver does (``Direct``)
        self.integrity_errors: tuple[type[Exception], ...] = (
            IntegrityError,
            engine.dialect.loaded_dbapi.IntegrityError,
            *((sqlite_sync.dialect.loaded_dbapi.IntegrityError,) if sqlite_sync else ()),
        )

    @contextlib.asynccontextmanager
    async def transaction(self, *, pipelined: bool = False) -> AsyncIterator[AsyncConnection]:
        """One write transaction (committed on success, rolled back on error). ``pipelined``:
        on PostgreSQL in psycopg's pipeline mode, for work whose statements are all ``Direct``
        (see ``write``)."""
        if self._write_lock is None:
            if pipelined:
                async with self.engine.connect() as conn, _pipeline(conn), conn.begin():
                    yield conn
                return
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._write_lock, self._writing(), self.engine.begin() as conn:
            yield conn

    def _writing(self) -> contextlib.AbstractAsyncContextManager[None]:
        return self._process_lock or contextlib.nullcontext()

    async def write(self, work: Callable[..., R], *args: Any, pipelined: bool = False) -> R:
        """Run ``work(conn, *args)``, synchronous code, as one write transaction.

        ``pipelined`` (PostgreSQL): a statement is sent without waiting for the one before it to
        be answered, and the answers are read when the work asks for rows or at the commit. A
        batch of inserts then costs one round trip instead of one per statement, and the server
        handles it in one go. Only for work that runs ``Direct`` statements alone and asks for
        rows as late as it can (see ``outcomes.record_all``).
        """
        if self._sqlite_sync is None:
            async with self.transaction(pipelined=pipelined) as conn:
                return await conn.run_sync(work, *args)
        # On the event loop itself, once this process and then this database's writer lock are
        # held: a transaction runs a few milliseconds at most, and in a thread it held SQLite's
        # lock while waiting for the GIL at every statement, which made the other processes wait.
        assert self._write_lock is not None
        async with self._write_lock, self._writing():
            with self._sqlite_sync.begin() as conn:
                result = work(conn, *args)
        assert self._checkpointer is not None
        self._checkpointer.after_commit()
        return result

    async def write_statement(self, work: Callable[..., R], *args: Any) -> R:
        """PostgreSQL: run ``work(conn, *args)``, synchronous code that writes with one
        statement, on a held connection in autocommit. The statement is atomic on its own: no
        pool checkout, no BEGIN, no COMMIT. It must be safe to run twice: after a lost
        connection it runs once more (see held_connections.py)."""
        return await self._held_connections.write(work, *args)

    async def read(self, work: Callable[..., R], *args: Any) -> R:
        """Run ``work(conn, *args)``, synchronous code that only reads."""
        if self._sqlite_sync is None:
            return await self._held_connections.read(work, *args)
        # On the event loop itself: a WAL reader never waits for a writer, and these reads take
        # tens of microseconds, less than handing them to a thread and back would cost. One
        # connection is kept for them: a pool checkout and its reset cost more than the read.
        conn = self._loop_reader
        if conn is None:
            conn = self._loop_reader = self._sqlite_sync.connect()
        try:
            result = work(conn, *args)
        except BaseException:
            self._loop_reader = None
            conn.close()
            raise
        if conn.in_transaction():  # ends the read: no snapshot outlives it
            conn.rollback()
        return result

    @classmethod
    async def open(cls, url: str, *, create: bool = True) -> Ledger:
        problem = url_problem(url)
        if problem is not None:
            raise ValueError(problem)
        kwargs: dict[str, Any] = {}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": 30}
            kwargs.update(pool_size=32, max_overflow=0)
        else:
            kwargs.update(pool_size=10, max_overflow=10)
            # before the engine: its psycopg dialect copies psycopg's adapters when it is made
            send_binary_arrays()
        engine = create_async_engine(url, **kwargs)
        if engine.dialect.name == "postgresql":
            ping_when_idle(engine)
        sqlite_sync = None
        if engine.dialect.name == "sqlite":
            sa_event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
            sqlite_sync = _sqlite_sync(engine)
        ledger = cls(engine, sqlite_sync)
        if create:
            await ledger.migrate()
        return ledger

    async def migrate(self) -> int:
        async with self.transaction() as conn:
            return await migrate(conn)

    async def aclose(self) -> None:
        await self._acceptances.aclose()
        await self._outcomes.aclose()
        await self._recipient_lookups.aclose()
        if self._process_lock is not None:
            self._process_lock.close()
        if self._checkpointer is not None:
            self._checkpointer.close()
        if self._loop_reader is not None:
            self._loop_reader.close()
            self._loop_reader = None
        await self._held_connections.aclose()
        if self._sqlite_sync is not None:
            self._sqlite_sync.dispose()
        await self.engine.dispose()

    # --- tenants and keys -----------------------------------------------------------------------------

    async def create_tenant(self, name: str, peppol_id: str | None = None) -> tuple[Tenant, str]:
        """A new tenant and its API key (returned once; only its hash is stored)."""
        tenant = Tenant(id=new_id(), name=name, peppol_id=peppol_id)
        key = await self._insert_tenant(tenant)
        return tenant, key

    async def _insert_tenant(self, tenant: Tenant) -> str:
        prefix = secrets.token_hex(6)
        key = f"fp_{prefix}_{secrets.token_urlsafe(32)}"
        async with self.transaction() as conn:
            await conn.execute(
                insert(t.tenants).values(
                    id=tenant.id,
                    name=tenant.name,
                    peppol_id=tenant.peppol_id,
                    settings={},
                    created_at=now(),
                )
            )
            await conn.execute(
                insert(t.api_keys).values(
                    prefix=prefix, tenant_id=tenant.id, key_hash=_hash_key(key), created_at=now()
                )
            )
        return key

    async def new_api_key(self, tenant_id: str) -> str:
        prefix = secrets.token_hex(6)
        key = f"fp_{prefix}_{secrets.token_urlsafe(32)}"
        async with self.transaction() as conn:
            await conn.execute(
                insert(t.api_keys).values(
                    prefix=prefix, tenant_id=tenant_id, key_hash=_hash_key(key), created_at=now()
                )
            )
        return key

    async def tenant_for_key(self, key: str) -> Tenant | None:
        """The tenant an API key belongs to. A valid key is remembered for ``KEY_CACHE_SECONDS``
        (by its hash), so a revocation reaches a running server within that time."""
        parts = key.split("_")
        if len(parts) < 3 or parts[0] != "fp":
            return None
        key_hash = _hash_key(key)
        cached = self._key_cache.get(key_hash)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        row = await self.read(_key_row, parts[1])
        if row is None or not secrets.compare_digest(row.key_hash, key_hash):
            return None
        tenant = Tenant(id=row.id, name=row.name, peppol_id=row.peppol_id)
        if len(self._key_cache) >= 10_000:
            self._key_cache.clear()
        self._key_cache[key_hash] = (tenant, time.monotonic() + KEY_CACHE_SECONDS)
        return tenant

    async def tenant_by_name(self, name: str) -> Tenant | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t.tenants).where(t.tenants.c.name == name))).first()
        return Tenant(id=row.id, name=row.name, peppol_id=row.peppol_id) if row else None

    async def tenant_by_peppol_id(self, peppol_id: str) -> Tenant | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(t.tenants).where(func.lower(t.tenants.c.peppol_id) == peppol_id.lower())
                )
            ).first()
        return Tenant(id=row.id, name=row.name, peppol_id=row.peppol_id) if row else None

    # --- accepting an invoice ---------------------------------------------------------------------------

    async def store_document(
        self, conn: AsyncConnection, invoice_id: str, doc: RenderedDocument
    ) -> None:
        digest = await self.store_blob(conn, doc.content)
        await conn.execute(insert(t.documents).values(document_row(invoice_id, doc, digest)))

    async def store_blob(self, conn: AsyncConnection, content: bytes) -> str:
        """Content-addressed: equal bytes are stored once (a concurrent duplicate is a no-op)."""
        digest = hashlib.sha256(content).hexdigest()
        await conn.run_sync(store_blobs, {digest: content})
        return digest

    async def add_delivery(
        self,
        conn: AsyncConnection,
        tenant_id: str,
        invoice_id: str,
        channel: str,
        position: int,
        due: datetime,
        *,
        reminder_id: str | None = None,
    ) -> str:
        return await conn.run_sync(
            insert_delivery, tenant_id, invoice_id, channel, position, due, reminder_id=reminder_id
        )

    async def record_event(
        self,
        conn: AsyncConnection,
        tenant_id: str,
        invoice_id: str | None,
        kind: EventType,
        detail: Mapping[str, Any],
        *,
        delivery_id: str | None = None,
    ) -> None:
        await conn.run_sync(
            insert_event, tenant_id, invoice_id, kind, detail, delivery_id=delivery_id
        )


def _key_row(conn: Connection, prefix: str) -> Any:
    return conn.execute(
        select(t.api_keys.c.key_hash, t.tenants.c.id, t.tenants.c.name, t.tenants.c.peppol_id)
        .join(t.tenants, t.tenants.c.id == t.api_keys.c.tenant_id)
        .where(t.api_keys.c.prefix == prefix, t.api_keys.c.revoked_at.is_(None))
    ).first()


@contextlib.asynccontextmanager
async def _pipeline(conn: AsyncConnection) -> AsyncIterator[None]:
    """psycopg's pipeline mode on ``conn`` for as long as the block runs (its commit included)."""
    raw = await conn.get_raw_connection()
    async with raw.driver_connection.pipeline():  # type: ignore[union-attr]
        yield


def url_problem(url: str) -> str | None:
    """Why the ledger cannot be kept at ``url``, or None. The ledger is shared by every process
    and outlives each, so it needs a PostgreSQL server or an SQLite file."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return f"{url!r} is not a database URL"
    if parsed.get_backend_name() == "postgresql":
        return None
    if parsed.get_backend_name() != "sqlite":
        return (
            f"{parsed.drivername} databases are not supported: use postgresql+psycopg://… or"
            " sqlite+aiosqlite:///FILE"
        )
    database = parsed.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if in_memory or parsed.query.get("mode") == "memory":
        return (
            "an in-memory SQLite database cannot hold the ledger (it would be lost at exit and"
            " is not shared between connections): give a file, sqlite+aiosqlite:///FILE"
        )
    return None


def _sqlite_sync(engine: AsyncEngine) -> Engine:
    """A synchronous engine on the same SQLite file."""
    url = engine.url
    sync = create_engine(
        url.set(drivername="sqlite"),
        connect_args={"timeout": 30, "check_same_thread": False},
        pool_size=5,
    )
    sa_event.listen(sync, "connect", _sqlite_pragmas)
    sa_event.listen(sync, "connect", _no_autocheckpoint)
    return sync


def _no_autocheckpoint(dbapi_connection, _record) -> None:
    """Commits on the event loop do not checkpoint (see checkpoints.py)."""
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across process crashes
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()

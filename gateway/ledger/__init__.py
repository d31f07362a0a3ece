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
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from . import schema as t
from .deliveries import Claim, DeliveryLedger, EvidenceItem
from .inbox import InboxLedger
from .migrations import migrate
from .mls import MlsLedger
from .queries import QueryLedger
from .receivables import ReceivableLedger
from .reminders import ReminderLedger
from .states import WEBHOOK_EVENTS, DeliveryStatus, EventType, InvoiceStatus
from .users import UserLedger

__all__ = [
    "AcceptResult",
    "Acceptance",
    "Claim",
    "EvidenceItem",
    "Ledger",
    "RenderedDocument",
    "Tenant",
    "now",
]


def now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class Tenant:
    id: str
    name: str
    peppol_id: str | None = None


@dataclass(frozen=True, slots=True)
class RenderedDocument:
    kind: str  #: original, ubl, pdf, svefaktura, cii
    media_type: str
    content: bytes
    filename: str | None = None


@dataclass(frozen=True, slots=True)
class Acceptance:
    """Everything ``accept`` stores for one invoice."""

    tenant_id: str
    idempotency_key: str
    body_hash: str
    number: str | None
    kind: str
    buyer_name: str | None
    buyer_key: str | None
    currency: str | None
    payable: str | None
    due_date: str | None
    plan: tuple[str, ...]
    recipient: Mapping[str, Any]
    documents: tuple[RenderedDocument, ...]
    detail: Mapping[str, Any] = field(default_factory=dict)
    seller_name: str | None = None
    #: the open item to track (reference, customer, customer_type); None: not followed to payment
    receivable: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class AcceptResult:
    invoice_id: str
    created: bool  #: False: the same key and body were accepted before (a replay)
    conflict: bool = False  #: the key was used before with a different body
    status: str = InvoiceStatus.ACCEPTED


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class Ledger(
    DeliveryLedger, QueryLedger, UserLedger, ReceivableLedger, ReminderLedger, InboxLedger, MlsLedger
):
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        # SQLite has one writer at a time; queueing writers here instead of in SQLite's busy
        # handler avoids lock-upgrade failures between this process's own connections.
        self._write_lock = asyncio.Lock() if self.dialect == "sqlite" else None

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction (committed on success, rolled back on error)."""
        if self._write_lock is None:
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._write_lock, self.engine.begin() as conn:
            yield conn

    @classmethod
    async def open(cls, url: str, *, create: bool = True) -> Ledger:
        kwargs: dict[str, Any] = {}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        engine = create_async_engine(url, **kwargs)
        if engine.dialect.name == "sqlite":
            sa_event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        ledger = cls(engine)
        if create:
            await ledger.migrate()
        return ledger

    async def migrate(self) -> int:
        async with self.transaction() as conn:
            return await migrate(conn)

    async def aclose(self) -> None:
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
        parts = key.split("_")
        if len(parts) < 3 or parts[0] != "fp":
            return None
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        t.api_keys.c.key_hash,
                        t.tenants.c.id,
                        t.tenants.c.name,
                        t.tenants.c.peppol_id,
                    )
                    .join(t.tenants, t.tenants.c.id == t.api_keys.c.tenant_id)
                    .where(t.api_keys.c.prefix == parts[1], t.api_keys.c.revoked_at.is_(None))
                )
            ).first()
        if row is None or not secrets.compare_digest(row.key_hash, _hash_key(key)):
            return None
        return Tenant(id=row.id, name=row.name, peppol_id=row.peppol_id)

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

    # --- recipients directory ---------------------------------------------------------------------------

    async def put_recipient(
        self, tenant_id: str, key: str, entry: Mapping[str, Any]
    ) -> dict[str, Any]:
        values = {
            k: entry.get(k)
            for k in ("name", "peppol_id", "email", "postal", "operator", "plan", "language")
        }
        async with self.transaction() as conn:
            existing = (
                await conn.execute(
                    select(t.recipients.c.id).where(
                        t.recipients.c.tenant_id == tenant_id, t.recipients.c.key == key
                    )
                )
            ).first()
            if existing:
                await conn.execute(
                    update(t.recipients)
                    .where(t.recipients.c.id == existing.id)
                    .values(**values, updated_at=now())
                )
                rid = existing.id
            else:
                rid = new_id()
                await conn.execute(
                    insert(t.recipients).values(
                        id=rid, tenant_id=tenant_id, key=key, updated_at=now(), **values
                    )
                )
        return {"id": rid, "key": key, **values}

    async def find_recipient(self, tenant_id: str, keys: Sequence[str]) -> dict[str, Any] | None:
        if not keys:
            return None
        async with self.engine.connect() as conn:
            rows = (
                (
                    await conn.execute(
                        select(t.recipients).where(
                            t.recipients.c.tenant_id == tenant_id,
                            t.recipients.c.key.in_(list(keys)),
                        )
                    )
                )
                .mappings()
                .all()
            )
        by_key = {row["key"]: dict(row) for row in rows}
        return next((by_key[k] for k in keys if k in by_key), None)

    async def list_recipients(self, tenant_id: str) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = (
                (
                    await conn.execute(
                        select(t.recipients)
                        .where(t.recipients.c.tenant_id == tenant_id)
                        .order_by(t.recipients.c.key)
                    )
                )
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    async def delete_recipient(self, tenant_id: str, key: str) -> bool:
        async with self.transaction() as conn:
            result = await conn.execute(
                t.recipients.delete().where(
                    t.recipients.c.tenant_id == tenant_id, t.recipients.c.key == key
                )
            )
        return result.rowcount > 0

    # --- accepting an invoice ---------------------------------------------------------------------------

    async def accept(self, a: Acceptance) -> AcceptResult:
        """Store the invoice, its documents, first delivery and events in one transaction."""
        existing = await self._replay(a)
        if existing is not None:
            return existing
        invoice_id = new_id()
        stamp = now()
        try:
            async with self.transaction() as conn:
                await conn.execute(
                    insert(t.invoices).values(
                        id=invoice_id,
                        tenant_id=a.tenant_id,
                        number=a.number,
                        kind=a.kind,
                        seller_name=a.seller_name,
                        buyer_name=a.buyer_name,
                        buyer_key=a.buyer_key,
                        currency=a.currency,
                        payable=a.payable,
                        due_date=a.due_date,
                        idempotency_key=a.idempotency_key,
                        body_hash=a.body_hash,
                        status=InvoiceStatus.ACCEPTED,
                        plan=list(a.plan),
                        recipient=dict(a.recipient),
                        current_channel=a.plan[0],
                        overdue=0,
                        created_at=stamp,
                        updated_at=stamp,
                    )
                )
                for doc in a.documents:
                    await self.store_document(conn, invoice_id, doc)
                delivery_id = await self.add_delivery(
                    conn, a.tenant_id, invoice_id, a.plan[0], 0, stamp
                )
                if a.receivable is not None and a.currency and a.payable is not None:
                    await self.open_item(
                        conn,
                        invoice_id,
                        a.tenant_id,
                        reference=a.receivable.get("reference"),
                        customer=a.receivable.get("customer"),
                        customer_type=a.receivable.get("customer_type", "company"),
                        currency=a.currency,
                        amount=Decimal(a.payable),
                        due_date=a.due_date,
                        credit=a.kind == "credit_note",
                    )
                await self.record_event(
                    conn,
                    a.tenant_id,
                    invoice_id,
                    EventType.ACCEPTED,
                    {"number": a.number, "plan": list(a.plan), **a.detail},
                    delivery_id=delivery_id,
                )
        except IntegrityError:
            # A concurrent request with the same key committed first: answer as a replay.
            replay = await self._replay(a)
            if replay is None:
                raise
            return replay
        return AcceptResult(invoice_id, created=True)

    async def _replay(self, a: Acceptance) -> AcceptResult | None:
        """The earlier result for this idempotency key: the same invoice, or a conflict."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(t.invoices.c.id, t.invoices.c.body_hash, t.invoices.c.status).where(
                        t.invoices.c.tenant_id == a.tenant_id,
                        t.invoices.c.idempotency_key == a.idempotency_key,
                    )
                )
            ).first()
        if row is None:
            return None
        return AcceptResult(
            row.id, created=False, conflict=row.body_hash != a.body_hash, status=row.status
        )

    async def store_document(
        self, conn: AsyncConnection, invoice_id: str, doc: RenderedDocument
    ) -> None:
        digest = await self.store_blob(conn, doc.content)
        await conn.execute(
            insert(t.documents).values(
                invoice_id=invoice_id,
                kind=doc.kind,
                sha256=digest,
                media_type=doc.media_type,
                filename=doc.filename,
            )
        )

    async def store_blob(self, conn: AsyncConnection, content: bytes) -> str:
        """Content-addressed: equal bytes are stored once (a concurrent duplicate is a no-op)."""
        digest = hashlib.sha256(content).hexdigest()
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert
        await conn.execute(
            upsert(t.blobs).values(sha256=digest, content=content).on_conflict_do_nothing()
        )
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
        delivery_id = new_id()
        await conn.execute(
            insert(t.deliveries).values(
                id=delivery_id,
                tenant_id=tenant_id,
                invoice_id=invoice_id,
                channel=channel,
                position=position,
                status=DeliveryStatus.PENDING,
                attempts=0,
                message_id=f"{uuid.uuid4()}@fakturaport",
                next_attempt_at=due,
                reminder_id=reminder_id,
                created_at=now(),
                updated_at=now(),
            )
        )
        return delivery_id

    async def record_event(
        self,
        conn: AsyncConnection,
        tenant_id: str,
        invoice_id: str | None,
        kind: EventType,
        detail: Mapping[str, Any],
        *,
        delivery_id: str | None = None,
    ) -> int:
        result = await conn.execute(
            insert(t.events)
            .values(
                tenant_id=tenant_id,
                invoice_id=invoice_id,
                delivery_id=delivery_id,
                type=str(kind),
                detail=dict(detail),
                at=now(),
            )
            .returning(t.events.c.id)
        )
        event_id = result.scalar_one()
        if kind in WEBHOOK_EVENTS:
            endpoints = (
                await conn.execute(
                    select(t.webhook_endpoints.c.id, t.webhook_endpoints.c.events).where(
                        t.webhook_endpoints.c.tenant_id == tenant_id,
                        t.webhook_endpoints.c.active == 1,
                    )
                )
            ).all()
            for endpoint in endpoints:
                if not endpoint.events or str(kind) in endpoint.events:
                    await conn.execute(
                        insert(t.webhook_outbox).values(
                            tenant_id=tenant_id,
                            endpoint_id=endpoint.id,
                            event_id=event_id,
                            attempts=0,
                            next_attempt_at=now(),
                        )
                    )
        return event_id


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across process crashes
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()

"""Documents received over Peppol: stored once per AS4 MessageId / SBDH instance, per tenant."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from . import schema as t
from .states import EventType


class InboxLedger:
    """Mixed into ``Ledger``."""

    async def inbox_seen(self, message_id: str, instance_id: str) -> bool:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(select(t.inbox.c.id).where(or_(t.inbox.c.message_id == message_id, t.inbox.c.instance_id == instance_id)))
            ).first()
        return row is not None

    async def store_inbound(self, tenant_id: str, *, message_id: str, instance_id: str, sender: str, receiver: str,
                            document_type: str, payload: bytes) -> str | None:
        """Store a received document; None when it was stored before (a duplicate)."""
        inbox_id = uuid.uuid4().hex
        try:
            async with self.transaction() as conn:
                digest = await self.store_blob(conn, payload)
                await conn.execute(
                    insert(t.inbox).values(
                        id=inbox_id, tenant_id=tenant_id, message_id=message_id, instance_id=instance_id, sender=sender,
                        receiver=receiver, document_type=document_type, sha256=digest, status="received", received_at=datetime.now(UTC),
                    )
                )
                await self.record_event(conn, tenant_id, None, EventType.RECEIVED,
                                        {"inbox_id": inbox_id, "sender": sender, "document_type": document_type, "message_id": message_id})
        except IntegrityError:
            return None
        return inbox_id

    async def inbox_item(self, tenant_id: str, inbox_id: str) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(t.inbox, t.blobs.c.content).join(t.blobs, t.blobs.c.sha256 == t.inbox.c.sha256)
                    .where(t.inbox.c.id == inbox_id, t.inbox.c.tenant_id == tenant_id)
                )
            ).mappings().first()
        return dict(row) if row else None

    async def ack_inbox(self, tenant_id: str, inbox_id: str) -> bool:
        async with self.transaction() as conn:
            result = await conn.execute(
                update(t.inbox).where(t.inbox.c.id == inbox_id, t.inbox.c.tenant_id == tenant_id)
                .values(status="acknowledged", acked_at=func.coalesce(t.inbox.c.acked_at, datetime.now(UTC)))
            )
        return result.rowcount == 1

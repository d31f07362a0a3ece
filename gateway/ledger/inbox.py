"""Documents received over Peppol: stored once per AS4 MessageId / SBDH instance, per tenant."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
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
                await conn.execute(
                    select(t.inbox.c.id).where(
                        or_(
                            t.inbox.c.message_id == message_id, t.inbox.c.instance_id == instance_id
                        )
                    )
                )
            ).first()
        return row is not None

    async def store_inbound(
        self,
        tenant_id: str,
        *,
        message_id: str,
        instance_id: str,
        sender: str,
        receiver: str,
        document_type: str,
        payload: bytes,
        mls: Mapping[str, Any] | None = None,
        status: str = "received",
    ) -> str | None:
        """Store a received document, with the MLS it is owed; None when it was stored before (a duplicate)."""
        inbox_id = uuid.uuid4().hex
        when = datetime.now(UTC)
        try:
            async with self.transaction() as conn:
                digest = await self.store_blob(conn, payload)
                await conn.execute(
                    insert(t.inbox).values(
                        id=inbox_id,
                        tenant_id=tenant_id,
                        message_id=message_id,
                        instance_id=instance_id,
                        sender=sender,
                        receiver=receiver,
                        document_type=document_type,
                        sha256=digest,
                        status=status,
                        received_at=when,
                    )
                )
                if mls is not None:
                    await self.owe_mls(
                        conn,
                        inbox_id=inbox_id,
                        tenant_id=tenant_id,
                        reference=instance_id,
                        when=when,
                        **mls,
                    )
                await self.record_event(
                    conn,
                    tenant_id,
                    None,
                    EventType.RECEIVED,
                    {
                        "inbox_id": inbox_id,
                        "sender": sender,
                        "document_type": document_type,
                        "message_id": message_id,
                        "status": status,
                    },
                )
        except IntegrityError:
            return None
        return inbox_id

    async def inbox_item(self, tenant_id: str, inbox_id: str) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            row = (
                (
                    await conn.execute(
                        select(t.inbox, t.blobs.c.content)
                        .join(t.blobs, t.blobs.c.sha256 == t.inbox.c.sha256)
                        .where(t.inbox.c.id == inbox_id, t.inbox.c.tenant_id == tenant_id)
                    )
                )
                .mappings()
                .first()
            )
        return dict(row) if row else None

    async def ack_inbox(
        self, tenant_id: str, inbox_id: str, *, accepted: bool = True, reason: str | None = None
    ) -> bool:
        """The tenant took the document (→ MLS AP) or could not (→ MLS RE, failure of delivery)."""
        when = datetime.now(UTC)
        async with self.transaction() as conn:
            result = await conn.execute(
                update(t.inbox)
                .where(t.inbox.c.id == inbox_id, t.inbox.c.tenant_id == tenant_id)
                .values(
                    status="acknowledged" if accepted else "refused",
                    acked_at=func.coalesce(t.inbox.c.acked_at, when),
                )
            )
            if result.rowcount != 1:
                return False
            if accepted:
                await self.decide_mls(conn, inbox_id, "AP", when)
            else:
                why = reason or "the recipient could not take the document"
                await self.decide_mls(
                    conn,
                    inbox_id,
                    "RE",
                    when,
                    description=why,
                    issues=[{"reason": "FD", "description": why, "location": "NA"}],
                )
        return True

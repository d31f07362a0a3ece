"""Message Level Status in the ledger: what we owe senders for documents we received (decided,
then sent with retries by ``gateway.mls``), and finding our own transmission an MLS refers to."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from . import schema as t
from .states import EventType


class MlsLedger:
    """Mixed into ``Ledger``."""

    async def owe_mls(
        self,
        conn: AsyncConnection,
        *,
        inbox_id: str,
        tenant_id: str,
        mls_to: str,
        mls_type: str,
        reference: str,
        when: datetime,
        ack_deadline: datetime,
        code: str | None = None,
        description: str | None = None,
        issues: Sequence[Mapping[str, str]] = (),
    ) -> None:
        """Record the MLS a received document is owed: decided now (a rejection) or waiting for the
        tenant's acknowledgement until ``ack_deadline`` (then AB, accepted without confirmation)."""
        state = (
            "waiting"
            if code is None
            else ("due" if code == "RE" or mls_type == "ALWAYS_SEND" else "skipped")
        )
        await conn.execute(
            insert(t.mls_out).values(
                id=uuid.uuid4().hex,
                inbox_id=inbox_id,
                tenant_id=tenant_id,
                mls_to=mls_to,
                mls_type=mls_type,
                reference=reference,
                code=code,
                description=description,
                issues=list(issues),
                state=state,
                message_id=f"{uuid.uuid4()}@fakturaport",
                attempts=0,
                next_attempt_at=when if code else ack_deadline,
                created_at=when,
            )
        )

    async def decide_mls(
        self,
        conn: AsyncConnection,
        inbox_id: str,
        code: str,
        when: datetime,
        *,
        description: str | None = None,
        issues: Sequence[Mapping[str, str]] = (),
    ) -> None:
        m = t.mls_out
        row = (
            await conn.execute(select(m).where(m.c.inbox_id == inbox_id, m.c.state == "waiting"))
        ).first()
        if row is None:
            return
        state = "due" if code == "RE" or row.mls_type == "ALWAYS_SEND" else "skipped"
        await conn.execute(
            update(m)
            .where(m.c.id == row.id, m.c.state == "waiting")
            .values(
                code=code,
                description=description,
                issues=list(issues),
                state=state,
                next_attempt_at=when,
            )
        )

    async def mls_acknowledgement_timeouts(self, when: datetime) -> int:
        """Documents nobody acknowledged in time: AB (accepted, no confirmation) where a positive
        MLS was asked for; nothing where only failures are to be reported."""
        m = t.mls_out
        expired = and_(m.c.state == "waiting", m.c.next_attempt_at <= when)
        async with self.transaction() as conn:
            due = await conn.execute(
                update(m)
                .where(expired, m.c.mls_type == "ALWAYS_SEND")
                .values(code="AB", state="due", next_attempt_at=when)
            )
            await conn.execute(update(m).where(expired).values(code="AB", state="skipped"))
        return due.rowcount

    async def claim_mls(
        self, when: datetime, lease: timedelta, limit: int = 20
    ) -> list[dict[str, Any]]:
        """Due MLS, each leased by moving its next attempt ahead so another worker leaves it alone."""
        m = t.mls_out
        async with self.engine.connect() as conn:
            rows = (
                (
                    await conn.execute(
                        select(m, t.inbox.c.sender, t.inbox.c.receiver, t.inbox.c.document_type)
                        .join(t.inbox, t.inbox.c.id == m.c.inbox_id)
                        .where(m.c.state == "due", m.c.next_attempt_at <= when)
                        .order_by(m.c.next_attempt_at)
                        .limit(limit)
                    )
                )
                .mappings()
                .all()
            )
        claimed = []
        for row in rows:
            async with self.transaction() as conn:
                result = await conn.execute(
                    update(m)
                    .where(
                        m.c.id == row["id"],
                        m.c.state == "due",
                        m.c.next_attempt_at == row["next_attempt_at"],
                    )
                    .values(next_attempt_at=when + lease, attempts=m.c.attempts + 1)
                )
            if result.rowcount == 1:
                claimed.append({**row, "attempts": row["attempts"] + 1})
        return claimed

    async def mls_sent(self, row: Mapping[str, Any], when: datetime) -> None:
        async with self.transaction() as conn:
            await conn.execute(
                update(t.mls_out)
                .where(t.mls_out.c.id == row["id"])
                .values(state="sent", sent_at=when, last_error=None)
            )
            await self.record_event(
                conn,
                row["tenant_id"],
                None,
                EventType.MLS_SENT,
                {
                    "inbox_id": row["inbox_id"],
                    "code": row["code"],
                    "to": row["mls_to"],
                    "reference": row["reference"],
                },
            )

    async def mls_not_sent(
        self, row: Mapping[str, Any], error: str, retry_at: datetime | None
    ) -> None:
        values: dict[str, Any] = {"last_error": error[:1000]}
        if retry_at is None:
            values["state"] = "failed"
        else:
            values["next_attempt_at"] = retry_at
        async with self.transaction() as conn:
            await conn.execute(
                update(t.mls_out).where(t.mls_out.c.id == row["id"]).values(**values)
            )

    async def mls_for_inbox(self, tenant_id: str, inbox_id: str) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            row = (
                (
                    await conn.execute(
                        select(t.mls_out).where(
                            t.mls_out.c.inbox_id == inbox_id, t.mls_out.c.tenant_id == tenant_id
                        )
                    )
                )
                .mappings()
                .first()
            )
        return dict(row) if row else None

    async def delivery_by_instance_id(self, instance_id: str) -> dict[str, Any] | None:
        """Our Peppol transmission whose SBDH InstanceIdentifier this is (the UUID of its MessageId)."""
        try:
            instance_id = str(uuid.UUID(instance_id))  # also keeps LIKE wildcards out of the query
        except ValueError:
            return None
        d = t.deliveries
        async with self.engine.connect() as conn:
            row = (
                (await conn.execute(select(d).where(d.c.message_id.like(f"{instance_id}@%"))))
                .mappings()
                .first()
            )
        return dict(row) if row else None

    async def record_mls_received(
        self, delivery: Mapping[str, Any], code: str, description: str | None, when: datetime
    ) -> None:
        async with self.transaction() as conn:
            await self.record_event(
                conn,
                delivery["tenant_id"],
                delivery["invoice_id"],
                EventType.MLS_RECEIVED,
                {"channel": delivery["channel"], "code": code, "description": description},
                delivery_id=delivery["id"],
            )

"""Reminders, collection hand-over and write-off in the ledger.

A reminder is a row (level, amounts, basis) plus an ordinary delivery carrying ``reminder_id``:
the worker sends it like an invoice, with receipts and evidence, but its outcome lands on the
reminder, never on the invoice's own delivery state. Issuing is guarded by the item's
``reminders_sent`` counter and the unique (invoice, level) pair, so a job that runs twice — or
two jobs at once — issues each level once; a payment that settles the item first wins.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from . import schema as t
from .states import DeliveryStatus, EventType

REMINDABLE = ("open", "partly_paid", "in_reminder")


@dataclass(frozen=True, slots=True)
class NewReminder:
    tenant_id: str
    invoice_id: str
    level: int  #: 1-based position in the cadence
    kind: str
    on_date: str
    currency: str
    open_amount: str
    compensation: str
    fee: str
    interest: str | None
    total: str
    plan: tuple[str, ...]  #: channels to try in order (email, print …)
    pdf: bytes
    basis: dict[str, Any] = field(default_factory=dict)


class _Lost(Exception):
    """The item changed under us (paid, reminded by a concurrent run): issue nothing."""


class ReminderLedger:
    """Mixed into ``Ledger``."""

    async def issue_reminder(self, r: NewReminder) -> str | None:
        """Store the reminder, its PDF and first delivery in one transaction; None if not due any more."""
        reminder_id = uuid.uuid4().hex
        stamp = datetime.now(UTC)
        try:
            async with self.transaction() as conn:
                claimed = await conn.execute(
                    update(t.receivables)
                    .where(
                        t.receivables.c.invoice_id == r.invoice_id,
                        t.receivables.c.tenant_id == r.tenant_id,
                        t.receivables.c.reminders_sent == r.level - 1,
                        t.receivables.c.state.in_(REMINDABLE),
                    )
                    .values(
                        reminders_sent=r.level,
                        state="in_reminder",
                        updated_at=stamp,
                        **({"compensation_charged": 1} if r.compensation != "0" else {}),
                    )
                )
                if claimed.rowcount != 1:
                    raise _Lost
                await conn.execute(
                    t.reminders.insert().values(
                        id=reminder_id,
                        tenant_id=r.tenant_id,
                        invoice_id=r.invoice_id,
                        level=r.level,
                        kind=r.kind,
                        on_date=r.on_date,
                        currency=r.currency,
                        open_amount=r.open_amount,
                        compensation=r.compensation,
                        fee=r.fee,
                        interest=r.interest,
                        total=r.total,
                        basis=r.basis,
                        plan=list(r.plan),
                        status=DeliveryStatus.PENDING,
                        created_at=stamp,
                        updated_at=stamp,
                    )
                )
                from . import RenderedDocument

                await self.store_document(
                    conn,
                    r.invoice_id,
                    RenderedDocument(
                        f"reminder-{r.level}",
                        "application/pdf",
                        r.pdf,
                        f"reminder-{r.level}.pdf",
                    ),
                )
                delivery_id = await self.add_delivery(
                    conn, r.tenant_id, r.invoice_id, r.plan[0], 0, stamp, reminder_id=reminder_id
                )
                await conn.execute(
                    update(t.reminders)
                    .where(t.reminders.c.id == reminder_id)
                    .values(delivery_id=delivery_id)
                )
                await self.record_event(
                    conn,
                    r.tenant_id,
                    r.invoice_id,
                    EventType.REMINDED,
                    {
                        "reminder_id": reminder_id,
                        "level": r.level,
                        "kind": r.kind,
                        "total": r.total,
                        "currency": r.currency,
                        "channel": r.plan[0],
                    },
                    delivery_id=delivery_id,
                )
        except (_Lost, IntegrityError):
            return None
        return reminder_id

    async def cancel_pending_reminders(
        self, conn: AsyncConnection, tenant_id: str, invoice_id: str, reason: str
    ) -> int:
        """Withdraw reminders not yet sent (their delivery still pending): the item was settled."""
        d = t.deliveries
        rows = (
            await conn.execute(
                select(d.c.id, d.c.reminder_id).where(
                    d.c.invoice_id == invoice_id,
                    d.c.reminder_id.is_not(None),
                    d.c.status == DeliveryStatus.PENDING,
                )
            )
        ).all()
        stamp = datetime.now(UTC)
        for row in rows:
            await conn.execute(
                update(d)
                .where(d.c.id == row.id, d.c.status == DeliveryStatus.PENDING)
                .values(
                    status=DeliveryStatus.CANCELLED,
                    lease_owner=None,
                    lease_until=None,
                    last_error=f"cancelled: {reason}",
                    updated_at=stamp,
                )
            )
            await conn.execute(
                update(t.reminders)
                .where(t.reminders.c.id == row.reminder_id)
                .values(status="cancelled", updated_at=stamp)
            )
            await self.record_event(
                conn,
                tenant_id,
                invoice_id,
                EventType.REMINDER_CANCELLED,
                {"reminder_id": row.reminder_id, "reason": reason},
                delivery_id=row.id,
            )
        return len(rows)

    async def reminder_of_delivery(self, delivery_id: str) -> dict[str, Any] | None:
        """The reminder a delivery carries and its stored PDF (the worker builds the envelope)."""
        async with self.engine.connect() as conn:
            row = (
                (
                    await conn.execute(
                        select(t.reminders)
                        .join(t.deliveries, t.deliveries.c.reminder_id == t.reminders.c.id)
                        .where(t.deliveries.c.id == delivery_id)
                    )
                )
                .mappings()
                .first()
            )
        return dict(row) if row else None

    async def reminders_of(self, tenant_id: str, invoice_id: str) -> list[dict[str, Any]]:
        """Every reminder of an item, oldest first, with each delivery attempt and its evidence."""
        async with self.engine.connect() as conn:
            reminders = (
                (
                    await conn.execute(
                        select(t.reminders)
                        .where(
                            t.reminders.c.tenant_id == tenant_id,
                            t.reminders.c.invoice_id == invoice_id,
                        )
                        .order_by(t.reminders.c.level)
                    )
                )
                .mappings()
                .all()
            )
            deliveries = (
                (
                    await conn.execute(
                        select(t.deliveries)
                        .where(
                            t.deliveries.c.tenant_id == tenant_id,
                            t.deliveries.c.invoice_id == invoice_id,
                            t.deliveries.c.reminder_id.is_not(None),
                        )
                        .order_by(t.deliveries.c.created_at)
                    )
                )
                .mappings()
                .all()
            )
            evidence = (
                (
                    await conn.execute(
                        select(
                            t.evidence.c.delivery_id,
                            t.evidence.c.kind,
                            t.evidence.c.sha256,
                            t.evidence.c.created_at,
                        ).where(
                            t.evidence.c.tenant_id == tenant_id,
                            t.evidence.c.invoice_id == invoice_id,
                        )
                    )
                )
                .mappings()
                .all()
            )
        out = []
        for r in reminders:
            attempts = []
            for d in deliveries:
                if d["reminder_id"] != r["id"]:
                    continue
                attempts.append(
                    {
                        "delivery_id": d["id"],
                        "channel": d["channel"],
                        "status": d["status"],
                        "attempts": d["attempts"],
                        "remote_id": d["remote_id"],
                        "last_error": d["last_error"],
                        "message_id": d["message_id"],
                        "receipts": [
                            {"kind": e["kind"], "sha256": e["sha256"], "at": e["created_at"]}
                            for e in evidence
                            if e["delivery_id"] == d["id"]
                        ],
                    }
                )
            out.append({**dict(r), "deliveries": attempts})
        return out

    async def close_item(
        self,
        tenant_id: str,
        invoice_id: str,
        state: str,
        kind: EventType,
        detail: dict[str, Any],
        documents: tuple[Any, ...] = (),
    ) -> bool:
        """Hand over to collection or write off: only an item still open; pending reminders stop."""
        async with self.transaction() as conn:
            result = await conn.execute(
                update(t.receivables)
                .where(
                    t.receivables.c.invoice_id == invoice_id,
                    t.receivables.c.tenant_id == tenant_id,
                    t.receivables.c.state.in_(REMINDABLE),
                )
                .values(state=state, updated_at=datetime.now(UTC))
            )
            if result.rowcount != 1:
                return False
            await self.cancel_pending_reminders(conn, tenant_id, invoice_id, state)
            for doc in documents:  # e.g. the collection case file, kept as handed over
                await self.store_document(conn, invoice_id, doc)
            await self.record_event(conn, tenant_id, invoice_id, kind, detail)
        return True

    async def remindable_items(self, tenant_id: str) -> list[dict[str, Any]]:
        """Open items with what a reminder needs: the invoice's number, parties, plan and recipient."""
        r, i = t.receivables, t.invoices
        async with self.engine.connect() as conn:
            rows = (
                (
                    await conn.execute(
                        select(
                            r,
                            i.c.number,
                            i.c.seller_name,
                            i.c.buyer_name,
                            i.c.plan,
                            i.c.recipient,
                            i.c.current_channel,
                            i.c.created_at.label("issued_at"),
                        )
                        .join(i, i.c.id == r.c.invoice_id)
                        .where(r.c.tenant_id == tenant_id, r.c.state.in_(REMINDABLE))
                    )
                )
                .mappings()
                .all()
            )
        return [dict(row) for row in rows]

    async def tenant_ids(self) -> list[str]:
        async with self.engine.connect() as conn:
            return list((await conn.execute(select(t.tenants.c.id))).scalars())
